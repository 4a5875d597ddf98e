"""Benchmark the metric engine: the weekly scorecard on DuckDB and SQLite, per metric.

Builds (or reuses) demo databases of the same seed and size on both engines, then
times scorecard.build for the last complete week, unfiltered and filtered, and each
metric's statement on its own. Prints seconds and the ratio SQLite / DuckDB, measured
in the same run on the same data.

    python bench/engine_bench.py [--leads 1000000] [--dir /tmp/scorecard-bench] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scorecard.catalog.load import load_catalog  # noqa: E402
from scorecard.demo import generate as demo  # noqa: E402
from scorecard.engine.runner import Runner  # noqa: E402
from scorecard.judge import weekly  # noqa: E402
from scorecard.language import periods as cal  # noqa: E402
from scorecard.language.definitions import CohortMetric  # noqa: E402
from scorecard.sql.query import Query
from scorecard.store.config import DEFAULT_METRICS  # noqa: E402
from scorecard.store.db import Database  # noqa: E402


def timed(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    """Median wall seconds of `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ensure(path: Path, leads: int) -> Database:
    db = Database.open(path)
    if not db.exists():
        print(f"building {path.name} ({leads:,} leads)...", flush=True)
        demo.build(db, leads=leads, progress=demo.terminal_progress)
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--dir", default="/tmp/scorecard-bench")
    parser.add_argument("--skip-sqlite", action="store_true", help="DuckDB only (SQLite at 1M leads takes minutes)")
    args = parser.parse_args()
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    catalog = load_catalog(DEFAULT_METRICS)
    engines = {"duckdb": ensure(folder / f"demo-{args.leads}.duckdb", args.leads)}
    if not args.skip_sqlite:
        engines["sqlite"] = ensure(folder / f"demo-{args.leads}.sqlite", args.leads)
    week = cal.last_complete_week(catalog.calendar)
    weeks = cal.weeks_ending(catalog.calendar, week, weekly.TREND_WEEKS)
    results: dict[str, dict[str, float]] = {}
    for name, db in engines.items():
        print(f"\n{name}: weekly scorecard for {week.label}, 12-week trends ({args.leads:,} leads)")
        row: dict[str, float] = {}
        row["scorecard"] = timed(lambda db=db: weekly.build(db, catalog, week))
        row["scorecard region=EMEA"] = timed(lambda db=db: weekly.build(db, catalog, week, {"region": ["EMEA"]}))
        print(f"  {'scorecard (all metrics)':32s} {row['scorecard']:8.3f} s")
        print(f"  {'scorecard, region=EMEA':32s} {row['scorecard region=EMEA']:8.3f} s")
        for metric in catalog.scorecard_metrics():
            shown = weeks
            if isinstance(metric, CohortMetric):
                shown = cal.weeks_ending(catalog.calendar, weekly.mature_cohort_week(catalog, metric, week), 12)
            query = Query.build(shown, as_of=week.end)
            row[metric.name] = timed(lambda db=db, m=metric.name, q=query: Runner(db, catalog).run(m, q), repeat=1)
            print(f"  {metric.name:32s} {row[metric.name]:8.3f} s")
        results[name] = row
    if "sqlite" in results:
        print("\nratio SQLite / DuckDB (same data, same statements)")
        for key, duck in results["duckdb"].items():
            print(f"  {key:32s} {results['sqlite'][key] / duck:8.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
