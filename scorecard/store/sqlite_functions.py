"""Functions SQLite lacks, registered on every SQLite connection Scorecard opens.

SQLite has no percentile_cont and no time zone database. These run inside SQLite's
own query execution (as user-defined functions), so metrics are still aggregated by
the database, one statement each; the compiler emits them only for SQLite.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from zoneinfo import ZoneInfo


class PercentileCont:
    """Aggregate `sc_percentile(value, p)`: continuous percentile, like percentile_cont."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction: float | None = None

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(float(value))

    def finalize(self) -> float | None:
        return percentile_cont(self.values, self.fraction if self.fraction is not None else 0.5)


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def to_local(value: str | None, zone: str) -> str | None:
    """`sc_to_local(utc_timestamp, 'Europe/Berlin')` -> local wall-clock timestamp text."""
    if value is None:
        return None
    instant = dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None).isoformat(sep=" ")


def register(conn: sqlite3.Connection) -> None:
    conn.create_aggregate("sc_percentile", 2, PercentileCont)  # type: ignore[arg-type]
    conn.create_function("sc_to_local", 2, to_local, deterministic=True)
