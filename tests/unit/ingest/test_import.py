"""End to end: the hand-made exports import into every engine with exactly the rows,
quarantine lines, created references and log entry worked out by hand below.

The fixture files (tests/fixtures/ingest) and why each row lands where it does:

users.xlsx (written by conftest): U1, U2, U4 accepted; row 4 (U3) has Team "Partners",
  which the mapping's values: do not list. Row 5 is blank and skipped. U2's Hired is the
  Excel serial 45000 = 2023-03-15.
leads_web.csv (UTF-8 with BOM, comma, headers "Lead_ID"/"create date"/"LEAD SOURCE",
  times in America/New_York = UTC-5 in January):
  row 2 L-001 1/5/2026 9:30 AM -> 14:30 UTC, owner Ana Alvarez = U1 (by name)
  row 3 L-002 2026-01-06T14:00:00Z -> 14:00 UTC (offset wins), owner ben@example.com = U2
  row 4 L-003 2026-02-30: no such day            -> quarantined
  row 5 L-004 source Podcast: not in values:      -> quarantined
  row 6 no id                                     -> quarantined
  row 7 L-005 (Notes spans two lines), owner Zed Zane unknown -> rep created
  row 8 L-001 again                               -> quarantined as a duplicate of row 2
  row 9 seven cells under six headers             -> quarantined as a bad line
  row 10 L-007 "Jan 12, 2026" -> 05:00 UTC, owner Dee Dunn = U4
  Accounts by name: Acme Corp (= "ACME  corp"), Initech, Inc, Globex: created.
deals_eu.csv (Windows-1252, semicolon, d.m.Y in Europe/Berlin = UTC+1, 1.234,50 €):
  D-1 won 1234.50, closed 20.01.2026 -> 2026-01-19 23:00 UTC; D-3 negotiation, 2.500 = 2500
  (the column's other values use comma decimals), account Café Müller created, closed_at
  empty (open deal); D-2 (300) negative; D-4 owner email unknown; D-5 closes (14.01.)
  before it was created (15.01.); D-6 stage "Phase 0" unmapped; D-7 lead L-404 unknown.
calls.tsv (tab, UTC, duration in ms or h:mm:ss): C-1 323 s connected; C-2 0:01:05 = 65 s;
  C-3 outcome Busy -> blank (unmapped: default null), lead L-999 unknown -> blank
  (unknown: null); C-4 "yesterday" is not a date; C-5 negative duration AND unknown agent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from scorecard.ingest import (
    ImportRejected,
    ImportResult,
    IngestError,
    SourceFile,
    load_history,
    load_mapping,
    run_import,
)
from scorecard.store import model
from scorecard.store.db import Database

from .helpers import rows, snapshot, stable_id

EXPECTED_QUARANTINE = [
    ("users.xlsx", 4, "Team", "Partners", "value has no entry under values: (mapping.yaml:14)"),
    ("leads_web.csv", 4, "create date", "2026-02-30", "not a date"),
    ("leads_web.csv", 5, "LEAD SOURCE", "Podcast", "value has no entry under values: (mapping.yaml:24)"),
    ("leads_web.csv", 6, "Lead_ID", "", "missing required value"),
    ("leads_web.csv", 8, "Lead_ID", "L-001", "duplicate id; first seen on row 2"),
    ("leads_web.csv", 9, "", "L-006,1/9/2026,Webinar,Ana Alvarez,Acme Corp,extra,cell", "expected 6 cells, found 7"),
    ("deals_eu.csv", 3, "Betrag", "(300)", "negative amount"),
    ("deals_eu.csv", 5, "Owner Email", "zed@nowhere.example", "unknown rep (looked up by email)"),
    ("deals_eu.csv", 6, "closed_at", "14.01.2026", "closed before it was created (Erstellt 15.01.2026)"),
    ("deals_eu.csv", 7, "Phase", "Phase 0", "value has no entry under values: (mapping.yaml:38)"),
    ("deals_eu.csv", 8, "Lead", "L-404", "unknown lead id"),
    ("calls.tsv", 5, "Started", "yesterday", "not a date in format iso"),
    ("calls.tsv", 6, "Duration", "-5000", "negative duration"),
    ("calls.tsv", 6, "Agent", "Nobody Known", "unknown rep (looked up by name)"),
]
"""Worked out by hand from the fixture files (see the module docstring)."""

FILES = ("users.xlsx", "leads_web.csv", "deals_eu.csv", "calls.tsv")
ZED = stable_id("reps", "rep", "Zed Zane")
ACME = stable_id("accounts", "acct", "Acme Corp")
INITECH = stable_id("accounts", "acct", "Initech, Inc")
GLOBEX = stable_id("accounts", "acct", "Globex")
CAFE = stable_id("accounts", "acct", "Café Müller")

MakeDb = Callable[[str], Database]


def _import(
    db: Database,
    folder: Path,
    names: tuple[str, ...] = FILES,
    *,
    strict: bool = False,
    dry_run: bool = False,
    user: str | None = None,
) -> ImportResult:
    mapping = load_mapping(folder / "mapping.yaml")
    files = [SourceFile.from_path(folder / n) for n in names]
    return run_import(db, files, mapping, strict=strict, dry_run=dry_run, user=user)


def test_import_lands_exactly_the_hand_worked_rows(any_db: Database, exports: Path) -> None:
    result = _import(any_db, exports)
    plan = result.plan

    assert [(f.file, f.table, f.rows, f.accepted, f.quarantined) for f in plan.files] == [
        ("users.xlsx", "reps", 4, 3, 1),
        ("leads_web.csv", "leads", 9, 4, 5),
        ("deals_eu.csv", "opportunities", 7, 2, 5),
        ("calls.tsv", "activities", 5, 3, 2),
    ]
    assert plan.created == {"reps": 1, "accounts": 4}
    quarantine = [tuple(r) for r in plan.quarantine.itertuples(index=False)]
    assert quarantine == EXPECTED_QUARANTINE

    assert rows(any_db, "reps", "id", "name", "email", "team", "hire_date", "active") == [
        ("U1", "Ana Alvarez", "ana@example.com", "sales", dt.date(2023, 3, 1), True),
        ("U2", "Ben Brown", "ben@example.com", "marketing", dt.date(2023, 3, 15), True),
        ("U4", "Dee Dunn", None, "sales", None, True),
        (ZED, "Zed Zane", None, "sales", None, True),
    ]
    assert sorted(rows(any_db, "accounts", "id", "name")) == sorted(
        [(ACME, "Acme Corp"), (INITECH, "Initech, Inc"), (GLOBEX, "Globex"), (CAFE, "Café Müller")]
    )
    assert rows(any_db, "leads", "id", "created_at", "source", "owner_rep_id", "account_id", "region") == [
        ("L-001", dt.datetime(2026, 1, 5, 14, 30), "trade_show", "U1", ACME, "na"),
        ("L-002", dt.datetime(2026, 1, 6, 14, 0), "webinar", "U2", ACME, "na"),
        ("L-005", dt.datetime(2026, 1, 8, 21, 15), "webinar", ZED, INITECH, "na"),
        ("L-007", dt.datetime(2026, 1, 12, 5, 0), "trade_show", "U4", GLOBEX, "na"),
    ]
    assert rows(
        any_db,
        "opportunities",
        "id",
        "created_at",
        "closed_at",
        "stage",
        "is_won",
        "amount",
        "account_id",
        "owner_rep_id",
        "lead_id",
        "channel",
    ) == [
        (
            "D-1",
            dt.datetime(2026, 1, 4, 23),
            dt.datetime(2026, 1, 19, 23),
            "won",
            True,
            1234.5,
            ACME,
            "U1",
            "L-001",
            "direct",
        ),
        ("D-3", dt.datetime(2026, 1, 9, 23), None, "negotiation", False, 2500.0, CAFE, "U1", None, "direct"),
    ]
    assert rows(any_db, "activities", "id", "occurred_at", "duration_s", "outcome", "rep_id", "lead_id", "type") == [
        ("C-1", dt.datetime(2026, 1, 5, 15, 0), 323, "connected", "U1", "L-001", "call"),
        ("C-2", dt.datetime(2026, 1, 5, 16, 30), 65, "voicemail", "U2", "L-002", "call"),
        ("C-3", dt.datetime(2026, 1, 6, 9, 0), 12, None, "U1", None, "call"),
    ]
    assert {t: (c.inserted, c.updated, c.unchanged) for t, c in result.counts.items()} == {
        "reps": (4, 0, 0),
        "accounts": (4, 0, 0),
        "leads": (4, 0, 0),
        "opportunities": (2, 0, 0),
        "activities": (3, 0, 0),
    }


def test_every_import_is_logged_with_file_hashes_and_counts(any_db: Database, exports: Path) -> None:
    result = _import(any_db, exports, user="analyst@example.com")
    (load,) = load_history(any_db)
    assert load.id == result.load_id == 1
    assert load.kind == "import"
    assert load.user == "analyst@example.com"
    assert (load.accepted, load.quarantined) == (12, 13)
    assert load.files == FILES
    hashes = {f["file"]: f["sha256"] for f in load.detail["files"]}
    assert hashes == {n: hashlib.sha256((exports / n).read_bytes()).hexdigest() for n in FILES}
    assert load.detail["created"] == {"reps": 1, "accounts": 4}
    assert abs(load.loaded_at - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=5)


def test_reimporting_the_same_files_changes_nothing(any_db: Database, exports: Path) -> None:
    first = _import(any_db, exports)
    before = snapshot(any_db)
    second = _import(any_db, exports)
    after = snapshot(any_db)

    assert second.plan.created == {}
    assert {t: (c.inserted, c.updated, c.unchanged) for t, c in second.counts.items()} == {
        "reps": (0, 0, 3),
        "leads": (0, 0, 4),
        "opportunities": (0, 0, 2),
        "activities": (0, 0, 3),
    }
    assert [(f.accepted, f.quarantined) for f in second.plan.files] == [
        (f.accepted, f.quarantined) for f in first.plan.files
    ]
    before.pop("loads")
    assert len(after.pop("loads")) == 2  # the second import is logged, nothing else moved
    assert after == before


def test_a_changed_value_updates_only_that_row_and_keeps_unmapped_columns(any_db: Database, exports: Path) -> None:
    _import(any_db, exports)
    opportunities = model.opportunities
    with any_db.writer() as conn:  # set by hand a column the deals mapping does not fill
        conn.execute(sa.update(opportunities).where(opportunities.c.id == "D-3").values(segment="enterprise"))
    changed = (exports / "deals_eu.csv").read_bytes().replace(b"Verhandlung;2.500;", b"Verhandlung;2.750;")
    (exports / "deals_eu.csv").write_bytes(changed)
    result = _import(any_db, exports, names=("deals_eu.csv",))
    assert (result.counts["opportunities"].updated, result.counts["opportunities"].unchanged) == (1, 1)
    assert rows(any_db, "opportunities", "id", "amount", "segment") == [
        ("D-1", 1234.5, None),
        ("D-3", 2750.0, "enterprise"),
    ]


def test_a_failure_midway_leaves_the_database_unchanged(
    any_db: Database, exports: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(any_db, exports, names=("users.xlsx",))
    before = snapshot(any_db)
    from scorecard.ingest import load

    calls: list[str] = []
    real = load.bulk_insert

    def failing(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:  # the second table fails
        calls.append(table.name)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(conn, table, frame)

    monkeypatch.setattr(load, "bulk_insert", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        _import(any_db, exports)
    assert len(calls) == 2
    assert snapshot(any_db) == before


def test_strict_aborts_on_any_bad_row_and_writes_nothing(make_db: MakeDb, exports: Path) -> None:
    db = make_db("duckdb")
    with pytest.raises(ImportRejected) as caught:
        _import(db, exports, names=("users.xlsx", "calls.tsv"), strict=True)
    assert caught.value.problems == [
        "--strict: 3 bad rows, so nothing was imported",
        "users.xlsx:4: Team: value has no entry under values: (mapping.yaml:14) ('Partners')",
        "calls.tsv:5: Started: not a date in format iso ('yesterday')",
        "calls.tsv:6: Duration: negative duration ('-5000')",
        "calls.tsv:6: Agent: unknown rep (looked up by name) ('Nobody Known')",
    ]
    assert not db.path.exists()  # type: ignore[union-attr]


def test_dry_run_reports_the_same_plan_and_writes_nothing(make_db: MakeDb, exports: Path) -> None:
    db = make_db("duckdb")
    result = _import(db, exports, dry_run=True)
    assert not result.written
    assert [(f.accepted, f.quarantined) for f in result.plan.files] == [(3, 1), (4, 5), (2, 5), (3, 2)]
    assert [tuple(r) for r in result.plan.quarantine.itertuples(index=False)] == EXPECTED_QUARANTINE
    assert not db.path.exists()  # type: ignore[union-attr]


def test_import_into_a_new_path_creates_the_database(tmp_path: Path, exports: Path) -> None:
    db = Database.open(tmp_path / "new" / "crm.duckdb")
    _import(db, exports, names=("calls.tsv", "users.xlsx"))
    assert db.exists()
    assert [r[0] for r in rows(db, "activities", "id")] == ["C-1", "C-2", "C-3"]


def test_a_mapped_column_missing_from_the_file_names_the_real_headers_and_the_nearest(
    make_db: MakeDb, exports: Path
) -> None:
    text = (exports / "leads_web.csv").read_bytes().replace(b"create date", b"Created On", 1)
    (exports / "leads_web.csv").write_bytes(text)
    with pytest.raises(IngestError) as caught:
        _import(make_db("duckdb"), exports, names=("leads_web.csv",))
    (problem,) = caught.value.problems
    assert problem == (
        "leads_web.csv: has no column 'Create Date' for leads.created_at "
        f"({exports / 'mapping.yaml'}:23); nearest is 'Created On'. "
        "Its columns: Lead_ID, Created On, LEAD SOURCE, Lead Owner, Company, Notes"
    )


def test_a_file_no_source_matches_is_an_error_naming_its_headers(make_db: MakeDb, exports: Path) -> None:
    (exports / "notes.txt").write_text("Title,Body\nHello,World\n")
    with pytest.raises(IngestError) as caught:
        _import(make_db("duckdb"), exports, names=("notes.txt",))
    assert caught.value.problems == [
        f"notes.txt: no source in {exports / 'mapping.yaml'} matches this file (by name or headers); "
        "its columns: Title, Body"
    ]
