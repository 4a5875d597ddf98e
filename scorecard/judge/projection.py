"""Projections of young cohorts: where a cohort still maturing is headed, from how earlier
cohorts matured. Never a verdict.

A cohort of leads created a weeks ago has had a weeks to close, while lead-to-close is final
only after its whole window (220 days). For a young cohort: what it reached in its first a
weeks, plus, in turn, what each of the BASIS most recent mature cohorts reached after their
own week a (per member). The middle of those is the projection; the 10th to 90th percentile
its range. A projection carries the `projection` flag, which keeps it uncoloured on every
surface, and is always shown as a range beside the final value of a mature cohort.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa

from scorecard.catalog.load import Catalog
from scorecard.engine.runner import Runner
from scorecard.language import periods as cal
from scorecard.language.definitions import CohortMetric
from scorecard.language.formatting import format_value
from scorecard.language.settings import Locale
from scorecard.sql.compiler import Compiler
from scorecard.sql.query import Query
from scorecard.store.db import Database

BASIS = 26
"""Mature cohorts a projection is drawn from: the most recent half year of them."""
MIN_BASIS = 8
"""Fewer mature cohorts than this: no projection (a range from three cohorts is a guess)."""
LOW, HIGH = 0.1, 0.9
"""The range: 10th to 90th percentile of the projections from each mature cohort."""
PROJECT_AFTER_WEEKS = 4
"""The scorecard projects the newest cohort at least this many whole weeks old (a month of selling)."""


@dataclass(frozen=True)
class Projection:
    """A young cohort's projected final value, as a range; `flags` always holds "projection"."""

    metric: str
    cohort: str
    age_weeks: int
    members: int
    so_far: float | None
    low: float | None
    mid: float | None
    high: float | None
    basis: int
    window_days: int = 0
    final: float | None = None
    status: Literal["none"] = "none"
    flags: tuple[str, ...] = ("projection",)

    @property
    def judgeable(self) -> bool:
        """Never: a projection is a forecast, not a result to colour."""
        return False

    def text(self, unit: str, *, locale: Locale) -> str:
        """'2.1% to 4.0% (middle 3.0%)', or why there is no range."""
        if self.low is None or self.high is None or self.mid is None:
            if not self.members:
                return "no members yet"
            return f"too few mature cohorts to project from ({self.basis} of {MIN_BASIS})"
        return (
            f"{format_value(self.low, unit, locale=locale)} to {format_value(self.high, unit, locale=locale)} "
            f"(middle {format_value(self.mid, unit, locale=locale)})"
        )

    def reason(self, unit: str, *, locale: Locale) -> str:
        return (
            f"projection, not judged: cohort {self.cohort} is {self.age_weeks} weeks into its {self.window_days} days; "
            f"{format_value(self.so_far, unit, locale=locale)} so far, headed for {self.text(unit, locale=locale)} "
            "if it matures as the last "
            f"{self.basis} mature cohorts did"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "cohort": self.cohort,
            "age_weeks": self.age_weeks,
            "members": self.members,
            "so_far": self.so_far,
            "low": self.low,
            "mid": self.mid,
            "high": self.high,
            "basis": self.basis,
            "window_days": self.window_days,
            "final": self.final,
            "status": self.status,
            "judgeable": False,
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class _Cohort:
    members: int
    by_week: Mapping[int, float]  # value reached within the window, by week since entry
    final: float

    def reached(self, before_week: int) -> float:
        return sum(v for w, v in self.by_week.items() if w < before_week)

    def after(self, week: int) -> float:
        return sum(v for w, v in self.by_week.items() if w >= week)


def age_weeks(cohort: cal.Period, as_of: dt.datetime) -> int:
    """Whole weeks every member of the cohort has had by `as_of` (from the cohort's last day)."""
    return max(0, (as_of - cohort.end).days // 7)


def timing_statement(
    catalog: Catalog,
    metric: CohortMetric,
    cohorts: Sequence[cal.Period],
    filters: Mapping[str, Sequence[str]],
    as_of: dt.datetime,
) -> sa.Select[Any]:
    return Compiler(catalog).cohort_timing(metric, Query.build(cohorts, filters=filters, as_of=as_of))


def project(
    conn: sa.Connection,
    catalog: Catalog,
    metric: CohortMetric,
    mature: cal.Period,
    young: Sequence[cal.Period],
    filters: Mapping[str, Sequence[str]] | None = None,
    as_of: dt.datetime | None = None,
    basis_count: int = BASIS,
    min_basis: int = MIN_BASIS,
) -> list[Projection]:
    """Projections of the `young` cohorts from the BASIS mature cohorts ending with `mature`,
    events counted before `as_of` (default: the end of the newest young cohort's week)."""
    if not young:
        return []
    as_of = as_of or young[-1].end
    basis_weeks = cal.weeks_ending(catalog.calendar, mature, basis_count)
    wanted = sorted({*basis_weeks, *young}, key=lambda p: p.first)
    statement = timing_statement(catalog, metric, wanted, filters or {}, as_of)
    cohorts = _cohorts(conn.execute(statement).mappings().all())
    basis = [cohorts[p.first] for p in basis_weeks if p.first in cohorts and cohorts[p.first].members]
    out = []
    for period in young:
        age = age_weeks(period, as_of)
        own = cohorts.get(period.first)
        if own is None or not own.members:
            out.append(
                Projection(metric.name, period.label, age, 0, None, None, None, None, len(basis), metric.window_days)
            )
            continue
        so_far = own.reached(age) / own.members
        if len(basis) < min_basis:
            out.append(
                Projection(
                    metric.name,
                    period.label,
                    age,
                    own.members,
                    so_far,
                    None,
                    None,
                    None,
                    len(basis),
                    metric.window_days,
                )
            )
            continue
        ahead = np.array([so_far + b.after(age) / b.members for b in basis])
        low, mid, high = (float(np.quantile(ahead, q)) for q in (LOW, 0.5, HIGH))
        out.append(
            Projection(
                metric.name, period.label, age, own.members, so_far, low, mid, high, len(basis), metric.window_days
            )
        )
    return out


def _cohorts(rows: Sequence[Any]) -> dict[dt.date, _Cohort]:
    members: dict[dt.date, int] = {}
    weeks: dict[dt.date, dict[int, float]] = {}
    for row in rows:
        period = row["period"]
        period = period.date() if isinstance(period, dt.datetime) else dt.date.fromisoformat(str(period)[:10])
        members[period] = members.get(period, 0) + int(row["members"])
        if row["event_week"] is not None and int(row["in_window"]):
            week = int(row["event_week"])
            by_week = weeks.setdefault(period, {})
            by_week[week] = by_week.get(week, 0.0) + float(row["amount"] or 0.0)
    return {p: _Cohort(n, weeks.get(p, {}), sum(weeks.get(p, {}).values())) for p, n in members.items()}


OUTLOOK_COLUMNS: tuple[str, ...] = (
    "cohort", "first", "members", "early", "early_final", "so_far", "low", "mid", "high", "final", "state",
)  # fmt: skip


def outlook(
    db: Database,
    catalog: Catalog,
    week: cal.Period,
    filters: Mapping[str, Sequence[str]] | None = None,
    count: int = 26,
    metric_name: str = "lead_to_close",
    early_name: str = "lead_to_opportunity",
) -> pd.DataFrame:
    """Per cohort week (the `count` weeks ending with `week`): the early signal, the value so
    far, the projected range while the cohort is young and the final value once it is mature,
    side by side. `state` is "final" or "projection"; a projection is never coloured.

    Early signal: `early_name` for the leads qualified that week (final once its own window has passed).
    """
    metric = catalog.metric(metric_name)
    if not isinstance(metric, CohortMetric):
        raise ValueError(f"{metric_name} is not a cohort metric")
    weeks = cal.weeks_ending(catalog.calendar, week, count)
    as_of = week.end
    mature = cal.mature_cohort_week(catalog.calendar, metric.window_days, week)
    runner = Runner(db, catalog)
    query = Query.build(weeks, filters=filters, as_of=as_of)
    so_far = {row.period: row for row in runner.run(metric_name, query).itertuples(index=False)}
    early: dict[Any, Any] = {}
    early_metric = catalog.metrics.get(early_name)
    if isinstance(early_metric, CohortMetric):
        early = {row.period: row for row in runner.run(early_name, query).itertuples(index=False)}
    young = [p for p in weeks if p.first > mature.first]
    with db.engine().connect() as conn:
        projected = {p.cohort: p for p in project(conn, catalog, metric, mature, young, filters, as_of=as_of)}
    rows = []
    for period in weeks:
        found, signal = so_far.get(period.first), early.get(period.first)
        value = None if found is None or pd.isna(found.value) else float(found.value)
        guess = projected.get(period.label)
        early_days = early_metric.window_days if isinstance(early_metric, CohortMetric) else 0
        rows.append(
            {
                "cohort": period.label,
                "first": period.first,
                "members": int(found.n) if found is not None else 0,
                "early": None if signal is None or pd.isna(signal.value) else float(signal.value),
                "early_final": period.last + dt.timedelta(days=early_days) < as_of.date(),
                "so_far": value,
                "low": guess.low if guess else None,
                "mid": guess.mid if guess else None,
                "high": guess.high if guess else None,
                "final": value if guess is None else None,
                "state": "projection" if guess is not None else "final",
            }
        )
    return pd.DataFrame(rows, columns=list(OUTLOOK_COLUMNS))
