"""Every import keeps leads.first_touch_at (the first activity on a lead) up to date,
and a mapping may not fill it from a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from scorecard.cli.main import main
from scorecard.store.db import Database
from tests.unit.ingest.helpers import rows

MAPPING = """\
version: 1
name: tiny-crm
sources:
  - name: leads
    table: leads
    match: {files: ["leads*.csv"]}
    columns:
      id: Lead ID
      created_at: Created
  - name: calls
    table: activities
    match: {files: ["calls*.csv"]}
    columns:
      id: Call ID
      lead_id: Lead ID
      type: {constant: call}
      occurred_at: When
"""


def _import(db: Path, mapping: Path, *files: Path) -> None:
    assert main(["import", "--db", str(db), "--mapping", str(mapping), *map(str, files)]) == 0


def test_imports_recompute_first_touch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING)
    leads = tmp_path / "leads.csv"
    leads.write_text("Lead ID,Created\nL1,2026-01-05 09:00\nL2,2026-01-06 10:00\n")
    calls = tmp_path / "calls-1.csv"
    calls.write_text("Call ID,Lead ID,When\nC1,L1,2026-01-07 12:00\nC2,L1,2026-01-06 08:00\n")
    path = tmp_path / "crm.duckdb"
    _import(path, mapping, leads, calls)
    db = Database.open(path)
    # L1's earliest call is C2 on Jan 6 08:00; L2 has none.
    assert rows(db, "leads", "id", "first_touch_at") == [("L1", dt.datetime(2026, 1, 6, 8, 0)), ("L2", None)]
    # A later export brings an even earlier call on L1 and the first one on L2.
    later = tmp_path / "calls-2.csv"
    later.write_text("Call ID,Lead ID,When\nC3,L1,2026-01-05 09:30\nC4,L2,2026-01-08 16:00\n")
    _import(path, mapping, later)
    db.dispose()
    db = Database.open(path)
    assert rows(db, "leads", "id", "first_touch_at") == [
        ("L1", dt.datetime(2026, 1, 5, 9, 30)),
        ("L2", dt.datetime(2026, 1, 8, 16, 0)),
    ]
    capsys.readouterr()


def test_a_mapping_cannot_fill_a_maintained_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        MAPPING.replace("      created_at: Created\n", "      created_at: Created\n      first_touch_at: Created\n")
    )
    leads = tmp_path / "leads.csv"
    leads.write_text("Lead ID,Created\nL1,2026-01-05 09:00\n")
    code = main(["import", "--db", str(tmp_path / "x.duckdb"), "--mapping", str(mapping), str(leads)])
    err = capsys.readouterr().err
    assert code != 0
    assert f"{mapping}:10:" in err and "leads.first_touch_at is computed by every load" in err
