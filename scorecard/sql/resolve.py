"""Name resolution and expressions to SQL: one base table in one statement (`Scope`).

Resolving `opportunity.account.region` adds LEFT OUTER JOINs along many-to-one
relationships (never a fan-out). A condition that goes through a one-to-many relationship
(`activities.type = 'demo'` on opportunities) becomes EXISTS, and `count(activities)` /
`min(activities.x)` become correlated subqueries, so an aggregate never double-counts.
Every literal is a bound parameter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from scorecard.language import expressions as ex
from scorecard.language.suggest import did_you_mean
from scorecard.sql import dialects
from scorecard.sql.graph import Graph, Relation


class CompileError(ValueError):
    """A definition cannot be turned into SQL; the message says which name and why."""


class NotApplicable(CompileError):
    """A dimension (filter or breakdown) does not reach this metric's base table."""


class ToMany(Exception):
    """Raised while resolving a name that crosses a one-to-many relationship."""

    def __init__(self, alias: sa.FromClause, relation: Relation, rest: tuple[str, ...]) -> None:
        super().__init__(relation.name)
        self.alias = alias
        self.relation = relation
        self.rest = rest


@dataclass
class Context:
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

    def __init__(self, ctx: Context, table: str, parent: Scope | None = None) -> None:
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
                raise ToMany(alias, rel, parts[i + 1 :])
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
        graph = self.ctx.graph
        hint = did_you_mean(name, [*graph.columns(table), *graph.relations(table)])
        return f"{table} has no column or relationship {name!r} (in {full!r}){hint}"

    def walk_to_many(self, parts: Sequence[str]) -> tuple[sa.FromClause, Relation, tuple[str, ...]]:
        """For count(x)/min(x.y): the alias, the one-to-many relation crossed, and what follows."""
        try:
            self.resolve((*parts, "__nothing__"))
        except ToMany as crossing:
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


def literal(value: Any) -> ColumnElement[Any]:
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


def _find_crossing(node: ex.Node, scope: Scope) -> tuple[ex.Name, ToMany] | None:
    """The first name in an atom that crosses a one-to-many relationship from `scope`.

    Relation aggregates are skipped: their arguments name columns of the related table.
    """
    if isinstance(node, ex.Call) and node.is_relation_aggregate:
        return None
    if isinstance(node, ex.Name):
        try:
            scope.resolve(node.parts)
        except ToMany as crossing:
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
        except ToMany:
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
        return literal(node.value)
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


def compile_expression(node: ex.Node, table: str, graph: Graph, condition: bool = False) -> ColumnElement[Any]:
    """Compile one parsed expression (a condition, or a value) on a base table, on its own."""
    scope = Scope(Context(graph), table)
    try:
        return to_sql(node, scope, condition=condition)
    except ToMany as crossing:
        raise CompileError(
            f"{crossing.relation.name!r} is one-to-many from {crossing.relation.source}: use "
            f"count({crossing.relation.name}), exists(...), min/max/sum/avg({crossing.relation.name}.column), "
            f"or make {crossing.relation.target} the base table"
        ) from None
