"""Freshness and load history for the Data page, from the database (hand-counted)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from scorecard.ingest import SourceFile, freshness, load_history, load_mapping, run_import
from scorecard.store.db import Database

MakeDb = Callable[[str], Database]


def test_freshness_and_history(make_db: MakeDb, exports: Path) -> None:
    db: Database = make_db("sqlite")
    assert freshness(db) == []
    assert load_history(db) == []
    mapping = load_mapping(exports / "mapping.yaml")
    run_import(db, [SourceFile.from_path(exports / "users.xlsx")], mapping, user="ana")
    names = ("leads_web.csv", "deals_eu.csv", "calls.tsv")
    run_import(db, [SourceFile.from_path(exports / n) for n in names], mapping, user="ben")

    fresh = {f.table: (f.rows, f.latest) for f in freshness(db)}
    assert fresh["reps"] == (4, {"hire_date": dt.date(2023, 3, 15)})
    assert fresh["accounts"] == (4, {})
    assert fresh["leads"] == (4, {"created_at": dt.datetime(2026, 1, 12, 5, 0), "converted_at": None})
    assert fresh["opportunities"] == (
        2,
        {"created_at": dt.datetime(2026, 1, 9, 23, 0), "closed_at": dt.datetime(2026, 1, 19, 23, 0)},
    )
    assert fresh["activities"] == (3, {"occurred_at": dt.datetime(2026, 1, 6, 9, 0)})
    assert fresh["quotas"] == (0, {"period_start": None, "period_end": None})
    assert fresh["loads"][0] == 2

    history = load_history(db)
    assert [(h.id, h.user, h.files, h.accepted, h.quarantined) for h in history] == [
        (2, "ben", names, 9, 12),
        (1, "ana", ("users.xlsx",), 3, 1),
    ]
