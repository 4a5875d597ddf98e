"""How fresh the data is: rows and latest timestamps per table, and the history of loads.

The dashboard's Data page shows these; they are small aggregate queries, computed
in the database.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

import sqlalchemy as sa

from scorecard.store import model
from scorecard.store.db import Database

TIME_COLUMNS: Final = MappingProxyType(
    {
        "reps": ("hire_date",),
        "campaigns": ("start_date", "end_date"),
        "leads": ("created_at", "converted_at"),
        "opportunities": ("created_at", "closed_at"),
        "activities": ("occurred_at",),
        "quotas": ("period_start", "period_end"),
        "loads": ("loaded_at",),
    }
)
"""Per table, the timestamps whose latest value says how recent the data is."""


@dataclass(frozen=True)
class TableFreshness:
    """Rows in a table and the latest value of each of its time columns."""

    table: str
    rows: int
    latest: dict[str, dt.date | dt.datetime | None]


@dataclass(frozen=True)
class LoadRecord:
    """One row of `loads`, with its JSON detail unpacked."""

    id: int
    loaded_at: dt.datetime
    kind: str
    user: str | None
    accepted: int | None
    quarantined: int | None
    files: tuple[str, ...]
    detail: dict[str, Any]


def freshness(db: Database) -> list[TableFreshness]:
    """Row count and latest timestamps of every table (empty if the database has none)."""
    if not db.exists():
        return []
    out: list[TableFreshness] = []
    with db.engine().connect() as conn:
        for name, table in model.TABLES.items():
            columns = TIME_COLUMNS.get(name, ())
            row = conn.execute(
                sa.select(sa.func.count(), *(sa.func.max(table.c[c]) for c in columns)).select_from(table)
            ).one()
            out.append(TableFreshness(name, int(row[0]), dict(zip(columns, row[1:], strict=True))))
    return out


def load_history(db: Database, limit: int = 100) -> list[LoadRecord]:
    """The latest loads first (imports and demo builds)."""
    if not db.exists():
        return []
    loads = model.loads
    with db.engine().connect() as conn:
        rows = conn.execute(sa.select(loads).order_by(loads.c.id.desc()).limit(limit)).mappings().all()
    records: list[LoadRecord] = []
    for row in rows:
        try:
            detail = json.loads(row["detail"]) if row["detail"] else {}
        except ValueError:
            detail = {"text": row["detail"]}
        files = tuple(str(f.get("file", "")) for f in detail.get("files", []) if isinstance(f, dict))
        records.append(
            LoadRecord(
                int(row["id"]),
                row["loaded_at"],
                row["kind"],
                row["user_name"],
                row["accepted"],
                row["quarantined"],
                files,
                detail if isinstance(detail, dict) else {},
            )
        )
    return records
