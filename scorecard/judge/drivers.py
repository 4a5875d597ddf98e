"""What moved: a metric's change between two periods, split by the values of one dimension.

The per-slice numbers come from the engine (the metric's own statement grouped by the
dimension, over the two periods the scorecard compares); pandas only combines those
finished, small results. Nothing here computes a metric a second way.

How a change is split, per metric type (`Movement.method`):

- **additive** (count, sum): the total is the sum of its slices, so each slice's
  contribution is its own change, ``c_s = v1_s - v0_s`` (effect ``total``).
- **shift-share** (ratio, average, cohort): the total is a weighted mean of the slices'
  rates, ``R = sum_s w_s * r_s`` with weight ``w_s = d_s / D`` (the slice's share of the
  denominator: closed deals, rows averaged, cohort members) and rate ``r_s = n_s / d_s``.
  The change of each slice's part ``w_s * r_s`` is split exactly by the symmetric
  (midpoint) shift-share::

      mix_s  = (w1_s - w0_s) * (r0_s + r1_s) / 2     the slice grew or shrank
      rate_s = (r1_s - r0_s) * (w0_s + w1_s) / 2     the slice's own value changed

  and ``mix_s + rate_s = w1_s * r1_s - w0_s * r0_s`` with no residual. A slice that
  appears (no denominator before) takes ``r0 = r1``, so its whole part ``w1 * r1`` is mix;
  one that disappears takes ``r1 = r0``, so ``-w0 * r0`` is mix. A slice with a
  numerator but no denominator in one of the periods (calls on a rep with no closes) has
  no rate: its part ``n_s / D`` changes as a whole (effect ``total``).
- **none**: medians and percentiles (the median of the whole is not made of the medians
  of its parts) and derived metrics (a formula over other metrics' totals; look at the
  drivers of the metrics it names) are not decomposed; `Movement.reason` says why.

Every decomposition is checked: the slices' numerators and denominators must add up to
the ungrouped totals the engine returns (a dimension that puts a row in two slices, or
leaves rows out, fails the check and is reported as not decomposable), so the
contributions always add up to the change shown on the card.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import pandas as pd
import sqlalchemy as sa

from scorecard.catalog.load import Catalog
from scorecard.engine.runner import MetricError, Runner
from scorecard.judge.weekly import WHAT_MOVED_DIMENSION, Scorecard, planned_query
from scorecard.language import periods as cal
from scorecard.language.definitions import (
    AggregateMetric,
    CohortMetric,
    DerivedMetric,
    MetricBase,
    RankMetric,
    RatioMetric,
)
from scorecard.language.formatting import format_delta
from scorecard.language.settings import Locale
from scorecard.sql.query import Query
from scorecard.sql.resolve import CompileError
from scorecard.store.db import Database

Effect = Literal["total", "mix", "rate"]
Method = Literal["additive", "shift-share", "none"]
Presence = Literal["appeared", "disappeared", "both"]

NO_VALUE: Final = "(none)"
"""The slice of rows whose dimension value is unknown (a lead without a campaign)."""
DEFAULT_DIMENSION: Final = WHAT_MOVED_DIMENSION
"""The dimension the scorecard's one-line drivers use unless another is chosen."""
CANDIDATE_DIMENSIONS: Final = ("region", "product", "source", "segment", "channel", "team", "rep")
"""Dimensions offered for "What moved", in this order when the catalog has them."""
_TOLERANCE: Final = 1e-9


@dataclass(frozen=True)
class Driver:
    """One entry of a breakdown: how much one slice moved the total, and by which effect."""

    dimension: str
    value: str
    contribution: float
    effect: Effect

    def as_json(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "value": self.value, "contribution": self.contribution,
                "effect": self.effect}  # fmt: skip


@dataclass(frozen=True)
class Slice:
    """One value of the dimension in both periods.

    `before`/`after` are the slice's own value (its sum for additive metrics, its rate
    otherwise; None where the slice had no denominator); `weight_*` its share of the
    denominator (None for additive metrics); `mix + rate == total` when both are set.
    """

    value: str
    before: float | None
    after: float | None
    weight_before: float | None
    weight_after: float | None
    n_before: int
    n_after: int
    total: float
    mix: float | None = None
    rate: float | None = None
    status: Presence = "both"


@dataclass(frozen=True)
class Movement:
    """A metric's change between two periods, broken down by one dimension."""

    metric: str
    dimension: str
    before_period: str
    after_period: str
    before: float | None
    after: float | None
    method: Method
    slices: tuple[Slice, ...] = ()
    reason: str | None = None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def decomposed(self) -> bool:
        return self.reason is None and self.method != "none"

    @property
    def drivers(self) -> tuple[Driver, ...]:
        """Every effect of every slice, largest (by size) first; zero effects left out."""
        out: list[Driver] = []
        for s in self.slices:
            if s.mix is not None and s.rate is not None:
                out.append(Driver(self.dimension, s.value, s.mix, "mix"))
                out.append(Driver(self.dimension, s.value, s.rate, "rate"))
            else:
                out.append(Driver(self.dimension, s.value, s.total, "total"))
        kept = [d for d in out if abs(d.contribution) > _TOLERANCE]
        return tuple(sorted(kept, key=lambda d: (-abs(d.contribution), d.value, d.effect)))

    def top(self, count: int = 2) -> tuple[Driver, ...]:
        return self.drivers[:count]

    def residual(self) -> float:
        """Change minus the sum of the slices' contributions (zero up to rounding when decomposed)."""
        if self.change is None:
            return 0.0
        return self.change - math.fsum(s.total for s in self.slices)


def decompose(
    runner: Runner,
    catalog: Catalog,
    metric: str,
    week: cal.Period,
    dimension: str,
    filters: Mapping[str, Sequence[str]] | None = None,
    conn: sa.Connection | None = None,
    *,
    window: str | None = None,
    data_end: dt.datetime | None = None,
) -> Movement:
    """What moved `metric` between the two periods the scorecard compares for `week`, by `dimension`.

    The periods are the pair the scorecard row compares (`scorecard.compared_periods`): the
    week (or window) and the one before, the latest settled one when the newest can still
    change (`data_end`: where the data ends), or a cohort metric's newest mature cohort and
    the one before; under the same filters.
    """
    definition = catalog.metric(metric)
    before_p, after_p, query = compared_periods(catalog, definition, week, filters, window, data_end)
    base, grouped = _pair_queries(before_p, after_p, query, dimension)
    empty = Movement(metric, dimension, before_p.label, after_p.label, None, None, "none")

    if dimension not in catalog.dimensions:
        return _with(empty, reason=f"unknown dimension {dimension!r}")
    method, why = method_of(definition)
    try:
        totals = runner.run(metric, base, conn)
    except (MetricError, CompileError) as exc:
        return _with(empty, reason=str(exc))
    before, after = _value(totals, before_p), _value(totals, after_p)
    movement = _with(empty, before=before, after=after, method=method)
    if why is not None:
        return _with(movement, reason=why)
    unsupported = runner.supports(metric, [*query.filter_map, dimension])
    if unsupported:
        return _with(movement, reason=f"cannot break down by {dimension}: {unsupported}")
    if before is None or after is None:
        missing = before_p.label if before is None else after_p.label
        return _with(movement, reason=f"no value in {missing}, so there is no change to explain")
    try:
        frame = runner.run(metric, grouped, conn)
    except (MetricError, CompileError) as exc:
        return _with(movement, reason=str(exc))
    column = f"d_{dimension}"
    parts = frame.assign(slice=[NO_VALUE if _missing(v) else str(v) for v in frame[column]])
    if method == "additive":
        slices, problem = _additive(parts, totals, before_p, after_p)
    else:
        slices, problem = _shift_share(parts, totals, before_p, after_p, definition)
    if problem:
        return _with(movement, reason=f"the {dimension} slices {problem}")
    out = _with(movement, slices=tuple(sorted(slices, key=lambda s: (-abs(s.total), s.value))))
    if abs(out.residual()) > _TOLERANCE * max(1.0, abs(after), abs(before)):  # pragma: no cover - guarded above
        return _with(movement, reason=f"the {dimension} slices leave {out.residual():g} unexplained")
    return out


def _pair_queries(before: cal.Period, after: cal.Period, query: Query, dimension: str) -> tuple[Query, Query]:
    """The two statements a split reads: the pair of periods whole, and broken down by the dimension."""
    base = Query.build((before, after), filters=query.filter_map, as_of=query.as_of)
    grouped = Query.build((before, after), group_by=(dimension,), filters=query.filter_map, as_of=query.as_of)
    return base, grouped


def compared_periods(
    catalog: Catalog,
    metric: MetricBase,
    week: cal.Period,
    filters: Mapping[str, Sequence[str]] | None = None,
    window: str | None = None,
    data_end: dt.datetime | None = None,
) -> tuple[cal.Period, cal.Period, Query]:
    """The two periods a scorecard row's change is between (the same choice `scorecard._row` makes)."""
    query, unsettled = planned_query(catalog, metric, week, filters, window, data_end)
    judged = len(query.periods) - 1 - unsettled
    if judged < 1:  # nothing settled: the row compares the newest two, flagged provisional
        judged = len(query.periods) - 1
    return query.periods[judged - 1], query.periods[judged], query


def method_of(metric: MetricBase) -> tuple[Method, str | None]:
    """How a metric's change can be split, or why it cannot."""
    if isinstance(metric, AggregateMetric):
        if metric.type in ("count", "sum"):
            return "additive", None
        if metric.type == "average":
            return "shift-share", None
        return "none", f"a {metric.type} of the whole is not made of the {metric.type}s of its parts"
    if isinstance(metric, (RatioMetric, CohortMetric)):
        return "shift-share", None
    if isinstance(metric, DerivedMetric):
        return "none", (
            "a derived metric is a formula over other metrics' totals; see what moved " + ", ".join(metric.components)
        )
    if isinstance(metric, RankMetric):
        return "none", "a ranking is a table, not a value"
    return "none", f"metric type {getattr(metric, 'type', '?')} is not decomposed"


def _with(movement: Movement, **changes: Any) -> Movement:
    from dataclasses import replace

    return replace(movement, **changes)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _num(value: object) -> float:
    return 0.0 if _missing(value) else float(value)  # type: ignore[arg-type]


def _value(frame: pd.DataFrame, period: cal.Period) -> float | None:
    rows = frame[frame["period"] == period.first]
    if rows.empty or _missing(rows["value"].iloc[0]):
        return None
    return float(rows["value"].iloc[0])


def _row(frame: pd.DataFrame, period: cal.Period) -> Mapping[str, Any] | None:
    rows = frame[frame["period"] == period.first]
    return None if rows.empty else rows.iloc[0].to_dict()


def _presence(before: bool, after: bool) -> Presence:
    return "appeared" if after and not before else "disappeared" if before and not after else "both"


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= _TOLERANCE * max(1.0, abs(a), abs(b))


def _additive(
    parts: pd.DataFrame, totals: pd.DataFrame, before_p: cal.Period, after_p: cal.Period
) -> tuple[list[Slice], str | None]:
    """Each slice's own change: the total is the sum of its slices."""
    values: dict[str, list[float]] = {}
    counts: dict[str, list[int]] = {}
    for row in parts.itertuples(index=False):
        i = 0 if row.period == before_p.first else 1
        values.setdefault(row.slice, [0.0, 0.0])[i] += _num(row.value)
        counts.setdefault(row.slice, [0, 0])[i] += int(row.n)
    for i, period in enumerate((before_p, after_p)):
        total = _value(totals, period) or 0.0
        added = math.fsum(v[i] for v in values.values())
        if not _close(added, total):
            return [], f"add up to {added:g} in {period.label}, not the total {total:g}"
    return [
        Slice(
            name,
            v[0],
            v[1],
            None,
            None,
            counts[name][0],
            counts[name][1],
            v[1] - v[0],
            status=_presence(counts[name][0] > 0, counts[name][1] > 0),
        )
        for name, v in values.items()
    ], None


def _shift_share(
    parts: pd.DataFrame,
    totals: pd.DataFrame,
    before_p: cal.Period,
    after_p: cal.Period,
    metric: MetricBase,
) -> tuple[list[Slice], str | None]:
    """Mix and rate per slice from each slice's numerator and denominator."""
    average = isinstance(metric, AggregateMetric)
    cohort = isinstance(metric, CohortMetric)

    def sides(row: Any) -> tuple[float, float]:
        if average:  # numerator holds the slice's average; the rows averaged are n
            return _num(row.value) * int(row.n), float(int(row.n))
        if cohort:  # numerator holds the events (or their value), the members are n
            return _num(row.numerator), float(int(row.n))
        return _num(row.numerator), _num(row.denominator)

    num: dict[str, list[float]] = {}
    den: dict[str, list[float]] = {}
    counts: dict[str, list[int]] = {}
    for row in parts.itertuples(index=False):
        i = 0 if row.period == before_p.first else 1
        n_side, d_side = sides(row)
        num.setdefault(row.slice, [0.0, 0.0])[i] += n_side
        den.setdefault(row.slice, [0.0, 0.0])[i] += d_side
        counts.setdefault(row.slice, [0, 0])[i] += int(row.n)
    totals_nd: list[tuple[float, float]] = []
    for i, period in enumerate((before_p, after_p)):
        found = _row(totals, period)
        assert found is not None  # the caller checked both periods have a value
        total_num, total_den = sides(pd.Series(found))
        slice_num = math.fsum(v[i] for v in num.values())
        slice_den = math.fsum(v[i] for v in den.values())
        if not (_close(slice_num, total_num) and _close(slice_den, total_den)):
            return [], (
                f"do not add up to the total in {period.label} (numerators {slice_num:g} vs {total_num:g}, "
                f"denominators {slice_den:g} vs {total_den:g}): some rows sit in more than one slice or in none"
            )
        totals_nd.append((total_num, total_den))
    (_, d0_total), (_, d1_total) = totals_nd
    out = []
    for name in num:
        n0, n1 = num[name]
        d0, d1 = den[name]
        w0, w1 = d0 / d0_total, d1 / d1_total
        part0, part1 = n0 / d0_total, n1 / d1_total
        r0 = n0 / d0 if d0 else None
        r1 = n1 / d1 if d1 else None
        mix: float | None
        rate: float | None
        if r0 is not None and r1 is not None:
            mix = (w1 - w0) * (r0 + r1) / 2
            rate = (r1 - r0) * (w0 + w1) / 2
        elif r0 is None and r1 is not None and n0 == 0:  # appeared: r0 taken as r1
            mix, rate = w1 * r1, 0.0
        elif r1 is None and r0 is not None and n1 == 0:  # disappeared: r1 taken as r0
            mix, rate = -w0 * r0, 0.0
        else:  # a numerator without a denominator in some period: no rate to split on
            mix = rate = None
        presence = _presence(bool(n0 or d0), bool(n1 or d1))
        out.append(Slice(name, r0, r1, w0, w1, counts[name][0], counts[name][1], part1 - part0, mix, rate, presence))
    return out, None


# --- words ---------------------------------------------------------------------------------------


def drivers_line(movement: Movement, unit: str, count: int = 2, *, locale: Locale) -> str:
    """'+16.7 pts: APAC +12.5 pts (mix), NA +9.4 pts (rate)': the change and its top drivers."""
    if movement.change is None:
        return ""
    head = format_delta(movement.change, unit, locale=locale)
    if not movement.decomposed:
        return head
    tops = movement.top(count)
    if not tops:
        return head
    return (
        head
        + ": "
        + ", ".join(f"{d.value} {format_delta(d.contribution, unit, locale=locale)} ({d.effect})" for d in tops)
    )


def slices_frame(movement: Movement) -> pd.DataFrame:
    """The full "What moved" table: one row per slice, largest contribution first."""
    columns = ["value", "before", "after", "weight_before", "weight_after", "n_before", "n_after", "mix", "rate",
               "total", "status"]  # fmt: skip
    rows = [
        {
            "value": s.value,
            "before": s.before,
            "after": s.after,
            "weight_before": s.weight_before,
            "weight_after": s.weight_after,
            "n_before": s.n_before,
            "n_after": s.n_after,
            "mix": s.mix,
            "rate": s.rate,
            "total": s.total,
            "status": s.status,
        }
        for s in movement.slices
    ]
    return pd.DataFrame(rows, columns=columns)


def waterfall_frame(movement: Movement, limit: int = 12) -> pd.DataFrame:
    """Steps from the value before to the value after: one bar per driver (the largest `limit`,
    the rest summed as 'other'), plus the two end bars. Columns: step, kind (start|driver|end),
    contribution, low, high, order."""
    if movement.before is None or movement.after is None:
        return pd.DataFrame(columns=["step", "kind", "effect", "contribution", "low", "high", "order"])
    drivers = list(movement.drivers)
    shown = drivers[:limit]
    rest = math.fsum(d.contribution for d in drivers[limit:])
    rows: list[dict[str, Any]] = [
        {
            "step": movement.before_period,
            "kind": "start",
            "effect": "",
            "contribution": movement.before,
            "low": 0.0,
            "high": movement.before,
        },  # fmt: skip
    ]
    level = movement.before
    steps = [(f"{d.value} ({d.effect})", d.effect, d.contribution) for d in shown]
    if len(drivers) > limit:
        steps.append((f"{len(drivers) - limit} others", "total", rest))
    for label, effect, amount in steps:
        rows.append({"step": label, "kind": "driver", "effect": effect, "contribution": amount,
                     "low": min(level, level + amount), "high": max(level, level + amount)})  # fmt: skip
        level += amount
    rows.append({"step": movement.after_period, "kind": "end", "effect": "", "contribution": movement.after,
                 "low": 0.0, "high": movement.after})  # fmt: skip
    out = pd.DataFrame(rows)
    out["order"] = range(len(out))
    return out


# --- the whole scorecard -------------------------------------------------------------------------


def for_scorecard(
    db: Database,
    catalog: Catalog,
    week: cal.Period,
    metrics: Sequence[str],
    dimensions: Sequence[str] = (DEFAULT_DIMENSION,),
    filters: Mapping[str, Sequence[str]] | None = None,
    runner: Runner | None = None,
    *,
    window: str | None = None,
    data_end: dt.datetime | None = None,
) -> dict[str, dict[str, Movement]]:
    """{metric: {dimension: Movement}} for the scorecard's metrics: per metric the ungrouped pair
    of periods (shared by every dimension) and one breakdown per dimension, the metrics that
    share a table and time anchor read in one scan (`Runner.prefetch`).
    Pass the scorecard's `window` and `readiness.data_end` so each split explains its row's change."""
    runner = runner or Runner(db, catalog)
    out: dict[str, dict[str, Movement]] = {}
    with db.engine().connect() as conn:
        wanted: list[tuple[str, Query]] = []
        for metric in metrics:
            before, after, query = compared_periods(catalog, catalog.metric(metric), week, filters, window, data_end)
            for dim in dimensions:
                base, grouped = _pair_queries(before, after, query, dim)
                wanted.append((metric, base))
                if dim in catalog.dimensions and runner.supports(metric, [*query.filter_map, dim]) is None:
                    wanted.append((metric, grouped))
        runner.prefetch(wanted, conn)  # the sides that share a table and time anchor, one scan each
        for metric in metrics:
            out[metric] = {
                dim: decompose(runner, catalog, metric, week, dim, filters, conn, window=window, data_end=data_end)
                for dim in dimensions
            }
    return out


def for_card(
    db: Database,
    catalog: Catalog,
    card: Scorecard,
    dimensions: Sequence[str] = (DEFAULT_DIMENSION,),
    runner: Runner | None = None,
) -> dict[str, dict[str, Movement]]:
    """What moved each row of a built scorecard: the same week, filters, window and settled periods."""
    data_end = card.readiness.data_end if card.readiness is not None else None
    if runner is None:
        runner = Runner(db, catalog)
        runner.remember(card.frames)  # each row's two weeks are in its trend: no second statement for them
    return for_scorecard(
        db, catalog, card.week, [r.metric for r in card.rows], dimensions, card.filters, runner,
        window=card.window, data_end=data_end,
    )  # fmt: skip


def report_drivers(movements: Mapping[str, Movement]) -> list[dict[str, Any]]:
    """The JSON report's `drivers` of one metric: per dimension (in the order asked), every effect
    of every slice, largest first. Each dimension's contributions add up to the change."""
    return [d.as_json() for movement in movements.values() for d in movement.drivers]


def report_note(movements: Mapping[str, Movement]) -> str | None:
    """Why a metric's change is not broken down (the first dimension's reason), or None."""
    reasons = [f"{m.dimension}: {m.reason}" for m in movements.values() if m.reason]
    return "; ".join(reasons) or None
