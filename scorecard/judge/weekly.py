"""The weekly scorecard: per metric value, previous week, delta, target, status, trend, n.

One round of queries: every metric is one statement covering the 12 trend weeks at
once. Cohort metrics (lead-to-close within 180 days...) show the newest cohort that
has had its whole window by the end of the week, labelled with its week, so a
scorecard never mixes mature and immature cohorts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from scorecard.catalog.load import Catalog
from scorecard.engine.runner import MetricError, Runner
from scorecard.judge import noise, readiness, uncertainty
from scorecard.judge import projection as projecting
from scorecard.judge.readiness import Readiness
from scorecard.judge.verdicts import (  # noqa: F401  (re-exported: the verdict rule's old home)
    BLOCKING,
    FLAGS,
    VERDICT_WORDS,
    Flag,
    Status,
    Verdict,
    _ordered,
    sample_noun,
    status_of,
    target_for,
    verdict,
)
from scorecard.language import periods as cal
from scorecard.language.definitions import WINDOWS, CohortMetric, MetricBase, RatioMetric
from scorecard.sql.query import Query
from scorecard.sql.resolve import CompileError
from scorecard.store.db import Database

REPORT_FIELDS: tuple[str, ...] = (
    "metric", "label", "value", "previous", "delta", "target", "status", "judgeable", "flags", "reason", "n",
    "low_sample", "owners", "owner", "contributors", "trend", "section", "format", "direction", "week", "window",
    "period", "settled", "provisional", "cohort", "note", "projection", "change", "interval", "events",
    "exceptions", "whole",
)  # fmt: skip
"""The fields of a scorecard row in `report --format json` and csv, in order."""
TREND_WEEKS = 12
WHAT_MOVED_DIMENSION = "region"
"""The dimension whose slices "what moved" explains and whose red slices a card names as exceptions."""
MAX_LOOKBACK = 60
"""At most this many windows are read back to find settled ones (a metric that settles slowly)."""


@dataclass(frozen=True)
class TrendPoint:
    week: str
    value: float | None
    n: int
    provisional: bool = False


@dataclass(frozen=True)
class SliceException:
    """A slice of the "what moved" dimension that is judgeably red while the total is not
    (APAC's speed to lead inside a green company): named on the card and in the e-mail."""

    dimension: str
    slice: str
    value: float
    status: Status
    n: int
    interval: tuple[float, float] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension, "slice": self.slice, "value": self.value, "status": self.status,
            "n": self.n, "interval": list(self.interval) if self.interval else None,
        }  # fmt: skip


@dataclass(frozen=True)
class WholePeriod:
    """A to-date ratio over a plan (quota attainment, quarter to date) read against the whole
    period's plan as well: 87% of the quarter's quota, beside the pace of 119% that is judged."""

    value: float
    period: str
    elapsed: float
    """The share of the period's days gone."""

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "period": self.period, "elapsed": self.elapsed}


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
    change: noise.Change | None = None
    """The change from the previous period with its interval, and whether it is larger than its
    noise (`significant`); only a significant change is coloured anywhere."""
    interval: tuple[float, float] | None = None
    """The value's interval at the metric's level (rates, ratios, means, medians, counts)."""
    events: float | None = None
    """For a rate of rare events (wins of leads): the events behind the value."""
    exceptions: tuple[SliceException, ...] = ()
    whole: WholePeriod | None = None

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
    def within_noise(self) -> bool:
        """The value reads amber because its interval reaches across a threshold."""
        return "within_noise" in self.flags

    @property
    def significant(self) -> bool:
        """Whether the change from the previous period is larger than its noise."""
        return self.change is not None and self.change.significant

    @property
    def improved(self) -> bool | None:
        """True if the change since last period is in the good direction, None if flat, unknown or
        within noise: the one rule behind every coloured change (cards, sparklines, PNG, e-mail)."""
        if self.delta is None or self.delta == 0 or not self.significant:
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
        data["change"] = self.change.as_json() if self.change else None
        data["interval"] = list(self.interval) if self.interval else None
        data["exceptions"] = [e.as_json() for e in self.exceptions]
        data["whole"] = self.whole.as_json() if self.whole else None
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


def planned_query(
    catalog: Catalog,
    metric: MetricBase,
    week: cal.Period,
    filters: Mapping[str, Sequence[str]] | None = None,
    window: str | None = None,
    as_of: dt.datetime | None = None,
) -> tuple[Query, int]:
    """The query behind a metric's row and how many of its newest windows are still provisional.

    The judged window is the newest one that has settled by `as_of`, found by stepping back one
    week at a time (a 13-week window ending last week, not a whole window earlier); the trend is
    TREND_WEEKS windows ending with it, then the still-settling window(s) of the week shown (every
    week of a weekly trend; the one window ending with the week shown otherwise). A month or
    quarter to date stepped back ends earlier in the same month or quarter, so it is shown alone."""
    kind = window_of(metric, window)
    days = 0 if isinstance(metric, CohortMetric) or as_of is None else readiness.settles_after(catalog, metric)
    if days == 0:
        return query_for(catalog, metric, week, filters, window), 0
    assert as_of is not None
    lag = dt.timedelta(days=days)
    ends = (cal.window_ending(catalog.calendar, kind, cal.shift_weeks(catalog.calendar, week, -b)).end for b in
            range(MAX_LOOKBACK))  # fmt: skip
    back = next((b for b, end in enumerate(ends) if end + lag <= as_of), None)
    if back is None:  # nothing settled within reach: every window is provisional
        return query_for(catalog, metric, week, filters, window), TREND_WEEKS
    if back == 0:
        return query_for(catalog, metric, week, filters, window), 0
    last = cal.shift_weeks(catalog.calendar, week, -back)
    periods = list(cal.windows_ending(catalog.calendar, kind, last, TREND_WEEKS))
    if kind == "week":
        extra = [cal.shift_weeks(catalog.calendar, week, -b) for b in reversed(range(back))]
    elif kind in ("4w", "13w"):
        extra = [cal.window_ending(catalog.calendar, kind, week)]
    else:
        extra = []
    return Query.build([*periods, *extra], filters=filters, as_of=week.end), len(extra)


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
    planned = {m.name: planned_query(catalog, m, week, kept, window, ready.data_end) for m in chosen}
    with db.engine().connect() as conn:
        runner.prefetch(((m.name, planned[m.name][0]) for m in chosen if not runner.supports(m.name, list(kept))), conn)
        estimates = uncertainty.Estimates(runner, catalog, conn)
        for metric in chosen:
            rows.append(_row(runner, catalog, metric, week, kept, conn, window, ready, planned[metric.name], estimates))
        rows = _with_exceptions(runner, catalog, rows, planned, kept, conn, ready, estimates)
    return Scorecard(
        week, kept, tuple(rows), catalog.version, runner.statements_run, window=window, readiness=ready,
        frames=runner.remembered(),
    )  # fmt: skip


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
    estimates: uncertainty.Estimates,
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
        return dataclasses.replace(empty, note=unsupported, flags=judged.flags, reason=judged.reason)
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
    judged_period = query.periods[index]
    estimate = estimates.of(metric.name, query, judged_period.first) if current.value is not None else None
    before = (
        estimates.of(metric.name, query, query.periods[index - 1].first)
        if index > 0 and previous.value is not None else None
    )  # fmt: skip
    judged = verdict(
        catalog, metric, current.value, current.n, judged_period, filters, ready, kind, provisional=not settled,
        estimate=estimate,
    )  # fmt: skip
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
        change=change_of(metric, delta, estimate, before, previous.n),
        interval=estimate.interval if estimate is not None else None,
        events=estimate.share_events if estimate is not None else None,
        whole=_whole(runner, catalog, metric, judged_period, kind, filters, query, current, conn),
    )


def change_of(
    metric: MetricBase,
    delta: float | None,
    current: noise.Estimate | None,
    previous: noise.Estimate | None,
    previous_n: int,
) -> noise.Change | None:
    """The change between two periods by the metric's rule: significant only when larger than its
    noise at the metric's level, and only when the previous period met `min_sample` (and
    `min_events`) too; `change: always` colours any move."""
    if delta is None:
        return None
    if metric.change == "always":
        return noise.always(delta)
    kind = uncertainty.kind_of(metric) or "ratio"
    method = noise.METHODS[kind]
    too_few = previous_n < metric.min_sample or (
        metric.min_events and previous is not None and (previous.share_events or 0) < metric.min_events
    )
    if current is None or previous is None or too_few:
        return noise.Change(delta, None, None, False, method)
    return noise.change(current, previous, metric.change.level)


def _whole(
    runner: Runner,
    catalog: Catalog,
    metric: MetricBase,
    period: cal.Period,
    kind: str,
    filters: Mapping[str, tuple[str, ...]],
    query: Query,
    current: TrendPoint,
    conn: Any,
) -> WholePeriod | None:
    """For a month or quarter to date of a ratio over a plan (quota attainment): the to-date
    numerator over the whole period's plan, so "87% of the quarter's quota" reads beside the
    pace of 119% that is judged."""
    if kind not in ("mtd", "qtd") or not isinstance(metric, RatioMetric) or current.value is None:
        return None
    plan = metric.denominator.anchor or metric.anchor
    if plan is None or plan.kind != "spread":
        return None
    grain = "month" if kind == "mtd" else "quarter"
    whole = cal.period_containing(catalog.calendar, period.first, grain)  # type: ignore[arg-type]
    if whole.last <= period.last:
        return None
    to_date = runner.run(metric.name, query, conn)
    mine = to_date[to_date["period"] == period.first]
    full = runner.run(metric.name, Query((whole,), (), query.filters, query.as_of), conn)
    if mine.empty or full.empty:
        return None
    numerator, denominator = _number(mine.iloc[0]["numerator"]), _number(full.iloc[0]["denominator"])
    if numerator is None or not denominator:
        return None
    elapsed = ((period.last - whole.first).days + 1) / ((whole.last - whole.first).days + 1)
    return WholePeriod(numerator / denominator, whole.label, elapsed)


def _with_exceptions(
    runner: Runner,
    catalog: Catalog,
    rows: list[ScorecardRow],
    planned: Mapping[str, tuple[Query, int]],
    filters: Mapping[str, tuple[str, ...]],
    conn: Any,
    ready: Readiness,
    estimates: uncertainty.Estimates,
    dimension: str = WHAT_MOVED_DIMENSION,
) -> list[ScorecardRow]:
    """Rows whose total is green or amber, given the slices of `dimension` that are judgeably red
    (with their own sample, events, settled period and interval): a red region is never hidden
    by a green company. Within noise is not an exception."""
    if dimension not in catalog.dimensions or dimension in filters:
        return rows
    wanted: dict[str, Query] = {}
    for row in rows:
        if not row.judgeable or row.status not in ("green", "amber") or runner.supports(row.metric, [dimension]):
            continue
        query = planned[row.metric][0]
        period = next((p for p in query.periods if p.label == row.period), None)
        if period is not None:
            wanted[row.metric] = Query.build((period,), group_by=(dimension,), filters=filters, as_of=query.as_of)
    if not wanted:
        return rows
    runner.prefetch(wanted.items(), conn)
    out = []
    for row in rows:
        if row.metric not in wanted:
            out.append(row)
            continue
        metric = catalog.metric(row.metric)
        grouped = wanted[row.metric]
        period = grouped.periods[0]
        found: list[SliceException] = []
        try:
            frame = runner.run(row.metric, grouped, conn)
        except (MetricError, CompileError):
            out.append(row)
            continue
        kind = uncertainty.kind_of(metric)
        for record in frame.to_dict("records"):
            name, value = record.get(f"d_{dimension}"), _number(record.get("value"))
            scoped = {**filters, dimension: (str(name),)}
            if (
                name is None
                or value is None
                or status_of(value, target_for(metric.target, period, scoped), metric.direction) != "red"
            ):
                continue  # fmt: skip
            if kind in ("percentile", "derived"):
                one = Query.build((period,), filters=scoped, as_of=grouped.as_of)
                estimate = estimates.of(row.metric, one, period.first)
            else:
                estimate = uncertainty.from_row(metric, record, estimates.level(metric))
            judged = verdict(
                catalog, metric, value, int(record.get("n") or 0), period, scoped, ready, row.window,
                provisional=False, estimate=estimate,
            )  # fmt: skip
            if judged.judgeable and judged.status == "red":
                found.append(SliceException(dimension, str(name), value, "red", int(record.get("n") or 0),
                                            estimate.interval if estimate is not None else None))  # fmt: skip
        out.append(dataclasses.replace(row, exceptions=tuple(sorted(found, key=lambda e: e.slice))))
    return out


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


def _number(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)
