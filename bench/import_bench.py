"""Benchmark: import a messy 1,000,000-row leads CSV into a fresh DuckDB file.

Prints the import's seconds and rows/s, and the ratio against a baseline measured in
the same run on the same file: DuckDB's own read_csv into a table (no mapping, no
validation). Run: `.venv/bin/python bench/import_bench.py [--rows N]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scorecard.cli.ingest import TerminalProgress  # noqa: E402
from scorecard.ingest import SourceFile, load_mapping_text, run_import  # noqa: E402
from scorecard.store.db import Database  # noqa: E402

MAPPING = """
version: 1
defaults: {timezone: America/New_York}
sources:
  - name: leads
    table: leads
    match: {files: ["leads*.csv"]}
    columns:
      id: Lead ID
      created_at: Create Date
      mql_at: {column: MQL Date}
      source:
        column: Lead Source
        values: {Trade Show: trade_show, Webinar: webinar, Paid Search: paid_search, Content: content}
        unmapped: keep
      owner_rep_id: {column: Lead Owner, lookup: {by: auto, create: true}}
      account_id: {column: Company, lookup: {by: name, create: true}}
      region: Region
      segment: {column: Segment, values: {SMB: smb, Mid-Market: mid_market, Enterprise: enterprise}}
"""


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Leads as a CRM exports them: mixed date shapes, stray spaces, case noise, a few bad rows."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700 * 86_400, rows), unit="s")
    shape = rng.integers(0, 10, rows)
    us = pd.Series(created.strftime("%-m/%-d/%Y %-I:%M %p"), dtype="str")
    iso = pd.Series(created.strftime("%Y-%m-%d %H:%M:%S"), dtype="str")
    serial = pd.Series(
        ((created - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)).round(5).astype(str), dtype="str"
    )
    dates = us.where(shape < 5, iso.where(shape < 9, serial))
    dates[rng.random(rows) < 0.002] = "not a date"
    mql = (created + pd.to_timedelta(rng.integers(0, 5 * 86_400, rows), unit="s")).strftime("%Y-%m-%dT%H:%M:%SZ")
    mql = pd.Series(mql, dtype="str").where(rng.random(rows) < 0.6, "")
    sources = np.array(["Trade Show", "trade show ", "WEBINAR", "Paid Search", "Content", "Partner Referral"])
    owners = np.array([f"Rep {i:03d}" for i in range(150)] + [f"rep{i:03d}@example.com" for i in range(50)])
    owners_messy = np.char.add(owners, np.where(np.arange(len(owners)) % 3 == 0, "  ", ""))
    companies = np.array([f"Company {i:05d} Inc" for i in range(20_000)])
    ids = np.char.add("00Q", np.char.zfill(np.arange(rows).astype(str), 12))
    ids[rng.random(rows) < 0.001] = ""
    table = pa.table(
        {
            "Lead ID": ids,
            "Create Date": dates.to_numpy(dtype=object),
            "MQL Date": mql.to_numpy(dtype=object),
            "Lead Source": sources[rng.integers(0, len(sources), rows)],
            "Lead Owner": owners_messy[rng.integers(0, len(owners), rows)],
            "Company": companies[rng.integers(0, len(companies), rows)],
            "Region": np.array(["emea", "na", "apac", "latam"])[rng.integers(0, 4, rows)],
            "Segment": np.array(["SMB", "Mid-Market", "Enterprise", "smb"])[rng.integers(0, 4, rows)],
        }
    )
    pa_csv.write_csv(table, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "leads_export.csv"
        t0 = time.perf_counter()
        make_csv(csv_path, args.rows)
        print(f"made {args.rows:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s")

        baseline_db = folder / "baseline.duckdb"
        t0 = time.perf_counter()
        with duckdb.connect(str(baseline_db)) as con:
            con.read_csv(str(csv_path), all_varchar=True).create("leads_raw")
        baseline = time.perf_counter() - t0

        db = Database.open(folder / "bench.duckdb")
        progress = TerminalProgress()
        t0 = time.perf_counter()
        result = run_import(db, [SourceFile.from_path(csv_path)], load_mapping_text(MAPPING), progress=progress)
        seconds = time.perf_counter() - t0
        progress.close()
        for line in result.summary():
            print(line)
        print()
        print(f"import:   {seconds:6.2f} s  {args.rows / seconds:12,.0f} rows/s")
        print(f"baseline: {baseline:6.2f} s  {args.rows / baseline:12,.0f} rows/s  (DuckDB read_csv into a table)")
        print(f"ratio:    {seconds / baseline:6.1f} x the baseline")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
