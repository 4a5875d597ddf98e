"""`python -m scorecard import` and `export`: flags, summary, quarantine file, one-line errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from scorecard.cli.main import main
from scorecard.store.db import Database

from .helpers import rows, stable_id

ROOT = Path(__file__).resolve().parents[3]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_prints_a_summary_and_writes_the_quarantine_csv(
    capsys: pytest.CaptureFixture[str], exports: Path, tmp_path: Path
) -> None:
    db_path = tmp_path / "crm.duckdb"
    quarantine = tmp_path / "bad.csv"
    code, out, _ = _run(
        capsys,
        "import",
        "--db",
        str(db_path),
        "--mapping",
        str(exports / "mapping.yaml"),
        "--quarantine",
        str(quarantine),
        str(exports / "users.xlsx"),
        str(exports / "calls.tsv"),
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[:2] == [
        "users.xlsx -> reps (users): 4 rows, 3 accepted, 1 quarantined",
        "calls.tsv -> activities (calls): 5 rows, 3 accepted, 2 quarantined",
    ]
    assert "reps: 3 new, 0 updated, 0 unchanged" in lines
    assert "activities: 3 new, 0 updated, 0 unchanged" in lines
    assert "recorded as load 1" in lines
    assert f"quarantine: {quarantine} (4 problems in 3 rows)" in lines
    with open(quarantine, newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [
            ["file", "row", "column", "value", "reason"],
            ["users.xlsx", "4", "Team", "Partners", "value has no entry under values: (mapping.yaml:14)"],
            ["calls.tsv", "5", "Started", "yesterday", "not a date in format iso"],
            ["calls.tsv", "6", "Duration", "-5000", "negative duration"],
            ["calls.tsv", "6", "Agent", "Nobody Known", "unknown rep (looked up by name)"],
        ]


def test_database_defaults_to_scorecard_db_and_quarantine_goes_next_to_it(
    capsys: pytest.CaptureFixture[str], exports: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "data" / "scorecard.duckdb"
    monkeypatch.setenv("SCORECARD_DB", str(db_path))
    code, out, _ = _run(capsys, "import", "--preset", "salesforce", *map(str, sorted(exports.glob("salesforce/*.csv"))))
    assert code == 0
    assert [r[0] for r in rows(Database.open(db_path), "opportunities", "id")] == [
        "0065g00000BBBB1",
        "0065g00000BBBB2",
        "0065g00000BBBB3",
    ]
    (written,) = (tmp_path / "data" / "quarantine").glob("*.csv")
    assert len(written.read_text().splitlines()) == 1 + 4
    assert f"quarantine: {written} (4 problems in 4 rows)" in out.splitlines()


def test_dry_run_writes_nothing(capsys: pytest.CaptureFixture[str], exports: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "crm.duckdb"
    code, out, _ = _run(
        capsys,
        "import",
        "--dry-run",
        "--db",
        str(db_path),
        "--mapping",
        str(exports / "mapping.yaml"),
        "--quarantine",
        str(tmp_path / "q.csv"),
        str(exports / "leads_web.csv"),
    )
    assert code == 0
    assert "dry run: nothing was written" in out.splitlines()
    assert not db_path.exists()


def test_strict_fails_with_one_line_per_problem(
    capsys: pytest.CaptureFixture[str], exports: Path, tmp_path: Path
) -> None:
    db_path = tmp_path / "crm.sqlite"
    quarantine = tmp_path / "q.csv"
    code, _, err = _run(
        capsys,
        "import",
        "--strict",
        "--db",
        str(db_path),
        "--mapping",
        str(exports / "mapping.yaml"),
        "--quarantine",
        str(quarantine),
        str(exports / "users.xlsx"),
    )
    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        "error: --strict: 1 bad rows, so nothing was imported",
        "error: users.xlsx:4: Team: value has no entry under values: (mapping.yaml:14) ('Partners')",
        f"error: quarantine written to {quarantine}",
    ]
    assert not Database.open(db_path).exists()
    assert len(quarantine.read_text().splitlines()) == 2


def test_mapping_problems_are_one_line_each(capsys: pytest.CaptureFixture[str], tmp_path: Path, exports: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - table: lead\n    columns: {id: Id}\n  - table: reps\n    columns: {nme: Name}\n")
    code, _, err = _run(
        capsys, "import", "--db", str(tmp_path / "x.duckdb"), "--mapping", str(bad), str(exports / "calls.tsv")
    )
    assert code == 1
    assert err.splitlines() == [
        f"error: {bad}:2: source 'source 1': table 'lead' cannot be imported; did you mean 'leads'?",
        f"error: {bad}:5: source 'source 2': reps has no column 'nme'; did you mean 'name'?",
        f"error: {bad}:5: source 'source 2': reps.id is required but not mapped; map a column or give `constant:`",
        f"error: {bad}:5: source 'source 2': reps.name is required but not mapped; map a column or give `constant:`",
        f"error: {bad}:5: source 'source 2': reps.team is required but not mapped; map a column or give `constant:`",
    ]


def test_missing_files_are_reported_before_anything_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(
        capsys, "import", "--db", str(tmp_path / "x.duckdb"), "--preset", "hubspot", str(tmp_path / "nope.csv")
    )
    assert code == 1
    assert err.splitlines() == [f"error: {tmp_path / 'nope.csv'}: no such file"]


def test_export_csv_to_stdout_and_parquet_to_a_file(
    any_db: Database, capsys: pytest.CaptureFixture[str], exports: Path, tmp_path: Path
) -> None:
    url = any_db.url.render_as_string(hide_password=False)
    assert (
        _run(
            capsys,
            "import",
            "--db",
            url,
            "--mapping",
            str(exports / "mapping.yaml"),
            "--quarantine",
            str(tmp_path / "q.csv"),
            *(str(exports / n) for n in ("users.xlsx", "leads_web.csv", "deals_eu.csv")),
        )[0]
        == 0
    )
    code, out, _ = _run(capsys, "export", "--db", url, "--table", "opportunities", "--format", "csv")
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    # deals_eu.csv's dates have no time of day: calendar days of the catalog (metrics.yaml: UTC),
    # not midnight in the mapping's Europe/Berlin (which would be 23:00 UTC the day before).
    assert [(r["id"], r["created_at"], r["closed_at"], r["stage"], r["is_won"], r["amount"]) for r in table] == [
        ("D-1", "2026-01-05 00:00:00", "2026-01-20 00:00:00", "won", "true", "1234.50"),
        ("D-3", "2026-01-10 00:00:00", "", "negotiation", "false", "2500.00"),
    ]
    target = tmp_path / "reps.parquet"
    code, _, err = _run(capsys, "export", "--db", url, "--table", "reps", "--format", "parquet", "--out", str(target))
    assert code == 0
    assert err.strip() == f"wrote 4 reps rows to {target}"
    reps = pq.read_table(target)
    assert str(reps.schema.field("hire_date").type) == "date32[day]"
    assert [(r["id"], r["team"], r["hire_date"]) for r in reps.to_pylist()] == [
        ("U1", "sales", dt.date(2023, 3, 1)),
        ("U2", "marketing", dt.date(2023, 3, 15)),
        ("U4", "sales", None),
        (stable_id("reps", "rep", "Zed Zane"), "sales", None),  # created by leads_web.csv
    ]


@pytest.mark.slow  # a real process
def test_the_real_command_line_runs_import(exports: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "crm.duckdb"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scorecard",
            "import",
            "--db",
            str(db_path),
            "--preset",
            "hubspot",
            "--timezone",
            "America/New_York",
            "--quarantine",
            str(tmp_path / "q.csv"),
            *map(str, sorted(exports.glob("hubspot/*.csv"))),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "created 2 reps named in the files but missing from the database" in done.stdout.splitlines()
    assert "created 3 accounts named in the files but missing from the database" in done.stdout.splitlines()
