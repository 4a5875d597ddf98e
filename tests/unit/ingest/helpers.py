"""Helpers for the import tests: fixture paths, users.xlsx, database snapshots, stable ids."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy as sa

from scorecard.store import model
from scorecard.store.db import Database

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ingest"


def stable_id(table: str, prefix: str, name: str) -> str:
    """The documented id of a row created from a name, computed independently of the code."""
    key = " ".join(name.split()).casefold()
    return f"{prefix}-{hashlib.sha256(f'{table}:{key}'.encode()).hexdigest()[:12]}"


def write_users_xlsx(path: Path) -> Path:
    """Reps as an admin exports them from a spreadsheet: a blank row, mixed cell types."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["User ID", "Name", "Email", "Team", "Hired", "Active"])  # row 1
    sheet.append(["U1", "Ana Alvarez", "ana@example.com", "Sales", dt.datetime(2023, 3, 1), True])  # row 2
    sheet.append(["U2", "Ben Brown", "ben@example.com", "Marketing", 45000, "yes"])  # row 3: Excel serial
    sheet.append(["U3", "Cy Chen", "cy@example.com", "Partners", "2024-01-10", 0])  # row 4: team not mapped
    sheet.append([None, None, None, None, None, None])  # row 5: blank
    sheet.append(["U4", "Dee Dunn", None, "Sales", None, 1])  # row 6
    book.save(path)
    return path


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted, as plain values (to compare database states)."""
    if not db.exists():
        return {}
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine().connect() as conn:
        for name, table in model.TABLES.items():
            rows = conn.execute(sa.select(table)).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def rows(db: Database, table: str, *columns: str) -> list[tuple[Any, ...]]:
    """Selected columns of a table ordered by its key, with values normalised across engines."""
    t = model.TABLES[table]
    with db.engine().connect() as conn:
        result = conn.execute(sa.select(*(t.c[c] for c in columns)).order_by(*t.primary_key.columns)).all()
    return [tuple(_plain(v) for v in r) for r in result]


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    if hasattr(value, "as_integer_ratio") and not isinstance(value, int | bool):
        return round(float(value), 2)  # Decimal
    return value
