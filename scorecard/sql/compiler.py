"""Compile metric definitions into SQLAlchemy Core statements, one per metric.

`Compiler.compile`: a definition plus a `Query` -> one SELECT returning period,
d_<dimension>..., value, numerator, denominator, n, num_sq, den_sq (the sums of squares of
each side's per-row values: 1 per row for a count, so a count's is the count itself; from
them `scorecard.judge.noise` knows how much a value moves by chance). `merged` reads several metrics' sides
in one scan; `maturation` and `cohort_timing` read a cohort's members by age. Names are
resolved by `scorecard.sql.resolve`; the periods are a CTE from `scorecard.sql.query`.
Definitions arrive parsed: nothing here parses text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from scorecard.language import expressions as ex
from scorecard.language.anchors import Time
from scorecard.language.definitions import AggregateMetric, CohortMetric, Measure, MetricBase, RatioMetric
from scorecard.language.settings import Calendar, Dimension
from scorecard.sql import dialects
from scorecard.sql.graph import Graph
from scorecard.sql.query import Query, periods_cte, span
from scorecard.sql.resolve import CompileError, Context, NotApplicable, Scope, ToMany, literal, to_sql


class Definitions(Protocol):
    """What the compiler reads of a loaded catalog."""

    @property
    def graph(self) -> Graph: ...

    @property
    def calendar(self) -> Calendar: ...

    @property
    def dimensions(self) -> Mapping[str, Dimension]: ...


@dataclass(frozen=True)
class Side:
    """One aggregate over one base table: a metric, or a side of a ratio."""

    table: str
    agg: Literal["count", "sum", "average", "percentile", "cohort"]
    time: Time
    value: ex.Node | None = None
    filter: ex.Node | None = None
    fraction: float = 0.5
    event: ex.Node | None = None
    event_time: ex.Node | None = None
    window_days: int = 0


class Compiler:
    """Turns definitions of one catalog into statements."""

    def __init__(self, catalog: Definitions) -> None:
        self.catalog = catalog
        self.graph = catalog.graph

    def _context(self) -> Context:
        return Context(self.graph, zone=self.catalog.calendar.timezone)

    # dimension paths ---------------------------------------------------------------
    def dimension_paths(self, dimension: str, table: str) -> tuple[str, ...]:
        """The paths that give a dimension's value on a base table, first non-null winning."""
        dim = self.catalog.dimensions.get(dimension)
        if dim is None:
            raise CompileError(f"unknown dimension {dimension!r}; dimensions: {', '.join(self.catalog.dimensions)}")
        paths = dim.paths(table)
        if not paths:
            raise NotApplicable(f"dimension {dimension!r} does not reach {table}")
        return paths

    def dimension_path(self, dimension: str, table: str) -> str:
        """The paths of a dimension on a table as one text (for messages and checks)."""
        return " | ".join(self.dimension_paths(dimension, table))

    def reaches(self, dimension: str, table: str) -> bool:
        """True if at least one of the dimension's paths compiles on the table."""
        try:
            self._dimension(dimension, Scope(Context(self.graph), table))
        except NotApplicable:
            return False
        return True

    def _dimension(self, dimension: str, scope: Scope) -> ColumnElement[Any]:
        paths = self.dimension_paths(dimension, scope.table)
        nodes = self.catalog.dimensions[dimension].nodes(scope.table)
        compiled: list[ColumnElement[Any]] = []
        problems: list[str] = []
        for path, node in zip(paths, nodes, strict=True):
            try:
                compiled.append(to_sql(node, scope))
            except (CompileError, ToMany) as exc:
                problems.append(f"{path}: {exc}")
        if not compiled:
            raise NotApplicable(f"dimension {dimension!r} does not reach {scope.table} ({'; '.join(problems)})")
        return compiled[0] if len(compiled) == 1 else sa.func.coalesce(*compiled)

    # sides -------------------------------------------------------------------------------
    def _side_select(self, side: Side, query: Query, periods: sa.CTE, ctx: Context) -> tuple[sa.Select[Any], list[str]]:
        def columns(scope: Scope) -> list[ColumnElement[Any]]:
            numerator, n, _, squares = self._aggregate(side, query, periods, scope)
            return [numerator.label("numerator"), n.label("n"), squares.label("sq")]

        return self._side_scan(side, query, periods, ctx, columns), [f"d_{name}" for name in query.group_by]

    def _side_scan(
        self,
        side: Side,
        query: Query,
        periods: sa.CTE,
        ctx: Context,
        columns: Callable[[Scope], list[ColumnElement[Any]]],
    ) -> sa.Select[Any]:
        """One side's rows met with the periods, filtered and broken down, grouped by period and
        breakdown: period, d_<dim>..., then `columns` (aggregates over the side's scope)."""
        scope = Scope(ctx, side.table)
        join_on, where = self._time_bounds(side, query, periods, scope)
        if side.filter:
            where.append(to_sql(side.filter, scope, condition=True))
        dims = self._breakdown(query, scope, where)
        return (
            sa.select(periods.c.period, *dims, *columns(scope))
            .select_from(scope.selectable().join(periods, join_on))
            .where(*where)
            .group_by(periods.c.period, *[d.element for d in dims])  # type: ignore[attr-defined]
        )

    def _time_bounds(
        self, side: Side, query: Query, periods: sa.CTE, scope: Scope
    ) -> tuple[ColumnElement[Any], list[ColumnElement[Any]]]:
        """How a side's rows meet the periods (the join) and the whole span they may fall in (WHERE)."""
        time = side.time
        where: list[ColumnElement[Any]] = []
        first, last = query.periods[0], query.periods[-1]
        ahead = time.ahead_days > 0
        span_first, span_last = span(periods, time)
        if time.kind == "point":
            t = to_sql(time.first, scope)
            join_on = sa.and_(t >= periods.c.p_start, t < periods.c.p_end)
            where += [t >= literal(first.start), t < literal(last.end)]
        elif time.kind == "open":
            opened, closed = to_sql(time.first, scope), to_sql(time.second, scope)  # type: ignore[arg-type]
            join_on = sa.and_(opened < periods.c.p_end, sa.or_(closed.is_(None), closed >= periods.c.p_end))
            where += [opened < literal(last.end)]
            if time.due is not None:
                due = to_sql(time.due, scope)
                join_on = sa.and_(join_on, due >= periods.c.a_first, due <= periods.c.a_last)
        else:
            begin, end = to_sql(time.first, scope), to_sql(time.second, scope)  # type: ignore[arg-type]
            join_on = sa.and_(begin <= span_last, end >= span_first)
            first_day = first.last + dt.timedelta(days=1) if ahead else first.first
            last_day = last.last + dt.timedelta(days=time.ahead_days)
            where += [begin <= literal(last_day), end >= literal(first_day)]
        return join_on, where

    def _breakdown(self, query: Query, scope: Scope, where: list[ColumnElement[Any]]) -> list[sa.Label[Any]]:
        """The query's breakdown columns (d_<dim>) on a scope; its kept values are added to `where`."""
        dims: list[sa.Label[Any]] = [self._dimension(name, scope).label(f"d_{name}") for name in query.group_by]
        for name, values in query.filters:
            where.append(self._dimension(name, scope).in_(list(values)))
        return dims

    def _aggregate(
        self,
        side: Side,
        query: Query,
        periods: sa.CTE,
        scope: Scope,
        when: ColumnElement[Any] | None = None,
    ) -> tuple[ColumnElement[Any], ColumnElement[Any], ColumnElement[Any], ColumnElement[Any]]:
        """A side's aggregate, its sample size (the rows behind it), its rows and the sum of
        squares of its per-row values (a count's rows are 1 each, so its sum of squares is the
        count). With `when`, only over the rows meeting it (CASE WHEN, so several sides can
        share one scan)."""
        time = side.time
        value = to_sql(side.value, scope) if side.value is not None else None
        if time.kind == "spread" and value is not None:
            span_first, span_last = span(periods, time)
            begin, end = to_sql(time.first, scope), to_sql(time.second, scope)  # type: ignore[arg-type]
            overlap = dialects.days_between(dialects.greatest(begin, span_first), dialects.least(end, span_last)) + 1
            value = value * overlap / (dialects.days_between(begin, end) + 1)
        if when is not None:
            value = sa.case((when, value), else_=sa.null()) if value is not None else None
        every: ColumnElement[Any] = (
            sa.func.count() if when is None else sa.func.count(sa.case((when, sa.literal(1)), else_=sa.null()))
        )
        # The sample is the rows behind the value: for an average or percentile, the rows
        # whose value is known (a lead never touched has no hours to first touch).
        n = sa.func.count(value) if side.agg in ("average", "percentile") and value is not None else every
        squares: ColumnElement[Any] = (
            sa.func.sum(sa.cast(value, sa.Double) * sa.cast(value, sa.Double)) if value is not None else every
        )
        if side.agg == "count":
            return every, n, every, every
        if side.agg == "sum":
            return sa.func.sum(value), n, every, squares
        if side.agg == "average":
            return sa.func.avg(value), n, every, squares
        if side.agg == "percentile":
            return dialects.percentile(value, side.fraction), n, every, sa.cast(sa.null(), sa.Double)  # type: ignore[arg-type]
        entry = to_sql(time.first, scope)
        assert side.event is not None and side.event_time is not None
        happened = to_sql(side.event_time, scope)
        reached = sa.and_(
            *([when] if when is not None else []),
            to_sql(side.event, scope, condition=True),
            happened >= entry,
            dialects.days_between(entry, happened, scope.ctx.zone) <= side.window_days,
            *([happened < literal(query.as_of)] if query.as_of else []),
        )
        if value is None:
            hits = sa.func.sum(sa.case((reached, sa.literal(1)), else_=0))
            return hits, n, every, hits
        worth = sa.cast(value, sa.Double)
        return (
            sa.func.sum(sa.case((reached, value), else_=0)),
            n,
            every,
            sa.func.sum(sa.case((reached, worth * worth), else_=0)),
        )

    def merged(self, sides: Sequence[Side], query: Query) -> sa.Select[Any]:
        """Several sides over one base table, one time anchor and one set of periods, in one scan.

        Columns: period, d_<dim>..., and per side i: r<i> (its rows), v<i> (its aggregate, as a
        double or a count; a cohort's members reaching the event), n<i> (its sample) and q<i>
        (the sum of squares of its per-row values). A side's
        period is absent where r<i> is 0, as it would be in the side's own statement. Raises
        CompileError (NotApplicable) if a side cannot be compiled or the sides do not share a
        table and time anchor."""
        if not sides or len({(s.table, s.time) for s in sides}) != 1:
            raise CompileError("merged sides must share one base table and time anchor")
        ctx = self._context()
        periods = periods_cte(query, sides[0].time.ahead_days)
        scope = Scope(ctx, sides[0].table)
        join_on, where = self._time_bounds(sides[0], query, periods, scope)
        dims = self._breakdown(query, scope, where)
        columns: list[ColumnElement[Any]] = []
        conditions: list[ColumnElement[Any]] = []
        every_row = False
        try:
            for i, side in enumerate(sides):
                when = to_sql(side.filter, scope, condition=True) if side.filter else None
                numerator, n, rows, squares = self._aggregate(side, query, periods, scope, when)
                if side.agg != "count":
                    numerator = sa.cast(numerator, sa.Double)
                columns += [rows.label(f"r{i}"), numerator.label(f"v{i}"), n.label(f"n{i}")]
                if side.agg != "count":  # a count's sum of squares is its value
                    columns.append(sa.cast(squares, sa.Double).label(f"q{i}"))
                if when is None:
                    every_row = True
                else:
                    conditions.append(when)
        except ToMany as crossing:
            raise CompileError(f"{crossing.relation.name!r} is one-to-many from {crossing.relation.source}") from None
        if not every_row:
            where.append(sa.or_(*conditions))
        return (
            sa.select(periods.c.period, *dims, *columns)
            .select_from(scope.selectable().join(periods, join_on))
            .where(*where)
            .group_by(periods.c.period, *[d.element for d in dims])  # type: ignore[attr-defined]
        )

    # metrics -------------------------------------------------------------------------------
    def sides(self, metric: MetricBase) -> list[Side]:
        if isinstance(metric, AggregateMetric):
            agg = {"median": "percentile"}.get(metric.type, metric.type)
            return [Side(metric.of, agg, metric.anchor, metric.value_node, metric.filter_node, metric.fraction)]  # type: ignore[arg-type]
        if isinstance(metric, CohortMetric):
            return [
                Side(
                    metric.of,
                    "cohort",
                    metric.anchor,
                    metric.value_node,
                    metric.filter_node,
                    0.5,
                    metric.event_node,
                    metric.event_time_node,
                    metric.window_days,
                )
            ]
        if isinstance(metric, RatioMetric):
            return [self._measure_side(metric, metric.numerator), self._measure_side(metric, metric.denominator)]
        raise CompileError(f"metric {metric.name} of type {metric.type} is not one statement")  # type: ignore[attr-defined]

    @staticmethod
    def _ahead_days(metric: MetricBase, sides: Sequence[Side]) -> int:
        """The one `ahead_days` a statement's sides look ahead (0: none); sides may not differ."""
        found = {side.time.ahead_days for side in sides} - {0}
        if len(found) > 1:
            raise CompileError(f"metric {metric.name}: both sides must look the same number of days ahead")
        return found.pop() if found else 0

    def _measure_side(self, metric: RatioMetric, measure: Measure) -> Side:
        time = measure.anchor or metric.anchor
        if time is None:
            raise CompileError(f"metric {metric.name}: give `time` on the metric or on each side")
        return Side(measure.table, measure.agg, time, measure.value_node, measure.filter_node)

    def compile(self, metric: MetricBase, query: Query) -> sa.Select[Any]:
        """One SELECT: period, d_<dim>..., value, numerator, denominator, n, num_sq, den_sq."""
        ctx = self._context()
        sides = self.sides(metric)
        periods = periods_cte(query, self._ahead_days(metric, sides))
        try:
            if len(sides) == 1:
                inner, dim_names = self._side_select(sides[0], query, periods, ctx)
                sub = inner.subquery("m")
                value: ColumnElement[Any] = sub.c.numerator
                denominator: ColumnElement[Any] = sa.null()
                if isinstance(metric, CohortMetric):
                    denominator = sub.c.n
                    value = sa.cast(sub.c.numerator, sa.Double) / sa.func.nullif(sa.cast(sub.c.n, sa.Double), 0)
                return sa.select(
                    sub.c.period,
                    *[sub.c[d] for d in dim_names],
                    sa.cast(value, sa.Double).label("value"),
                    sa.cast(sub.c.numerator, sa.Double).label("numerator"),
                    sa.cast(denominator, sa.Double).label("denominator"),
                    sub.c.n,
                    sa.cast(sub.c.sq, sa.Double).label("num_sq"),
                    sa.cast(denominator, sa.Double).label("den_sq"),
                ).order_by(sub.c.period, *[sub.c[d] for d in dim_names])
            num, dim_names = self._side_select(sides[0], query, periods, ctx)
            den, _ = self._side_select(sides[1], query, periods, ctx)
            assert isinstance(metric, RatioMetric)
            both = sa.union_all(self._tagged(num, dim_names, "num"), self._tagged(den, dim_names, "den")).subquery(
                "sides"
            )
            num_total = sa.func.coalesce(sa.func.sum(both.c.num), 0)
            den_total = sa.func.sum(both.c.den)
            n_column = both.c.num_n if metric.sample == "numerator" else both.c.den_n
            keys = [both.c.period, *[both.c[d] for d in dim_names]]
            return (
                sa.select(
                    *keys,
                    (sa.cast(num_total, sa.Double) / sa.func.nullif(sa.cast(den_total, sa.Double), 0)).label("value"),
                    sa.cast(num_total, sa.Double).label("numerator"),
                    sa.cast(den_total, sa.Double).label("denominator"),
                    sa.func.sum(n_column).label("n"),
                    sa.cast(sa.func.sum(both.c.num_sq), sa.Double).label("num_sq"),
                    sa.cast(sa.func.sum(both.c.den_sq), sa.Double).label("den_sq"),
                )
                .group_by(*keys)
                .order_by(*keys)
            )
        except ToMany as crossing:
            raise CompileError(
                f"{crossing.relation.name!r} is one-to-many from {crossing.relation.source}: use "
                f"count({crossing.relation.name}) or min/max/sum/avg({crossing.relation.name}.column) in an "
                f"expression, or make {crossing.relation.target} the base table"
            ) from None

    def order_statistics(self, metric: MetricBase, query: Query, fractions: Sequence[float]) -> sa.Select[Any]:
        """For a median or percentile: per period (and breakdown), the continuous percentiles at
        `fractions` (columns q0, q1...). At fraction (j - 1) / (n - 1) a continuous percentile is
        exactly the j-th smallest of n values, so the ends of an order-statistic interval are read
        without fetching a row."""
        (side,) = self.sides(metric)
        if side.agg != "percentile":
            raise CompileError(f"metric {metric.name}: order statistics need a median or percentile")
        periods = periods_cte(query, side.time.ahead_days)

        def columns(scope: Scope) -> list[ColumnElement[Any]]:
            return [
                sa.cast(self._aggregate(replace(side, fraction=f), query, periods, scope)[0], sa.Double).label(f"q{i}")
                for i, f in enumerate(fractions)
            ]

        return self._side_scan(side, query, periods, self._context(), columns)

    def maturation(self, metric: CohortMetric, query: Query, max_weeks: int) -> sa.Select[Any]:
        """Cohort members counted by age in weeks and by weeks until the event (NULL: not reached).

        From these counts a maturation curve is exact: the share converted within k weeks
        among members at least k weeks old, so young cohorts never drag a curve down.
        """
        if query.as_of is None:
            raise CompileError("a maturation curve needs an as-of instant")
        ctx, periods, scope, entry, happened, where = self._cohort_members(metric, query)
        dims = [self._dimension(name, scope).label(f"d_{name}") for name in query.group_by]
        as_of = literal(query.as_of)
        reached = sa.and_(
            to_sql(metric.event_node, scope, condition=True),
            happened >= entry,
            happened < as_of,
            dialects.days_between(entry, happened, ctx.zone) < (max_weeks + 1) * 7,
        )
        age = dialects.least(dialects.FloorInt(dialects.days_between(entry, as_of, ctx.zone) / 7.0), literal(max_weeks))
        until = sa.case(
            (reached, dialects.FloorInt(dialects.days_between(entry, happened, ctx.zone) / 7.0)), else_=sa.null()
        )
        selectable = scope.selectable().join(periods, sa.and_(entry >= periods.c.p_start, entry < periods.c.p_end))
        return (
            sa.select(*dims, age.label("age_weeks"), until.label("event_week"), sa.func.count().label("members"))
            .select_from(selectable)
            .where(*where, entry < as_of)
            .group_by(*[d.element for d in dims], age, until)  # type: ignore[attr-defined]
        )

    def _cohort_members(
        self, metric: CohortMetric, query: Query
    ) -> tuple[Context, Any, Scope, ColumnElement[Any], ColumnElement[Any], list[ColumnElement[Any]]]:
        """What a cohort's maturation and timing share: the members entering in the query's periods
        (filtered by the metric's filter and the query's), their entry and event instants."""
        ctx = self._context()
        periods = periods_cte(query)
        scope = Scope(ctx, metric.of)
        entry = to_sql(metric.anchor.first, scope)
        happened = to_sql(metric.event_time_node, scope)
        first, last = query.periods[0], query.periods[-1]
        where: list[ColumnElement[Any]] = [entry >= literal(first.start), entry < literal(last.end)]
        if metric.filter_node is not None:
            where.append(to_sql(metric.filter_node, scope, condition=True))
        for name, values in query.filters:
            where.append(self._dimension(name, scope).in_(list(values)))
        return ctx, periods, scope, entry, happened, where

    def cohort_timing(self, metric: CohortMetric, query: Query) -> sa.Select[Any]:
        """Per cohort period, members counted by the week (since entry) in which they reached the
        event before `as_of` (NULL: not reached), and whether that was within the window; with
        the event's value summed for value cohorts. Projections of young cohorts read it."""
        if query.as_of is None:
            raise CompileError("cohort timing needs an as-of instant")
        ctx, periods, scope, entry, happened, where = self._cohort_members(metric, query)
        as_of = literal(query.as_of)
        days = dialects.days_between(entry, happened, ctx.zone)
        reached = sa.and_(to_sql(metric.event_node, scope, condition=True), happened >= entry, happened < as_of)
        until = sa.case((reached, dialects.FloorInt(days / 7.0)), else_=sa.null())
        in_window = sa.case((sa.and_(reached, days <= metric.window_days), 1), else_=0)
        value = to_sql(metric.value_node, scope) if metric.value_node is not None else sa.literal(1)
        amount = sa.func.sum(sa.case((reached, value), else_=0))
        selectable = scope.selectable().join(periods, sa.and_(entry >= periods.c.p_start, entry < periods.c.p_end))
        return (
            sa.select(
                periods.c.period,
                until.label("event_week"),
                in_window.label("in_window"),
                sa.func.count().label("members"),
                sa.cast(amount, sa.Double).label("amount"),
            )
            .select_from(selectable)
            .where(*where, entry < as_of)
            .group_by(periods.c.period, until, in_window)
        )

    def dimension_values(
        self, dimension: str, table: str, limit: int, filters: Mapping[str, Sequence[str]] | None = None
    ) -> sa.Select[Any]:
        """Distinct values of a dimension as seen from one table, for filter pickers, among the
        rows that pass `filters` (NotApplicable if one cannot be applied from this table)."""
        scope = Scope(self._context(), table)
        column = self._dimension(dimension, scope).label("value")
        kept = [self._dimension(name, scope).in_(list(values)) for name, values in (filters or {}).items() if values]
        return (
            sa.select(column)
            .select_from(scope.selectable())
            .where(column.isnot(None), *kept)
            .group_by(column)
            .order_by(column)
            .limit(limit)
        )

    def members(self, table: str, dimensions: Sequence[str], hired: ex.Node | None = None) -> sa.Select[Any]:
        """One row per person of `table` (reps): the dimensions' values (d_<dim>) and the earliest
        `hired` value, for peer groups and tenure. Raises NotApplicable if a dimension is not
        kept on the table, CompileError if `hired` is not a column of it."""
        scope = Scope(self._context(), table)
        dims = [self._dimension(name, scope).label(f"d_{name}") for name in dimensions]
        extra = [sa.func.min(to_sql(hired, scope)).label("hired")] if hired is not None else []
        return (
            sa.select(*dims, *extra)
            .select_from(scope.selectable())
            .where(dims[0].isnot(None))
            .group_by(*[d.element for d in dims])  # type: ignore[attr-defined]
        )

    @staticmethod
    def _tagged(side: sa.Select[Any], dim_names: list[str], which: str) -> sa.Select[Any]:
        sub = side.subquery(f"{which}_side")
        is_num = which == "num"
        return sa.select(
            sub.c.period,
            *[sub.c[d] for d in dim_names],
            (sub.c.numerator if is_num else sa.cast(sa.null(), sa.Double)).label("num"),
            (sa.cast(sa.null(), sa.Double) if is_num else sub.c.numerator).label("den"),
            (sub.c.n if is_num else sa.literal(0, sa.Integer)).label("num_n"),
            (sa.literal(0, sa.Integer) if is_num else sub.c.n).label("den_n"),
            (sa.cast(sub.c.sq, sa.Double) if is_num else sa.cast(sa.null(), sa.Double)).label("num_sq"),
            (sa.cast(sa.null(), sa.Double) if is_num else sa.cast(sub.c.sq, sa.Double)).label("den_sq"),
        )
