"""Write accepted rows: bulk-load each batch into a staging table, then upsert by key.

Upsert is two portable statements (UPDATE ... FROM staging where something differs,
INSERT ... SELECT where the key is new), so re-importing the same rows changes
nothing and the counts say so. Every import is logged in `loads`.
"""

from __future__ import annotations

import datetime as dt
import getpass
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from scorecard.ingest import schema
from scorecard.store import model
from scorecard.store.db import bulk_insert

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Counts:
    """What an upsert did to one table."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged)


def upsert(conn: sa.Connection, table_name: str, frame: pd.DataFrame, serial: int = 0, insert: bool = True) -> Counts:
    """Insert new keys, update changed rows, leave identical rows alone (only mapped columns).

    With insert=False (`mode: update`) new keys are not added, only existing rows filled.
    """
    if frame.empty:
        return Counts()
    target = schema.table(table_name)
    columns = [c.name for c in target.c if c.name in frame.columns]
    keys = list(schema.key_columns(table_name))
    stage = sa.Table(
        f"_import_{table_name}_{serial}",
        sa.MetaData(),
        *(sa.Column(c, target.c[c].type) for c in columns),
        prefixes=["TEMPORARY"],
    )
    stage.create(conn)
    try:
        bulk_insert(conn, stage, frame[columns])
        on = sa.and_(*(target.c[k] == stage.c[k] for k in keys))
        matched = conn.execute(sa.select(sa.func.count()).select_from(stage.join(target, on))).scalar_one()
        values = [c for c in columns if c not in keys]
        changed = 0
        if values and matched:
            differs = sa.or_(*(target.c[c].is_distinct_from(stage.c[c]) for c in values))
            changed = conn.execute(
                sa.select(sa.func.count()).select_from(stage.join(target, on)).where(differs)
            ).scalar_one()
            if changed:
                conn.execute(sa.update(target).values({c: stage.c[c] for c in values}).where(on).where(differs))
        if insert:
            new = sa.select(*(stage.c[c] for c in columns)).where(~sa.exists().where(on))
            conn.execute(sa.insert(target).from_select(columns, new))
    finally:
        stage.drop(conn)
    return Counts(inserted=len(frame) - matched if insert else 0, updated=changed, unchanged=matched - changed)


@dataclass(frozen=True)
class Batch:
    """Accepted rows of one file (or created rows) bound for one table."""

    table: str
    frame: pd.DataFrame
    origin: str
    insert: bool = True
    """False for `mode: update`: only rows that exist are filled."""


def write_batches(conn: sa.Connection, batches: list[Batch], progress: Progress | None = None) -> dict[str, Counts]:
    """Upsert every batch in order; returns counts per table."""
    totals: dict[str, Counts] = {}
    serial = itertools.count()
    total = sum(len(b.frame) for b in batches)
    done = 0
    for batch in batches:
        if progress is not None:
            progress(f"loading {batch.table}", done, total)
        counts = upsert(conn, batch.table, batch.frame, next(serial), batch.insert)
        totals[batch.table] = totals.get(batch.table, Counts()) + counts
        done += len(batch.frame)
    if progress is not None:
        progress("loading", total, total)
    return totals


def current_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def log_load(
    conn: sa.Connection, detail: dict[str, Any], accepted: int, quarantined: int, user: str | None = None
) -> int:
    """Record the import in `loads`; its id becomes the database's data version."""
    loads = model.loads
    latest = conn.execute(sa.select(sa.func.max(loads.c.id))).scalar()
    load_id = int(latest or 0) + 1
    conn.execute(
        sa.insert(loads).values(
            id=load_id,
            loaded_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
            kind="import",
            user_name=user or current_user(),
            detail=json.dumps(detail, sort_keys=True),
            accepted=accepted,
            quarantined=quarantined,
        )
    )
    return load_id
