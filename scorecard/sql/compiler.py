"""Compile metric definitions into SQLAlchemy Core statements, one per metric.

The pieces:
- `Graph`: tables of the model plus the relationships metrics.yaml declares.
- `Scope`: one base table in one statement; resolving `opportunity.account.region`
  adds LEFT OUTER JOINs along many-to-one relationships (never a fan-out). A
  condition that goes through a one-to-many relationship (`activities.type = 'demo'`
  on opportunities) becomes EXISTS, and `count(activities)` / `min(activities.x)`
  become correlated subqueries, so an aggregate never double-counts.
- `Query`: which periods (weeks, months... as explicit UTC bounds), which dimensions
  to group by and which dimension values to keep.
- `compile_metric`: a definition plus a query -> one SELECT returning
  period, d_<dimension>..., value, numerator, denominator, n.

Every literal from YAML or from a filter value is a bound parameter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from scorecard.language import expressions as ex
from scorecard.language.definitions import (
    AggregateMetric,
    AheadTime,
    CohortMetric,
    Measure,
    MetricBase,
    RatioMetric,
    Relationship,
)
from scorecard.language.periods import Period
from scorecard.sql import dialects
from scorecard.store import model

if TYPE_CHECKING:
    from scorecard.catalog.load import Catalog


class CompileError(ValueError):
    """A definition cannot be turned into SQL; the message says which name and why."""


class NotApplicable(CompileError):
    """A dimension (filter or breakdown) does not reach this metric's base table."""


# --- relationships --------------------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """A named hop from one table to another; to_many when one row reaches many."""

    name: str
    source: str
    target: str
    source_column: str
    target_column: str
    to_many: bool


class Graph:
    """The model's tables and the declared relationships between them."""

    def __init__(self, relationships: Iterable[Relationship]) -> None:
        self.tables: Mapping[str, sa.Table] = model.TABLES
        self._relations: dict[str, dict[str, Relation]] = {name: {} for name in self.tables}
        for rel in relationships:
            if rel.from_ not in self.tables or rel.to not in self.tables:
                continue  # reported by catalog validation
            self._relations[rel.from_][rel.name] = Relation(
                rel.name, rel.from_, rel.to, rel.column, rel.to_column, False
            )
            if rel.reverse:
                self._relations[rel.to][rel.reverse] = Relation(
                    rel.reverse, rel.to, rel.from_, rel.to_column, rel.column, True
                )

    def relation(self, table: str, name: str) -> Relation | None:
        return self._relations.get(table, {}).get(name)

    def relations(self, table: str) -> Mapping[str, Relation]:
        return self._relations.get(table, {})

    def columns(self, table: str) -> list[str]:
        return list(self.tables[table].c.keys())

    def many_to_one_paths(self, source: str, target: str, depth: int = 3) -> list[tuple[Relation, ...]]:
        """The shortest many-to-one paths from source to target (several if ambiguous)."""
        frontier: list[tuple[str, tuple[Relation, ...]]] = [(source, ())]
        for _ in range(depth):
            found: list[tuple[Relation, ...]] = []
            nxt: list[tuple[str, tuple[Relation, ...]]] = []
            for table, path in frontier:
                for rel in self.relations(table).values():
                    if rel.to_many or any(r.target == rel.target for r in path) or rel.target == source:
                        continue
                    if rel.target == target:
                        found.append((*path, rel))
                    nxt.append((rel.target, (*path, rel)))
            if found:
                return found
            frontier = nxt
        return []


# --- scopes and name resolution ---------------------------------------------------------


class _ToMany(Exception):
    """Raised while resolving a name that crosses a one-to-many relationship."""

    def __init__(self, alias: sa.FromClause, relation: Relation, rest: tuple[str, ...]) -> None:
        super().__init__(relation.name)
        self.alias = alias
        self.relation = relation
        self.rest = rest


@dataclass
class _Context:
    """Per-statement state: unique alias names, and the calendar's time zone (in which
    `days_between` counts calendar days)."""

    graph: Graph
    used: set[str] = field(default_factory=set)
    zone: str = "UTC"

    def unique(self, name: str) -> str:
        candidate, i = name, 2
        while candidate in self.used:
            candidate, i = f"{name}_{i}", i + 1
        self.used.add(candidate)
        return candidate


class Scope:
    """One base table in a statement, with the joins its expressions need."""

    def __init__(self, ctx: _Context, table: str, parent: Scope | None = None) -> None:
        if table not in ctx.graph.tables:
            raise CompileError(f"unknown table {table!r}; tables: {', '.join(ctx.graph.tables)}")
        self.ctx = ctx
        self.table = table
        self.parent = parent
        self.alias: sa.FromClause = ctx.graph.tables[table].alias(ctx.unique(table))
        self._joins: dict[tuple[str, ...], tuple[sa.FromClause, sa.FromClause, Relation]] = {}

    def selectable(self) -> sa.FromClause:
        """The base table LEFT OUTER JOINed with every many-to-one hop used so far."""
        joined: sa.FromClause = self.alias
        for target, source, rel in self._joins.values():
            joined = joined.outerjoin(target, target.c[rel.target_column] == source.c[rel.source_column])
        return joined

    def subquery(self, *columns: ColumnElement[Any]) -> sa.Select[Any]:
        """A SELECT over this scope that correlates every outer table, however deeply nested.

        SQLAlchemy's automatic correlation only reaches the directly enclosing statement.
        """
        own = [self.alias, *(target for target, _, _ in self._joins.values())]
        return sa.select(*columns).select_from(self.selectable()).correlate_except(*own)

    def _join(self, path: tuple[str, ...], source: sa.FromClause, rel: Relation) -> sa.FromClause:
        if path not in self._joins:
            target = self.ctx.graph.tables[rel.target].alias(self.ctx.unique("_".join(path)))
            self._joins[path] = (target, source, rel)
        return self._joins[path][0]

    def resolve(self, parts: Sequence[str]) -> ColumnElement[Any]:
        """A column reached from this table along relationships."""
        parts = tuple(parts)
        graph = self.ctx.graph
        if parts and parts[0] == "outer":
            if self.parent is None:
                raise CompileError("'outer.' is only meaningful inside count()/exists()/min()... filters")
            return self.parent.resolve(parts[1:])
        if len(parts) >= 2 and parts[0] == self.table and parts[0] not in graph.relations(self.table):
            parts = parts[1:]
        table, alias = self.table, self.alias
        path: tuple[str, ...] = ()
        for i, part in enumerate(parts[:-1]):
            rel = graph.relation(table, part)
            if rel is None and i == 0 and part in graph.tables and part != table:
                routes = graph.many_to_one_paths(table, part)
                if len(routes) != 1:
                    raise CompileError(self._route_problem(part, routes))
                for hop in routes[0]:
                    path = (*path, hop.name)
                    alias = self._join(path, alias, hop)
                table = part
                continue
            if rel is None:
                raise CompileError(self._unknown(table, part, ".".join(parts)))
            if rel.to_many:
                raise _ToMany(alias, rel, parts[i + 1 :])
            path = (*path, rel.name)
            alias = self._join(path, alias, rel)
            table = rel.target
        column = parts[-1] if parts else ""
        if column not in graph.tables[table].c:
            rel = graph.relation(table, column)
            if rel is not None:
                raise CompileError(
                    f"{'.'.join(parts)!r} is a relationship, not a column; name one of its columns, "
                    f"e.g. {'.'.join(parts)}.id"
                )
            raise CompileError(self._unknown(table, column, ".".join(parts)))
        return alias.c[column]

    def _route_problem(self, target: str, routes: list[tuple[Relation, ...]]) -> str:
        if not routes:
            return f"{target!r} cannot be reached from {self.table} through many-to-one relationships"
        options = " or ".join(".".join(r.name for r in route) for route in routes)
        return f"{target!r} is reachable from {self.table} in more than one way ({options}); write the path"

    def _unknown(self, table: str, name: str, full: str) -> str:
        import difflib

        graph = self.ctx.graph
        known = [*graph.columns(table), *graph.relations(table)]
        near = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return f"{table} has no column or relationship {name!r} (in {full!r}){hint}"

    def walk_to_many(self, parts: Sequence[str]) -> tuple[sa.FromClause, Relation, tuple[str, ...]]:
        """For count(x)/min(x.y): the alias, the one-to-many relation crossed, and what follows."""
        try:
            self.resolve((*parts, "__nothing__"))
        except _ToMany as crossing:
            rest = crossing.rest[:-1]
            return crossing.alias, crossing.relation, rest
        except CompileError:
            pass
        raise CompileError(
            f"{'.'.join(parts)!r} does not go through a one-to-many relationship; "
            "count()/exists()/min()/max()/sum()/avg() take one, e.g. count(activities)"
        )


# --- expressions to SQL -------------------------------------------------------------------

_COMPARISONS = (ex.Compare, ex.InList, ex.Between, ex.Like, ex.IsNull)


def _literal(value: Any) -> ColumnElement[Any]:
    if value is None:
        return sa.null()
    if isinstance(value, bool):
        return sa.literal(value, sa.Boolean)
    if isinstance(value, int):
        return sa.literal(value, sa.Integer)
    if isinstance(value, float):
        return sa.literal(value, sa.Double)
    if isinstance(value, dt.datetime):
        return sa.literal(value, sa.DateTime)
    if isinstance(value, dt.date):
        return sa.literal(value, sa.Date)
    return sa.literal(str(value), sa.String)


def _replace_names(node: ex.Node, target: ex.Name, rest: tuple[str, ...]) -> ex.Node:
    """Rewrite an atom for evaluation on related rows: `target` -> rest, others -> outer."""
    if isinstance(node, ex.Name):
        if node is target:
            return dataclasses.replace(node, parts=rest)
        return dataclasses.replace(node, parts=("outer", *node.parts))
    if isinstance(node, ex.Call) and node.is_relation_aggregate:
        # The relationship it aggregates starts from the outer row; its filter stays on the related rows.
        first, *others = node.args
        assert isinstance(first, ex.Name)
        return dataclasses.replace(node, args=(dataclasses.replace(first, parts=("outer", *first.parts)), *others))
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, ex.Node):
            changes[f.name] = _replace_names(value, target, rest)
        elif isinstance(value, tuple) and value and all(isinstance(v, ex.Node) for v in value):
            changes[f.name] = tuple(_replace_names(v, target, rest) for v in value)
    return dataclasses.replace(node, **changes) if changes else node


def _find_crossing(node: ex.Node, scope: Scope) -> tuple[ex.Name, _ToMany] | None:
    """The first name in an atom that crosses a one-to-many relationship from `scope`.

    Relation aggregates are skipped: their arguments name columns of the related table.
    """
    if isinstance(node, ex.Call) and node.is_relation_aggregate:
        return None
    if isinstance(node, ex.Name):
        try:
            scope.resolve(node.parts)
        except _ToMany as crossing:
            return node, crossing
        return None
    for child in node.children():
        found = _find_crossing(child, scope)
        if found is not None:
            return found
    return None


def to_sql(node: ex.Node, scope: Scope, condition: bool = False) -> ColumnElement[Any]:
    """Compile an expression tree in a scope (joins are added to the scope as needed).

    In a condition (a filter), a comparison that crosses a one-to-many relationship
    means "some related row matches" and becomes EXISTS; elsewhere it is an error.
    """
    if isinstance(node, _COMPARISONS) or (condition and isinstance(node, ex.Name)):
        try:
            return _to_sql(node, scope)
        except _ToMany:
            found = _find_crossing(node, scope)
            if found is None:  # pragma: no cover - the crossing came from a nested call
                raise
            name, crossing = found
            sub = Scope(scope.ctx, crossing.relation.target, parent=scope)
            link = sub.alias.c[crossing.relation.target_column] == crossing.alias.c[crossing.relation.source_column]
            rewritten = _replace_names(node, name, crossing.rest)
            matched = to_sql(rewritten, sub, condition=True)
            return sa.exists(sub.subquery(sa.literal(1)).where(link, matched))
    return _to_sql(node, scope)


def _to_sql(node: ex.Node, scope: Scope) -> ColumnElement[Any]:
    if isinstance(node, ex.Literal):
        return _literal(node.value)
    if isinstance(node, ex.Name):
        return scope.resolve(node.parts)
    if isinstance(node, ex.Unary):
        operand = to_sql(node.operand, scope)
        if isinstance(operand.type, sa.String):
            raise CompileError(f"cannot negate text (the '-' at column {node.pos + 1})")
        return -operand
    if isinstance(node, ex.Arith):
        left, right = to_sql(node.left, scope), to_sql(node.right, scope)
        for side in (left, right):
            if isinstance(side.type, sa.String | sa.Boolean):
                kind = "text" if isinstance(side.type, sa.String) else "a true/false value"
                raise CompileError(f"cannot do arithmetic ('{node.op}' at column {node.pos + 1}) on {kind}")
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        return sa.cast(left, sa.Double) / sa.func.nullif(sa.cast(right, sa.Double), 0)
    if isinstance(node, ex.Compare):
        left = to_sql(node.left, scope)
        if isinstance(node.right, ex.Literal) and node.right.value is None:
            return left.is_(None) if node.op == "=" else left.is_not(None)
        right = to_sql(node.right, scope)
        return {
            "=": left == right,
            "!=": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[node.op]
    if isinstance(node, ex.BoolOp):
        parts = [to_sql(o, scope, condition=True) for o in node.operands]
        return sa.and_(*parts) if node.op == "and" else sa.or_(*parts)
    if isinstance(node, ex.Not):
        operand = to_sql(node.operand, scope, condition=True)
        if isinstance(operand.type, sa.String):
            raise CompileError(f"'not' needs a condition, not text (the 'not' at column {node.pos + 1})")
        return sa.not_(operand)
    if isinstance(node, ex.InList):
        operand = to_sql(node.operand, scope)
        values = [i.value for i in node.items]
        return operand.not_in(values) if node.negated else operand.in_(values)
    if isinstance(node, ex.Between):
        result = to_sql(node.operand, scope).between(to_sql(node.low, scope), to_sql(node.high, scope))
        return sa.not_(result) if node.negated else result
    if isinstance(node, ex.Like):
        operand = to_sql(node.operand, scope)
        return operand.not_like(node.pattern) if node.negated else operand.like(node.pattern)
    if isinstance(node, ex.IsNull):
        operand = to_sql(node.operand, scope)
        return operand.is_not(None) if node.negated else operand.is_(None)
    if isinstance(node, ex.Call):
        if node.is_relation_aggregate:
            return _relation_aggregate(node, scope)
        args = [to_sql(a, scope) for a in node.args]
        name = node.name
        if name == "days_between":
            return dialects.days_between(args[0], args[1], scope.ctx.zone)
        if name == "hours_between":  # elapsed time: an hour is an hour, whatever the clocks do
            return dialects.days_between(args[0], args[1]) * 24.0
        if name == "if":
            return sa.case((args[0], args[1]), else_=args[2])
        if name == "least":
            return dialects.least(*args)
        if name == "greatest":
            return dialects.greatest(*args)
        return getattr(sa.func, name)(*args)
    raise CompileError(f"cannot compile {type(node).__name__}")


def _relation_aggregate(node: ex.Call, scope: Scope) -> ColumnElement[Any]:
    target = node.args[0]
    assert isinstance(target, ex.Name)
    alias, rel, rest = scope.walk_to_many(target.parts)
    sub = Scope(scope.ctx, rel.target, parent=scope)
    link = sub.alias.c[rel.target_column] == alias.c[rel.source_column]
    conditions: list[ColumnElement[Any]] = [link]
    if len(node.args) == 2:
        conditions.append(to_sql(node.args[1], sub, condition=True))
    if node.name in ("count", "exists"):
        if rest:
            relation_path = ".".join(target.parts[: len(target.parts) - len(rest)])
            raise CompileError(f"{node.name}() counts rows: write {node.name}({relation_path})")
        if node.name == "exists":
            return sa.exists(sub.subquery(sa.literal(1)).where(*conditions))
        return sub.subquery(sa.func.count()).where(*conditions).scalar_subquery()
    if not rest:
        raise CompileError(f"{node.name}() needs a column of {rel.name}, e.g. {node.name}({rel.name}.id)")
    value = sub.resolve(rest)
    return sub.subquery(getattr(sa.func, node.name)(value)).where(*conditions).scalar_subquery()


def compile_expression(text: str, table: str, graph: Graph, condition: bool = False) -> ColumnElement[Any]:
    """Parse and compile one expression (a condition, or a value) on a base table."""
    scope = Scope(_Context(graph), table)
    try:
        return to_sql(ex.parse(text), scope, condition=condition)
    except _ToMany as crossing:
        raise CompileError(
            f"{crossing.relation.name!r} is one-to-many from {crossing.relation.source}: use "
            f"count({crossing.relation.name}), exists(...), min/max/sum/avg({crossing.relation.name}.column), "
            f"or make {crossing.relation.target} the base table"
        ) from None


# --- queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """What to compute: periods (oldest first), breakdown dimensions, kept dimension values."""

    periods: tuple[Period, ...]
    group_by: tuple[str, ...] = ()
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    as_of: dt.datetime | None = None

    @staticmethod
    def build(
        periods: Sequence[Period],
        group_by: Sequence[str] = (),
        filters: Mapping[str, Sequence[str]] | None = None,
        as_of: dt.datetime | None = None,
    ) -> Query:
        kept = tuple(sorted((k, tuple(sorted(set(map(str, v))))) for k, v in (filters or {}).items() if v))
        return Query(tuple(periods), tuple(group_by), kept, as_of)

    @property
    def filter_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.filters)


@dataclass(frozen=True)
class _Time:
    kind: Literal["point", "spread", "open"]
    first: ex.Node
    second: ex.Node | None = None
    due: ex.Node | None = None
    ahead_days: int = 0


def parse_time(anchor: Any) -> _Time:
    """A metric's `time:` as a point, spread or open-interval anchor (optionally read over the
    `ahead_days` after each period)."""
    if isinstance(anchor, str):
        return _Time("point", ex.parse(anchor))
    if isinstance(anchor, AheadTime):
        if anchor.spread is not None:
            return _Time("spread", ex.parse(anchor.spread[0]), ex.parse(anchor.spread[1]), None, anchor.ahead_days)
        assert anchor.open is not None and anchor.due is not None
        first, second = anchor.open
        return _Time("open", ex.parse(first), ex.parse(second), ex.parse(anchor.due), anchor.ahead_days)
    if isinstance(anchor, Mapping) and len(anchor) == 1:
        ((kind, pair),) = anchor.items()
        if kind in ("spread", "open") and len(pair) == 2:
            return _Time(kind, ex.parse(pair[0]), ex.parse(pair[1]))
    raise CompileError("time must be a column (created_at), {spread: [start, end]} or {open: [opened, closed]}")


def _span(periods: sa.CTE, time: _Time) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The days a spread is read over in each period: the period itself, or the days after it."""
    if time.ahead_days > 0:
        return periods.c.a_first, periods.c.a_last
    return periods.c.p_first, periods.c.p_last


def _periods_cte(query: Query, ahead_days: int = 0) -> sa.CTE:
    """The periods as rows: period, p_start/p_end (instants), p_first/p_last (dates) and, for
    anchors that look ahead, a_first/a_last: the `ahead_days` days after each period."""
    if not query.periods:
        raise CompileError("no periods to compute")
    return _periods_rows(query.periods, ahead_days)


@functools.lru_cache(maxsize=256)
def _periods_rows(periods: tuple[Period, ...], ahead_days: int) -> sa.CTE:
    """`_periods_cte`, built once per set of periods: the scorecard's statements mostly share their
    twelve weeks, and seven typed literals per period were a fifth of a scorecard build's time
    at 100k leads (profiled in BENCHMARKS.md). A CTE is an immutable construct, safe to share."""

    def date(value: dt.date) -> ColumnElement[Any]:
        return dialects.Typed(_literal(value), sa.Date())

    def instant(value: dt.datetime) -> ColumnElement[Any]:
        return dialects.Typed(_literal(value), sa.DateTime())

    rows = [
        sa.select(
            date(p.first).label("period"),
            instant(p.start).label("p_start"),
            instant(p.end).label("p_end"),
            date(p.first).label("p_first"),
            date(p.last).label("p_last"),
            date(p.last + dt.timedelta(days=1)).label("a_first"),
            date(p.last + dt.timedelta(days=max(ahead_days, 1))).label("a_last"),
        )
        for p in periods
    ]
    union = rows[0] if len(rows) == 1 else sa.union_all(*rows)
    return union.cte("periods")


@dataclass(frozen=True)
class Side:
    """One aggregate over one base table: a metric, or a side of a ratio."""

    table: str
    agg: Literal["count", "sum", "average", "percentile", "cohort"]
    time: Any
    value: str | None = None
    filter: str | None = None
    fraction: float = 0.5
    event: str | None = None
    event_time: str | None = None
    window_days: int = 0


class Compiler:
    """Turns definitions of one catalog into statements."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.graph = catalog.graph

    def _context(self) -> _Context:
        return _Context(self.graph, zone=self.catalog.calendar.timezone)

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
            self._dimension(dimension, Scope(_Context(self.graph), table))
        except NotApplicable:
            return False
        return True

    def _dimension(self, dimension: str, scope: Scope) -> ColumnElement[Any]:
        paths = self.dimension_paths(dimension, scope.table)
        compiled: list[ColumnElement[Any]] = []
        problems: list[str] = []
        for path in paths:
            try:
                compiled.append(to_sql(ex.parse(path), scope))
            except (CompileError, _ToMany) as exc:
                problems.append(f"{path}: {exc}")
        if not compiled:
            raise NotApplicable(f"dimension {dimension!r} does not reach {scope.table} ({'; '.join(problems)})")
        return compiled[0] if len(compiled) == 1 else sa.func.coalesce(*compiled)

    # sides -------------------------------------------------------------------------------
    def _side_select(
        self, side: Side, query: Query, periods: sa.CTE, ctx: _Context
    ) -> tuple[sa.Select[Any], list[str]]:
        scope = Scope(ctx, side.table)
        join_on, where = self._time_bounds(side, query, periods, scope)
        if side.filter:
            where.append(to_sql(ex.parse(side.filter), scope, condition=True))
        dims = self._breakdown(query, scope, where)
        numerator, n, _ = self._aggregate(side, query, periods, scope)
        statement = (
            sa.select(periods.c.period, *dims, numerator.label("numerator"), n.label("n"))
            .select_from(scope.selectable().join(periods, join_on))
            .where(*where)
            .group_by(periods.c.period, *[d.element for d in dims])  # type: ignore[attr-defined]
        )
        return statement, [f"d_{name}" for name in query.group_by]

    def _time_bounds(
        self, side: Side, query: Query, periods: sa.CTE, scope: Scope
    ) -> tuple[ColumnElement[Any], list[ColumnElement[Any]]]:
        """How a side's rows meet the periods (the join) and the whole span they may fall in (WHERE)."""
        time = parse_time(side.time)
        where: list[ColumnElement[Any]] = []
        first, last = query.periods[0], query.periods[-1]
        ahead = time.ahead_days > 0
        span_first, span_last = _span(periods, time)
        if time.kind == "point":
            t = to_sql(time.first, scope)
            join_on = sa.and_(t >= periods.c.p_start, t < periods.c.p_end)
            where += [t >= _literal(first.start), t < _literal(last.end)]
        elif time.kind == "open":
            opened, closed = to_sql(time.first, scope), to_sql(time.second, scope)  # type: ignore[arg-type]
            join_on = sa.and_(opened < periods.c.p_end, sa.or_(closed.is_(None), closed >= periods.c.p_end))
            where += [opened < _literal(last.end)]
            if time.due is not None:
                due = to_sql(time.due, scope)
                join_on = sa.and_(join_on, due >= periods.c.a_first, due <= periods.c.a_last)
        else:
            begin, end = to_sql(time.first, scope), to_sql(time.second, scope)  # type: ignore[arg-type]
            join_on = sa.and_(begin <= span_last, end >= span_first)
            first_day = first.last + dt.timedelta(days=1) if ahead else first.first
            last_day = last.last + dt.timedelta(days=time.ahead_days)
            where += [begin <= _literal(last_day), end >= _literal(first_day)]
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
    ) -> tuple[ColumnElement[Any], ColumnElement[Any], ColumnElement[Any]]:
        """A side's aggregate, its sample size (the rows behind it) and its rows. With `when`,
        only over the rows meeting it (CASE WHEN, so several sides can share one scan)."""
        time = parse_time(side.time)
        value = to_sql(ex.parse(side.value), scope) if side.value else None
        if time.kind == "spread" and value is not None:
            span_first, span_last = _span(periods, time)
            begin, end = to_sql(time.first, scope), to_sql(time.second, scope)  # type: ignore[arg-type]
            overlap = (
                dialects.days_between(dialects.greatest(begin, span_first), dialects.least(end, span_last))
                + 1
            )
            value = value * overlap / (dialects.days_between(begin, end) + 1)
        if when is not None:
            value = sa.case((when, value), else_=sa.null()) if value is not None else None
        every: ColumnElement[Any] = (
            sa.func.count() if when is None else sa.func.count(sa.case((when, sa.literal(1)), else_=sa.null()))
        )
        # The sample is the rows behind the value: for an average or percentile, the rows
        # whose value is known (a lead never touched has no hours to first touch).
        n = sa.func.count(value) if side.agg in ("average", "percentile") and value is not None else every
        if side.agg == "count":
            return every, n, every
        if side.agg == "sum":
            return sa.func.sum(value), n, every
        if side.agg == "average":
            return sa.func.avg(value), n, every
        if side.agg == "percentile":
            return dialects.percentile(value, side.fraction), n, every  # type: ignore[arg-type]
        entry = to_sql(time.first, scope)
        happened = to_sql(ex.parse(side.event_time or ""), scope)
        reached = sa.and_(
            *([when] if when is not None else []),
            to_sql(ex.parse(side.event or ""), scope, condition=True),
            happened >= entry,
            dialects.days_between(entry, happened, scope.ctx.zone) <= side.window_days,
            *([happened < _literal(query.as_of)] if query.as_of else []),
        )
        return sa.func.sum(sa.case((reached, value if value is not None else sa.literal(1)), else_=0)), n, every

    def merged(self, sides: Sequence[Side], query: Query) -> sa.Select[Any]:
        """Several sides over one base table, one time anchor and one set of periods, in one scan.

        Columns: period, d_<dim>..., and per side i: r<i> (its rows), v<i> (its aggregate, as a
        double or a count; a cohort's members reaching the event) and n<i> (its sample). A side's
        period is absent where r<i> is 0, as it would be in the side's own statement. Raises
        CompileError (NotApplicable) if a side cannot be compiled or the sides do not share a
        table and time anchor."""
        if not sides or len({(s.table, repr(s.time)) for s in sides}) != 1:
            raise CompileError("merged sides must share one base table and time anchor")
        ctx = self._context()
        periods = _periods_cte(query, parse_time(sides[0].time).ahead_days)
        scope = Scope(ctx, sides[0].table)
        join_on, where = self._time_bounds(sides[0], query, periods, scope)
        dims = self._breakdown(query, scope, where)
        columns: list[ColumnElement[Any]] = []
        conditions: list[ColumnElement[Any]] = []
        every_row = False
        try:
            for i, side in enumerate(sides):
                when = to_sql(ex.parse(side.filter), scope, condition=True) if side.filter else None
                numerator, n, rows = self._aggregate(side, query, periods, scope, when)
                if side.agg != "count":
                    numerator = sa.cast(numerator, sa.Double)
                columns += [rows.label(f"r{i}"), numerator.label(f"v{i}"), n.label(f"n{i}")]
                if when is None:
                    every_row = True
                else:
                    conditions.append(when)
        except _ToMany as crossing:
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
            return [Side(metric.of, agg, metric.time, metric.value, metric.filter, metric.fraction)]  # type: ignore[arg-type]
        if isinstance(metric, CohortMetric):
            return [
                Side(
                    metric.of,
                    "cohort",
                    metric.time,
                    metric.value,
                    metric.filter,
                    0.5,
                    metric.event,
                    metric.event_time,
                    metric.window_days,
                )
            ]
        if isinstance(metric, RatioMetric):
            return [self._measure_side(metric, metric.numerator), self._measure_side(metric, metric.denominator)]
        raise CompileError(f"metric {metric.name} of type {metric.type} is not one statement")  # type: ignore[attr-defined]

    @staticmethod
    def _ahead_days(metric: MetricBase, sides: Sequence[Side]) -> int:
        """The one `ahead_days` a statement's sides look ahead (0: none); sides may not differ."""
        found = {parse_time(side.time).ahead_days for side in sides} - {0}
        if len(found) > 1:
            raise CompileError(f"metric {metric.name}: both sides must look the same number of days ahead")
        return found.pop() if found else 0

    def _measure_side(self, metric: RatioMetric, measure: Measure) -> Side:
        time = measure.time or metric.time
        if time is None:
            raise CompileError(f"metric {metric.name}: give `time` on the metric or on each side")
        return Side(measure.table, measure.agg, time, measure.value, measure.filter)

    def compile(self, metric: MetricBase, query: Query) -> sa.Select[Any]:
        """One SELECT: period, d_<dim>..., value, numerator, denominator, n."""
        ctx = self._context()
        sides = self.sides(metric)
        periods = _periods_cte(query, self._ahead_days(metric, sides))
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
                )
                .group_by(*keys)
                .order_by(*keys)
            )
        except _ToMany as crossing:
            raise CompileError(
                f"{crossing.relation.name!r} is one-to-many from {crossing.relation.source}: use "
                f"count({crossing.relation.name}) or min/max/sum/avg({crossing.relation.name}.column) in an "
                f"expression, or make {crossing.relation.target} the base table"
            ) from None

    def maturation(self, metric: CohortMetric, query: Query, max_weeks: int) -> sa.Select[Any]:
        """Cohort members counted by age in weeks and by weeks until the event (NULL: not reached).

        From these counts a maturation curve is exact: the share converted within k weeks
        among members at least k weeks old, so young cohorts never drag a curve down.
        """
        if query.as_of is None:
            raise CompileError("a maturation curve needs an as-of instant")
        ctx, periods, scope, entry, happened, where = self._cohort_members(metric, query)
        dims = [self._dimension(name, scope).label(f"d_{name}") for name in query.group_by]
        as_of = _literal(query.as_of)
        reached = sa.and_(
            to_sql(ex.parse(metric.event), scope, condition=True),
            happened >= entry,
            happened < as_of,
            dialects.days_between(entry, happened, ctx.zone) < (max_weeks + 1) * 7,
        )
        age = dialects.least(
            dialects.FloorInt(dialects.days_between(entry, as_of, ctx.zone) / 7.0), _literal(max_weeks)
        )
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

    def _cohort_members(self, metric: CohortMetric, query: Query) -> tuple[
        _Context, Any, Scope, ColumnElement[Any], ColumnElement[Any], list[ColumnElement[Any]]
    ]:
        """What a cohort's maturation and timing share: the members entering in the query's periods
        (filtered by the metric's filter and the query's), their entry and event instants."""
        ctx = self._context()
        periods = _periods_cte(query)
        scope = Scope(ctx, metric.of)
        entry = to_sql(ex.parse(metric.time), scope)
        happened = to_sql(ex.parse(metric.event_time), scope)
        first, last = query.periods[0], query.periods[-1]
        where: list[ColumnElement[Any]] = [entry >= _literal(first.start), entry < _literal(last.end)]
        if metric.filter:
            where.append(to_sql(ex.parse(metric.filter), scope, condition=True))
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
        as_of = _literal(query.as_of)
        days = dialects.days_between(entry, happened, ctx.zone)
        reached = sa.and_(to_sql(ex.parse(metric.event), scope, condition=True), happened >= entry, happened < as_of)
        until = sa.case((reached, dialects.FloorInt(days / 7.0)), else_=sa.null())
        in_window = sa.case((sa.and_(reached, days <= metric.window_days), 1), else_=0)
        value = to_sql(ex.parse(metric.value), scope) if metric.value else sa.literal(1)
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

    def members(self, table: str, dimensions: Sequence[str], hired: str | None = None) -> sa.Select[Any]:
        """One row per person of `table` (reps): the dimensions' values (d_<dim>) and the earliest
        `hired` value, for peer groups and tenure. Raises NotApplicable if a dimension is not
        kept on the table, CompileError if `hired` is not a column of it."""
        scope = Scope(self._context(), table)
        dims = [self._dimension(name, scope).label(f"d_{name}") for name in dimensions]
        extra = [sa.func.min(to_sql(ex.parse(hired), scope)).label("hired")] if hired else []
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
        )


def dialect_named(name: str) -> sa.Dialect:
    """A SQLAlchemy dialect object for rendering SQL without a connection."""
    if name == "duckdb":
        from duckdb_engine import Dialect as DuckDBDialect

        return DuckDBDialect()
    if name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.dialect()  # type: ignore[no-any-return]
    if name in ("postgresql", "postgres"):
        from sqlalchemy.dialects import postgresql

        return postgresql.dialect()  # type: ignore[no-any-return]
    raise CompileError(f"unknown dialect {name!r}; use duckdb, sqlite or postgresql")


def render_sql(statement: sa.ClauseElement, dialect: sa.Dialect) -> str:
    """The statement as text with its parameters shown inline, for people to read."""
    compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return str(compiled).strip() + ";"
