"""Statements as text for people: the SQL behind a number, in the dialect asked for, laid out
to be read (sqlglot's pretty printer), with the periods as a compact list, one line each, so
the metric's own logic is what the eye finds first. Display only: what runs is the statement."""

from __future__ import annotations

import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from scorecard.sql.resolve import CompileError

PERIODS = "periods"
"""The CTE every statement joins its rows to (scorecard.sql.query.periods_cte)."""

_SQLGLOT = {"duckdb": "duckdb", "sqlite": "sqlite", "postgresql": "postgres", "postgres": "postgres"}


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


def render_sql(statement: sa.ClauseElement, dialect: sa.Dialect, pretty: bool = True) -> str:
    """The statement as text with its parameters shown inline, for people to read (laid out by
    `pretty_sql` unless `pretty` is false: then one line per clause, as SQLAlchemy writes it)."""
    compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    text = str(compiled).strip() + ";"
    return pretty_sql(text, dialect.name) if pretty else text


def pretty_sql(text: str, dialect: str) -> str:
    """Lay SQL out one clause and one column per line, indented by nesting, in the same dialect;
    the `periods` CTE becomes one line per period. Text sqlglot cannot read is returned as is."""
    read = _SQLGLOT.get(dialect, dialect)
    try:
        tree = sqlglot.parse_one(text.rstrip().rstrip(";"), read=read)
    except sqlglot.errors.ParseError:
        return text
    compact = _compact_periods(tree, read)
    body = tree.sql(dialect=read, pretty=True)
    if compact is not None:
        names, rows = compact
        body = body.replace(f"{PERIODS} AS (\n  {_PLACEHOLDER_SQL}", f"{PERIODS}({names}) AS (\n  {rows}", 1)
    return body + ";"


_PLACEHOLDER = "__periods__"
_PLACEHOLDER_SQL = f"SELECT\n    {_PLACEHOLDER}"


def _compact_periods(tree: exp.Expr, read: str) -> tuple[str, str] | None:
    """Swap the periods CTE's body for a placeholder; return its column names (written once, as the
    CTE's column list) and its rows, one line per period."""
    for cte in tree.find_all(exp.CTE):
        if cte.alias != PERIODS:
            continue
        rows = _union_rows(cte.this)
        first = rows[0]
        if not isinstance(first, exp.Select) or not all(isinstance(c, exp.Alias) for c in first.expressions):
            return None
        names = ", ".join(c.alias for c in first.expressions)
        lines = [_row(row, read) for row in rows]
        cte.set("this", sqlglot.parse_one(f"SELECT {_PLACEHOLDER}"))
        return names, "\n    UNION ALL ".join(lines)
    return None


def _row(row: exp.Expression, read: str) -> str:
    """One period as one line of values: typed literals (DATE '2026-11-09') where the dialect has them."""
    if not isinstance(row, exp.Select):
        return row.sql(dialect=read)
    values = [_literal(c.this if isinstance(c, exp.Alias) else c, read) for c in row.expressions]
    return "SELECT " + ", ".join(values)


def _literal(value: exp.Expression, read: str) -> str:
    if (
        read != "sqlite"
        and isinstance(value, exp.Cast)
        and isinstance(value.this, exp.Literal)
        and value.this.is_string
        and value.to.this in _TYPED
    ):
        return f"{_TYPED[value.to.this]} '{value.this.this}'"
    return value.sql(dialect=read)


_TYPED = {
    exp.DataType.Type.DATE: "DATE",
    exp.DataType.Type.TIMESTAMP: "TIMESTAMP",
    exp.DataType.Type.TIMESTAMPNTZ: "TIMESTAMP",
}
"""Casts of text to these types are written as typed literals (DuckDB and PostgreSQL read both)."""


def _union_rows(node: exp.Expression) -> list[exp.Expression]:
    """The SELECTs of a chain of UNION ALLs, in order."""
    if isinstance(node, exp.Union):
        return [*_union_rows(node.this), *_union_rows(node.expression)]
    if isinstance(node, exp.Subquery):
        return _union_rows(node.this)
    return [node]
