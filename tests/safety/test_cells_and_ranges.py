"""Exports and quarantine files never carry a live formula; out-of-range values are quarantined per row."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from scorecard.cli.main import main
from scorecard.demo import generate as demo
from scorecard.ingest import SourceFile, load_mapping_text, quarantine_csv, run_import
from scorecard.store import model
from scorecard.store.cells import safe_text
from scorecard.store.db import Database
from tests.unit.ingest.helpers import rows

FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"]
"""Each begins with a character that makes a spreadsheet run the cell."""


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _live(cells: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run: text beginning with a formula character that is not a plain number."""
    return [c for row in cells for c in row if c and c[0] in "=+-@\t\r" and safe_text(c) != c]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(f, "'" + f) for f in FORMULAS],
        ("Trade show", "Trade show"),
        ("a=b", "a=b"),
        ("-5000", "-5000"),
        ("+1.5e3", "+1.5e3"),
        ("-", "'-"),
        (-12.5, -12.5),
        (None, None),
    ],
)
def test_safe_text(value: object, expected: object) -> None:
    assert safe_text(value) == expected


@pytest.fixture(scope="module")
def hostile_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database whose reps and a campaign carry formula-like names."""
    path = tmp_path_factory.mktemp("cells") / "demo.duckdb"
    db = Database.open(path)
    demo.build(db, leads=1_000)
    with db.writer() as conn:
        ids = [r[0] for r in conn.execute(sa.select(model.reps.c.id).order_by(model.reps.c.id)).all()]
        for rep_id, name in zip(ids, FORMULAS, strict=False):
            conn.execute(sa.update(model.reps).where(model.reps.c.id == rep_id).values(name=name))
    db.dispose()
    return path


def test_export_csv_neutralises_formulas(hostile_demo: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["export", "--db", str(hostile_demo), "--table", "reps", "--format", "csv"]) == 0
    cells = _cells(capsysbinary.readouterr().out.decode())
    names = [row[cells[0].index("name")] for row in cells[1:]]
    for formula in FORMULAS:
        assert "'" + formula in names
    assert _live(cells) == []


def test_ranking_csv_neutralises_formulas(hostile_demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ranking", "--db", str(hostile_demo), "--format", "csv"]) == 0
    cells = _cells(capsys.readouterr().out)
    assert any(c.startswith("'=") or c.startswith("'+") or c.startswith("'@") for row in cells for c in row)
    assert _live(cells) == []


def test_scorecard_csv_quotes_text_but_keeps_negative_numbers(tmp_path: Path, hostile_demo: Path) -> None:
    from scorecard.catalog.load import check_text
    from scorecard.judge import weekly
    from scorecard.language import periods
    from scorecard.present.report import scorecard_csv

    root = Path(__file__).resolve().parents[2]
    text = (root / "metrics.yaml").read_text().replace("label: Win rate", "label: \"=HYPERLINK('http://x')\"", 1)
    catalog, issues = check_text(text, "m.yaml")
    assert catalog is not None, [str(i) for i in issues]
    week = periods.last_complete_week(catalog.calendar)
    card = weekly.build(Database.open(hostile_demo), catalog, week, {})
    cells = _cells(scorecard_csv(card))
    labels = [row[cells[0].index("label")] for row in cells[1:]]
    assert "'=HYPERLINK('http://x')" in labels
    deltas = [row[cells[0].index("delta")] for row in cells[1:] if row[cells[0].index("delta")]]
    assert any(d.startswith("-") for d in deltas), "a negative change stays a number"
    assert _live(cells) == []


HOSTILE_MAPPING = """\
version: 1
name: hostile
sources:
  - name: deals
    table: opportunities
    match: {headers: [Deal ID]}
    columns:
      id: Deal ID
      created_at: Created
      closed_at: {column: Closed, optional: true}
      stage: Stage
      amount: Amount
      channel: {constant: direct}
  - name: calls
    table: activities
    match: {headers: [Call ID]}
    columns:
      id: Call ID
      type: {constant: call}
      occurred_at: Started
      duration_s: Duration
"""

# Rows worked out by hand: which land, which are quarantined and why.
DEALS = """\
Deal ID,Created,Closed,Stage,Amount
D1,2026-01-05,2026-01-20,won,1000
D2,2026-01-05,2026-01-20,won,99999999999999999999
D3,0001-01-01,,prospecting,10
D4,9999-12-31,,prospecting,10
D5,1900-01-01,,prospecting,10
D6,2026-01-05,3000-01-01,won,10
D7,2026-01-05,,prospecting,9999999999999999.99
D8,2026-01-05,,prospecting,12345678901.23
D9,2026-01-05,,=cmd|' /C calc'!A0,5
"""
CALLS = """\
Call ID,Started,Duration
C1,2026-01-05 10:00,60
C2,2026-01-05 10:00,99999999999
C3,2026-01-05 10:00,2147483647
C4,2026-01-05 10:00,2147483648
"""
EXPECTED_QUARANTINE = [
    ["file", "row", "column", "value", "reason"],
    [
        "deals.csv",
        "3",
        "Amount",
        "99999999999999999999",
        "too large for an amount (must be below 10,000,000,000,000,000)",
    ],
    ["deals.csv", "4", "Created", "0001-01-01", "date outside 1900-01-01 .. 2199-12-31; is the year right?"],
    ["deals.csv", "5", "Created", "9999-12-31", "date outside 1900-01-01 .. 2199-12-31; is the year right?"],
    ["deals.csv", "7", "Closed", "3000-01-01", "date outside 1900-01-01 .. 2199-12-31; is the year right?"],
    [
        "deals.csv",
        "8",
        "Amount",
        "9999999999999999.99",
        "too large for an amount (must be below 10,000,000,000,000,000)",
    ],
    [
        "deals.csv",
        "10",
        "Stage",
        "'=cmd|' /C calc'!A0",
        "not one of prospecting, qualification, proposal, negotiation, won, lost",
    ],
    ["calls.csv", "3", "Duration", "99999999999", "too large for a whole number (at most 2,147,483,647)"],
    ["calls.csv", "5", "Duration", "2147483648", "too large for a whole number (at most 2,147,483,647)"],
]


def _files() -> list[SourceFile]:
    return [SourceFile("deals.csv", data=DEALS.encode()), SourceFile("calls.csv", data=CALLS.encode())]


def test_out_of_range_values_are_quarantined_per_row_on_every_engine(any_db: Database) -> None:
    mapping = load_mapping_text(HOSTILE_MAPPING, "hostile.yaml")
    dry = run_import(any_db, _files(), mapping, dry_run=True)
    assert _cells(quarantine_csv(dry.plan).decode()) == EXPECTED_QUARANTINE, "the dry run catches the same rows"
    result = run_import(any_db, _files(), mapping)
    assert _cells(quarantine_csv(result.plan).decode()) == EXPECTED_QUARANTINE
    assert rows(any_db, "opportunities", "id", "amount") == [("D1", 1000.0), ("D5", 10.0), ("D8", 12345678901.23)]
    assert rows(any_db, "activities", "id", "duration_s") == [("C1", 60), ("C3", 2147483647)]


def test_the_cli_quarantine_file_has_no_live_formula(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.yaml").write_text(HOSTILE_MAPPING)
    (tmp_path / "deals.csv").write_text(DEALS)
    quarantine = tmp_path / "q.csv"
    code = main(
        ["import", "--db", str(tmp_path / "x.duckdb"), "--mapping", str(tmp_path / "m.yaml"),
         "--quarantine", str(quarantine), str(tmp_path / "deals.csv")]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    cells = _cells(quarantine.read_text())
    assert cells[-1][:4] == ["deals.csv", "10", "Stage", "'=cmd|' /C calc'!A0"]
    assert _live(cells) == []
