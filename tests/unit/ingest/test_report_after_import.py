"""After an import the metric engine's weekly scorecard runs on the imported data.

Hand-computed from the fixtures (weeks start Monday, UTC): leads L-001 (Jan 5 14:30),
L-002 (Jan 6 14:00) and L-005 (Jan 8 21:15) fall in 2026-W02 (Jan 5-11); L-007
(Jan 12 05:00) in W03. Deal D-1 (1,234.50, created 2026-01-04 23:00 UTC, won and
closed 2026-01-19 23:00 UTC) is the only close of W04 (Jan 19-25): 15 days.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scorecard.ingest import SourceFile, load_mapping, run_import
from scorecard.store.db import Database

pytestmark = pytest.mark.slow  # a real import then a real report, as processes

ROOT = Path(__file__).resolve().parents[3]


def _report(db_path: Path, week: str) -> dict[str, dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "scorecard", "report", "--db", str(db_path), "--week", week, "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {row["metric"]: row for row in json.loads(done.stdout)}


def test_weekly_report_runs_on_imported_data(exports: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "imported.duckdb"
    names = ("users.xlsx", "leads_web.csv", "deals_eu.csv", "calls.tsv")
    run_import(
        Database.open(db_path),
        [SourceFile.from_path(exports / n) for n in names],
        load_mapping(exports / "mapping.yaml"),
    )

    week2 = _report(db_path, "2026-W02")
    assert (week2["leads_created"]["value"], week2["leads_created"]["n"]) == (3.0, 3)
    week4 = _report(db_path, "2026-W04")
    assert week4["bookings"]["value"] == 1234.5
    assert week4["win_rate"]["value"] == 1.0
    assert week4["cycle_days_median"]["value"] == 15.0
