"""Statements as text for people: the SQL behind a number, in the dialect asked for."""

from __future__ import annotations

import sqlalchemy as sa

from scorecard.sql.resolve import CompileError


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
