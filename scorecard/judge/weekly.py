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

from scorecard.catalog.load import Catalog
from scorecard.engine.runner import MetricError, Runner
from scorecard.judge import projection as projecting
from scorecard.judge import readiness
from scorecard.judge.readiness import Readiness
from scorecard.language import periods as cal
from scorecard.language import words
from scorecard.language.definitions import (
    WINDOWS,
    AggregateMetric,
    CohortMetric,
    MetricBase,
    RatioMetric,
    Target,
    Threshold,
)
from scorecard.sql.query import Query
from scorecard.sql.resolve import CompileError
from scorecard.store.db import Database

Status = Literal["green", "amber", "red", "none"]
Flag = Literal["no_input", "low_sample", "provisional", "not_applicable", "projection", "no_target"]
FLAGS: tuple[str, ...] = ("no_input", "low_sample", "provisional", "not_applicable", "projection", "no_target")
BLOCKING: frozenset[str] = frozenset({"no_input", "low_sample", "provisional", "not_applicable", "projection"})
"""Flags that stop a value from being judged; `no_target` only means there is nothing to judge against."""

VERDICT_WORDS: dict[str, str] = {"green": "on target", "amber": "near target", "red": "off target"}

REPORT_FIELDS: tuple[str, ...] = (
    "metric", "label", "value", "previous", "delta", "target", "status", "judgeable", "flags", "reason", "n",
    "low_sample", "owners", "owner", "contributors", "trend", "section", "format", "direction", "week", "window",
    "period", "settled", "provisional", "cohort", "note", "projection",
)  # fmt: skip
"""The fields of a scorecard row in `report --format json` and csv, in order."""
TREND_WEEKS = 12
MAX_LOOKBACK = 60
"""At most this many windows are read back to find settled ones (a metric that settles slowly)."""


@dataclass(frozen=True)
class TrendPoint:
    week: str
    value: float | None
    n: int
    provisional: bool = False


@dataclass(frozen=True)
class ScorecardRow:
    """One metric on the weekly scorecard.

    `value` is the value judged: of the latest settled period (`settled` names it when it is
    not the chosen one), or of the newest mature cohort (`cohort`). `provisional` is the
    chosen period's own value when it can still change. `status` is green, amber or red only
    when `judgeable`; otherwise `flags` and `reason` say why not, in plain words.
    """

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
    judgeable: bool = False
    flags: tuple[str, ...] = ()
    reason: str | None = None
    window: str = "week"
    period: str = ""
    settled: str | None = None
    provisional: float | None = None
    owner: str = ""
    contributors: tuple[str, ...] = ()
    projection: projecting.Projection | None = None
    """For a cohort metric: the newest cohort a month old, projected from how earlier cohorts
    matured (a range, flagged `projection`, never coloured)."""

    @property
    def verdict(self) -> str:
        """The same words on every surface: on / near / off target when judged; otherwise
        'not judged' (see `reason`), or 'no target' for a judgeable value with nothing to meet."""
        if self.judgeable and self.status != "none":
            return VERDICT_WORDS[self.status]
        if self.judgeable:
            return "no target"
        return "not judged"

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
        data["contributors"] = list(self.contributors)
        data["flags"] = list(self.flags)
        data["trend"] = [asdict(p) for p in self.trend]
        data["projection"] = self.projection.as_json() if self.projection else None
        return {key: data[key] for key in REPORT_FIELDS}


@dataclass(frozen=True)
class Scorecard:
    week: cal.Period
    filters: Mapping[str, tuple[str, ...]]
    rows: tuple[ScorecardRow, ...]
    catalog_version: str
    statements: int = 0
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))
    window: str | None = None
    readiness: Readiness | None = None
    frames: Mapping[tuple[str, Query], pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)
    """The metric frames the card was built from (Runner results), so what moved reuses its totals."""

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


def window_of(metric: MetricBase, window: str | None = None) -> str:
    """The window a metric is read over: the one asked for, else the metric's own default."""
    return window or metric.window


def query_for(
    catalog: Catalog,
    metric: MetricBase,
    week: cal.Period,
    filters: Mapping[str, Sequence[str]] | None = None,
    window: str | None = None,
    count: int = TREND_WEEKS,
) -> Query:
    """The query behind a metric's scorecard row: `count` windows ending with the week shown,
    or, for a cohort metric, with its newest mature cohort; events counted up to the week's end."""
    cohort = isinstance(metric, CohortMetric)
    last = cal.mature_cohort_week(catalog.calendar, metric.window_days, week) if cohort else week  # type: ignore[attr-defined]
    periods = cal.windows_ending(catalog.calendar, window_of(metric, window), last, count)
    return Query.build(periods, filters=filters, as_of=week.end)


def settled_count(
    catalog: Catalog, metric: MetricBase, week: cal.Period, as_of: dt.datetime | None, window: str | None = None
) -> tuple[int, int]:
    """How many windows to read (ending with the week shown) so that TREND_WEEKS of them are
    settled by `as_of`, and how many of the newest ones are still provisional."""
    if isinstance(metric, CohortMetric) or as_of is None:
        return TREND_WEEKS, 0
    days = readiness.settles_after(catalog, metric)
    if days == 0:
        return TREND_WEEKS, 0
    lag = dt.timedelta(days=days)
    kind = window_of(metric, window)
    for unsettled in range(MAX_LOOKBACK):
        if cal.window_ending(catalog.calendar, kind, week, unsettled).end + lag <= as_of:
            return TREND_WEEKS + unsettled, unsettled
    return TREND_WEEKS, TREND_WEEKS  # nothing settled within reach: every window is provisional


def build(
    db: Database,
    catalog: Catalog,
    week: cal.Period,
    filters: Mapping[str, Sequence[str]] | None = None,
    metrics: Sequence[str] | None = None,
    runner: Runner | None = None,
    window: str | None = None,
    ready: Readiness | None = None,
) -> Scorecard:
    """Assemble the scorecard of one week (with its trends) under dimension filters.

    `window` reads every metric over that window (week, 4w, 13w, mtd, qtd); without it each
    metric uses its own default. `ready` is the data's readiness report (checked if not given).
    """
    kept: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in (filters or {}).items() if v}
    runner = runner or Runner(db, catalog)
    chosen = [catalog.metric(m) for m in metrics] if metrics else catalog.scorecard_metrics()
    for dim in kept:
        if dim not in catalog.dimensions:
            raise CompileError(f"unknown dimension {dim!r}; dimensions: {', '.join(catalog.dimensions)}")
    if window is not None and window not in WINDOWS:
        raise CompileError(f"unknown window {window!r}; use {', '.join(WINDOWS)}")
    ready = ready or readiness.check(db, catalog)
    rows = []
    planned = {m.name: _row_query(catalog, m, week, kept, window, ready) for m in chosen}
    with db.engine().connect() as conn:
        runner.prefetch(
            ((m.name, planned[m.name][0]) for m in chosen if not runner.supports(m.name, list(kept))), conn
        )
        for metric in chosen:
            rows.append(_row(runner, catalog, metric, week, kept, conn, window, ready, planned[metric.name]))
    return Scorecard(
        week, kept, tuple(rows), catalog.version, runner.statements_run, window=window, readiness=ready,
        frames=runner.remembered(),
    )  # fmt: skip


def sample_noun(catalog: Catalog, metric: MetricBase) -> str:
    """What a metric's sample counts, in the users' words: deals, leads, activities..."""
    if isinstance(metric, RatioMetric):
        side = metric.numerator if metric.sample == "numerator" else metric.denominator
        return words.plural(side.table)
    if isinstance(metric, AggregateMetric | CohortMetric):
        return words.plural(metric.of)
    return "rows"


def _row(
    runner: Runner,
    catalog: Catalog,
    metric: MetricBase,
    week: cal.Period,
    filters: Mapping[str, tuple[str, ...]],
    conn: Any,
    window: str | None,
    ready: Readiness,
    planned: tuple[Query, int],
) -> ScorecardRow:
    kind = window_of(metric, window)
    query, unsettled = planned  # _row_query's
    cohort_label = query.periods[-1].label if isinstance(metric, CohortMetric) else None
    thresholds = target_for(metric.target, week, filters)
    empty = ScorecardRow(
        metric=metric.name,
        label=metric.label,
        section=metric.resolved_section,
        owners=tuple(metric.owners),
        owner=metric.owner,
        contributors=tuple(metric.contributors),
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
        window=kind,
        period=query.periods[-1].label,
    )
    unsupported = runner.supports(metric.name, list(filters))
    if unsupported:
        judged = verdict(catalog, metric, None, 0, week, filters, ready, kind, unsupported=unsupported)
        return dataclasses.replace(
            empty, note=unsupported, flags=judged.flags, reason=judged.reason
        )
    try:
        frame = runner.run(metric.name, query, conn)
    except (MetricError, CompileError) as exc:
        judged = verdict(catalog, metric, None, 0, week, filters, ready, kind, unsupported=str(exc))
        return dataclasses.replace(empty, note=str(exc), flags=_ordered([*judged.flags, "no_input"]), reason=str(exc))
    by_period = {row.period: row for row in frame.itertuples(index=False)}
    trend = []
    for i, period in enumerate(query.periods):
        found = by_period.get(period.first)
        value = _number(found.value) if found is not None else None
        provisional = i >= len(query.periods) - unsettled
        trend.append(TrendPoint(period.label, value, int(found.n) if found is not None else 0, provisional))
    index = len(trend) - 1 - unsettled
    settled = index >= 0
    if not settled:
        index = len(trend) - 1
    current = trend[index]
    previous = trend[index - 1] if index > 0 else TrendPoint("", None, 0)
    delta = None if current.value is None or previous.value is None else current.value - previous.value
    judged = verdict(
        catalog, metric, current.value, current.n, query.periods[index], filters, ready, kind, provisional=not settled
    )
    projected = None
    if isinstance(metric, CohortMetric) and judged.flags != ("no_input",) and "no_input" not in judged.flags:
        projected = _projection(runner, catalog, metric, week, query.periods[-1], filters, conn)
    return dataclasses.replace(
        empty,
        value=current.value,
        previous=previous.value,
        delta=delta,
        status=judged.status,
        n=current.n,
        low_sample=current.n < metric.min_sample,
        trend=tuple(trend),
        judgeable=judged.judgeable,
        flags=judged.flags,
        reason=judged.reason,
        period=current.week,
        settled=current.week if unsettled and settled else None,
        provisional=trend[-1].value if unsettled and settled else None,
        projection=projected,
    )


def _row_query(
    catalog: Catalog,
    metric: MetricBase,
    week: cal.Period,
    filters: Mapping[str, Sequence[str]],
    window: str | None,
    ready: Readiness,
) -> tuple[Query, int]:
    """The query behind a row (its trend, with the still-settling windows) and how many of its
    newest windows are provisional."""
    count, unsettled = settled_count(catalog, metric, week, ready.data_end, window)
    return query_for(catalog, metric, week, filters, window, count), unsettled


def _projection(
    runner: Runner,
    catalog: Catalog,
    metric: CohortMetric,
    week: cal.Period,
    mature: cal.Period,
    filters: Mapping[str, tuple[str, ...]],
    conn: Any,
) -> projecting.Projection | None:
    """The newest cohort at least PROJECT_AFTER_WEEKS old, projected; None when that cohort is
    already mature (a short window such as 30 days needs no projection)."""
    young = cal.shift_weeks(catalog.calendar, week, -projecting.PROJECT_AFTER_WEEKS)
    if young.first <= mature.first or metric.window_days <= 7 * (projecting.PROJECT_AFTER_WEEKS + 1):
        return None
    runner.statements_run += 1
    found = projecting.project(conn, catalog, metric, mature, [young], filters, as_of=week.end)
    return found[0] if found else None


@dataclass(frozen=True)
class Verdict:
    """Whether a value may be coloured, and if not, why, in plain words."""

    status: Status
    judgeable: bool
    flags: tuple[str, ...]
    reason: str | None


def verdict(
    catalog: Catalog,
    metric: MetricBase,
    value: float | None,
    n: int,
    period: cal.Period,
    filters: Mapping[str, Sequence[str]],
    ready: Readiness | None = None,
    window: str = "week",
    *,
    unsupported: str | None = None,
    provisional: bool | None = None,
) -> Verdict:
    """The one rule every surface uses: green, amber or red only when the metric's inputs are
    in the data, the sample is at least `min_sample`, the period has settled and the filters
    apply; otherwise status "none" with flags and a reason.

    `provisional` defaults to: the period ended less than `settles_after` days before the data ends.
    """
    thresholds = target_for(metric.target, period, {k: tuple(v) for k, v in filters.items()})
    flags: list[str] = [] if thresholds else ["no_target"]
    reasons: list[str] = []
    if unsupported:
        flags.append("not_applicable")
        reasons.append(unsupported)
    readiness_of = ready.of(metric.name) if ready is not None else None
    if readiness_of is not None and not readiness_of.ready:
        flags.append("no_input")
        reasons.append(f"not judged: {readiness_of.reason}")
    days = 0 if isinstance(metric, CohortMetric) else readiness.settles_after(catalog, metric)
    if provisional is None:
        end = ready.data_end if ready is not None else None
        provisional = days > 0 and end is not None and period.end + dt.timedelta(days=days) > end
    if provisional:
        flags.append("provisional")
        reasons.append(f"still changing: {period.label} settles {days} days after it ends")
    if not unsupported and (value is None or n < metric.min_sample):
        flags.append("low_sample")
        reasons.append(_sample_reason(catalog, metric, n, window))
    judgeable = value is not None and not BLOCKING.intersection(flags)
    status = status_of(value, thresholds, metric.direction) if judgeable else "none"
    return Verdict(status, judgeable, _ordered(flags), "; ".join(reasons) or None)


def _sample_reason(catalog: Catalog, metric: MetricBase, n: int, window: str) -> str:
    noun = sample_noun(catalog, metric)
    span = cal.WINDOW_WORDS.get(window, window)
    if n == 0:
        text = f"no {noun} in {span}"
    else:
        text = f"only {n:,} {noun} in {span}; at least {metric.min_sample:,} are needed to judge"
    wider = {"week": " (read it over 4 or 13 weeks)", "4w": " (read it over 13 weeks)"}.get(window, "")
    return text + wider


def _ordered(flags: Sequence[str]) -> tuple[str, ...]:
    return tuple(f for f in FLAGS if f in flags)


def _number(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)
