"""The weekly scorecard: per metric value, previous week, delta, target, status, trend, n.

One round of queries: every metric is one statement covering the 12 trend weeks at
once. Cohort metrics (lead-to-close within 180 days...) show the newest cohort that
has had its whole window by the end of the week, labelled with its week, so a
scorecard never mixes mature and immature cohorts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pandas as pd

from scorecard import periods as cal
from scorecard.catalog import Catalog
from scorecard.compiler import CompileError, Query
from scorecard.db import Database
from scorecard.definitions import CohortMetric, MetricBase, Target, Threshold
from scorecard.engine import MetricError, Runner

Status = Literal["green", "amber", "red", "none"]

REPORT_FIELDS: tuple[str, ...] = (
    "metric", "label", "value", "previous", "delta", "target", "status", "n", "low_sample", "owners", "trend",
    "section", "format", "direction", "week", "cohort", "note",
)  # fmt: skip
"""The fields of a scorecard row in `report --format json` and csv, in order."""
TREND_WEEKS = 12


@dataclass(frozen=True)
class TrendPoint:
    week: str
    value: float | None
    n: int


@dataclass(frozen=True)
class ScorecardRow:
    """One metric on the weekly scorecard."""

    metric: str
    label: str
    section: str
    owners: tuple[str, ...]
    format: str
    direction: str
    value: float | None
    previous: float | None
    delta: float | None
    target: float | None
    status: Status
    n: int
    low_sample: bool
    min_sample: int
    trend: tuple[TrendPoint, ...]
    week: str
    cohort: str | None = None
    note: str | None = None

    @property
    def improved(self) -> bool | None:
        """True if the change since last week is in the good direction, None if flat or unknown."""
        if self.delta is None or self.delta == 0:
            return None
        return (self.delta > 0) == (self.direction == "higher_is_better")

    def as_json(self) -> dict[str, Any]:
        """The documented JSON shape of `report --format json`."""
        data = asdict(self)
        data["owners"] = list(self.owners)
        data["trend"] = [asdict(p) for p in self.trend]
        return {key: data[key] for key in REPORT_FIELDS}


@dataclass(frozen=True)
class Scorecard:
    week: cal.Period
    filters: Mapping[str, tuple[str, ...]]
    rows: tuple[ScorecardRow, ...]
    catalog_version: str
    statements: int = 0
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))

    def row(self, metric: str) -> ScorecardRow:
        return next(r for r in self.rows if r.metric == metric)


def target_for(target: Target | None, week: cal.Period, filters: Mapping[str, Sequence[str]]) -> Threshold | None:
    """The thresholds in force for a week and a filter: the most specific override that matches.

    An override with `when: {region: EMEA}` applies when the scorecard is filtered to exactly
    that value; one with `from: 2026-07-01` applies to weeks starting on or after that day.
    """
    if target is None:
        return None
    best: Threshold = target
    best_key: tuple[int, dt.date] = (0, dt.date.min)
    for override in target.overrides:
        if override.from_ is not None and week.first < override.from_:
            continue
        if any(tuple(filters.get(dim, ())) != (value,) for dim, value in override.when.items()):
            continue
        key = (len(override.when), override.from_ or dt.date.min)
        if key >= best_key:
            best, best_key = override, key
    return best


def status_of(value: float | None, thresholds: Threshold | None, direction: str) -> Status:
    """green / amber / red against the thresholds, read in the metric's direction."""
    if value is None or thresholds is None or math.isnan(value):
        return "none"
    if direction == "higher_is_better":
        return "green" if value >= thresholds.green else "amber" if value >= thresholds.amber else "red"
    return "green" if value <= thresholds.green else "amber" if value <= thresholds.amber else "red"


def mature_cohort_week(catalog: Catalog, metric: CohortMetric, week: cal.Period) -> cal.Period:
    """The newest cohort week whose every member has had the full window by the end of `week`."""
    latest_start_day = week.last - dt.timedelta(days=metric.window_days)
    candidate = cal.week(catalog.calendar, latest_start_day)
    if candidate.last > latest_start_day:
        candidate = cal.shift_weeks(catalog.calendar, candidate, -1)
    return candidate


def query_for(
    catalog: Catalog,
    metric: MetricBase,
    week: cal.Period,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> Query:
    """The query behind a metric's scorecard row: 12 trend weeks ending with the week shown,
    or, for a cohort metric, with its newest mature cohort; events counted up to the week's end."""
    last = mature_cohort_week(catalog, metric, week) if isinstance(metric, CohortMetric) else week
    return Query.build(cal.weeks_ending(catalog.calendar, last, TREND_WEEKS), filters=filters, as_of=week.end)


def build(
    db: Database,
    catalog: Catalog,
    week: cal.Period,
    filters: Mapping[str, Sequence[str]] | None = None,
    metrics: Sequence[str] | None = None,
    runner: Runner | None = None,
) -> Scorecard:
    """Assemble the scorecard of one week (with its 12-week trends) under dimension filters."""
    kept: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in (filters or {}).items() if v}
    runner = runner or Runner(db, catalog)
    chosen = [catalog.metric(m) for m in metrics] if metrics else catalog.scorecard_metrics()
    for dim in kept:
        if dim not in catalog.dimensions:
            raise CompileError(f"unknown dimension {dim!r}; dimensions: {', '.join(catalog.dimensions)}")
    rows = []
    with db.engine().connect() as conn:
        for metric in chosen:
            rows.append(_row(runner, catalog, metric, week, kept, conn))
    return Scorecard(week, kept, tuple(rows), catalog.version, runner.statements_run)


def _row(
    runner: Runner,
    catalog: Catalog,
    metric: MetricBase,
    week: cal.Period,
    filters: Mapping[str, tuple[str, ...]],
    conn: Any,
) -> ScorecardRow:
    query = query_for(catalog, metric, week, filters)
    cohort_label = query.periods[-1].label if isinstance(metric, CohortMetric) else None
    thresholds = target_for(metric.target, week, filters)
    empty = ScorecardRow(
        metric=metric.name,
        label=metric.label,
        section=metric.resolved_section,
        owners=tuple(metric.owners),
        format=metric.format,
        direction=metric.direction,
        value=None,
        previous=None,
        delta=None,
        target=(thresholds.value if thresholds.value is not None else thresholds.green) if thresholds else None,
        status="none",
        n=0,
        low_sample=False,
        min_sample=metric.min_sample,
        trend=(),
        week=week.label,
        cohort=cohort_label,
    )
    unsupported = runner.supports(metric.name, list(filters))
    if unsupported:
        return dataclasses.replace(empty, note=f"not available with this filter: {unsupported}")
    try:
        frame = runner.run(metric.name, query, conn)
    except (MetricError, CompileError) as exc:
        return dataclasses.replace(empty, note=str(exc))
    by_period = {row.period: row for row in frame.itertuples(index=False)}
    trend = []
    for period in query.periods:
        found = by_period.get(period.first)
        value = _number(found.value) if found is not None else None
        trend.append(TrendPoint(period.label, value, int(found.n) if found is not None else 0))
    current, previous = trend[-1], trend[-2]
    delta = None if current.value is None or previous.value is None else current.value - previous.value
    return dataclasses.replace(
        empty,
        value=current.value,
        previous=previous.value,
        delta=delta,
        status=status_of(current.value, thresholds, metric.direction),
        n=current.n,
        low_sample=current.n < metric.min_sample,
        trend=tuple(trend),
    )


def _number(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)
