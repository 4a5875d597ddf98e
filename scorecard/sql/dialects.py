"""SQL constructs whose spelling differs by dialect, each compiled in one place.

The default compilation is standard SQL as PostgreSQL spells it, which most
warehouses (Trino, Snowflake, Redshift) accept; DuckDB and SQLite get their own.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class DaysBetween(FunctionElement[float]):
    """Fractional days from the first timestamp (or date) to the second."""

    type = sa.Double()
    inherit_cache = True
    name = "days_between"


class LocalTime(FunctionElement[Any]):
    """A naive UTC timestamp as wall-clock time in a time zone (a naive local timestamp).

    Day differences between local times are calendar days: two local midnights are a
    whole number of days apart even across a daylight-saving change.
    """

    type = sa.DateTime()
    inherit_cache = True
    name = "local_time"

    def __init__(self, value: ColumnElement[Any], zone: str) -> None:
        super().__init__(value, sa.literal(zone, sa.String))


@compiles(LocalTime)
def _local_default(element: LocalTime, compiler: SQLCompiler, **kw: Any) -> str:
    value, zone = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((CAST({value} AS TIMESTAMP) AT TIME ZONE 'UTC') AT TIME ZONE {zone})"


@compiles(LocalTime, "duckdb")
def _local_duckdb(element: LocalTime, compiler: SQLCompiler, **kw: Any) -> str:
    # timezone(zone, TIMESTAMP) reads a naive time as local to zone; timezone(zone, TIMESTAMPTZ)
    # gives the wall clock there. 'UTC' first, so the session's TimeZone setting never matters.
    value, zone = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"timezone({zone}, timezone('UTC', CAST({value} AS TIMESTAMP)))"


@compiles(LocalTime, "sqlite")
def _local_sqlite(element: LocalTime, compiler: SQLCompiler, **kw: Any) -> str:
    # sc_to_local is registered on every SQLite connection (scorecard.sqlite_functions).
    value, zone = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"sc_to_local({value}, {zone})"


@compiles(DaysBetween)
def _days_default(element: DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(sa.cast(arg, sa.DateTime), **kw) for arg in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


@compiles(DaysBetween, "duckdb")
def _days_duckdb(element: DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(sa.cast(arg, sa.DateTime), **kw) for arg in element.clauses)
    return f"((epoch({end}) - epoch({start})) / 86400.0)"


@compiles(DaysBetween, "sqlite")
def _days_sqlite(element: DaysBetween, compiler: SQLCompiler, **kw: Any) -> str:
    # Whole seconds from strftime('%s') plus the fraction ('%f' - '%S'): exact to the
    # millisecond, where julianday() differences drift (24 h would read 23.9999999 h).
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)

    def seconds(ts: str) -> str:
        return f"(strftime('%s', {ts}) + (strftime('%f', {ts}) - strftime('%S', {ts})))"

    return f"(({seconds(end)} - {seconds(start)}) / 86400.0)"


class Percentile(FunctionElement[float]):
    """Continuous percentile (linear interpolation) of an expression within a group."""

    type = sa.Double()
    inherit_cache = True
    name = "percentile"

    def __init__(self, expr: ColumnElement[Any], fraction: float) -> None:
        super().__init__(expr, sa.literal(fraction, sa.Double))


@compiles(Percentile)
def _percentile_default(element: Percentile, compiler: SQLCompiler, **kw: Any) -> str:
    expr, fraction = list(element.clauses)
    return compiler.process(sa.func.percentile_cont(fraction).within_group(expr), **kw)


@compiles(Percentile, "sqlite")
def _percentile_sqlite(element: Percentile, compiler: SQLCompiler, **kw: Any) -> str:
    # sc_percentile is registered on every SQLite connection (scorecard.sqlite_functions).
    expr, fraction = list(element.clauses)
    return f"sc_percentile({compiler.process(expr, **kw)}, {compiler.process(fraction, **kw)})"


class Greatest(FunctionElement[Any]):
    """The largest of the arguments (row-wise); null if any argument is null."""

    inherit_cache = True
    name = "greatest"


class Least(FunctionElement[Any]):
    """The smallest of the arguments (row-wise); null if any argument is null."""

    inherit_cache = True
    name = "least"


def _null_if_any_null(name: str, element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL and DuckDB skip nulls in greatest/least; SQLite, Snowflake, BigQuery and MySQL
    # return null. Scorecard defines the result as null when any argument is null, everywhere.
    args = [compiler.process(arg, **kw) for arg in element.clauses]
    any_null = " OR ".join(f"{arg} IS NULL" for arg in args)
    return f"CASE WHEN {any_null} THEN NULL ELSE {name}({', '.join(args)}) END"


@compiles(Greatest)
def _greatest_default(element: Greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return _null_if_any_null("greatest", element, compiler, **kw)


@compiles(Least)
def _least_default(element: Least, compiler: SQLCompiler, **kw: Any) -> str:
    return _null_if_any_null("least", element, compiler, **kw)


@compiles(Greatest, "sqlite")
def _greatest_sqlite(element: Greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(Least, "sqlite")
def _least_sqlite(element: Least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


def days_between(start: ColumnElement[Any], end: ColumnElement[Any], zone: str | None = None) -> ColumnElement[float]:
    """Days from start to end; with a `zone` other than UTC, calendar days there (timestamps
    are read as wall-clock times in the zone, dates are already calendar days)."""
    if zone is not None and not _is_utc(zone):
        start, end = (
            arg if isinstance(arg.type, sa.Date) and not isinstance(arg.type, sa.DateTime) else LocalTime(arg, zone)
            for arg in (start, end)
        )
    return DaysBetween(start, end)


def _is_utc(zone: str) -> bool:
    return zone.upper() in ("UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z", "ZULU", "UCT", "ETC/UCT", "UNIVERSAL")


def percentile(expr: ColumnElement[Any], fraction: float) -> ColumnElement[float]:
    return Percentile(expr, fraction)


def greatest(*args: ColumnElement[Any]) -> ColumnElement[Any]:
    return Greatest(*args)


def least(*args: ColumnElement[Any]) -> ColumnElement[Any]:
    return Least(*args)


class Typed(FunctionElement[Any]):
    """A bound value with an explicit SQL type, so CTE columns keep it (CAST, except SQLite)."""

    inherit_cache = True
    name = "typed"

    def __init__(self, value: ColumnElement[Any], type_: sa.types.TypeEngine[Any]) -> None:
        super().__init__(value)
        self.type = type_


@compiles(Typed)
def _typed_default(element: Typed, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = list(element.clauses)
    return compiler.process(sa.cast(value, element.type), **kw)


@compiles(Typed, "sqlite")
def _typed_sqlite(element: Typed, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores dates and timestamps as ISO text; CAST would turn them into numbers.
    (value,) = list(element.clauses)
    return compiler.process(value, **kw)


class FloorInt(FunctionElement[int]):
    """The largest integer not above a non-negative number."""

    type = sa.Integer()
    inherit_cache = True
    name = "floor_int"


@compiles(FloorInt)
def _floor_default(element: FloorInt, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(FLOOR({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(FloorInt, "sqlite")
def _floor_sqlite(element: FloorInt, compiler: SQLCompiler, **kw: Any) -> str:
    # CAST truncates toward zero, which is floor for the non-negative values used here.
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"
