"""How the demo build scales: 10k, 100k and 1M leads into DuckDB files in a temp dir.

Prints, per size, seconds to generate the frames and to build the whole database
(generate + load + write), rows and rows per second, then the 1M / 100k time ratio
(10 means linear). A script that prints ratios, not a timed assert.

    python bench/demo_bench.py [--sizes 10000 100000 1000000] [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scorecard.demo import generate as demo  # noqa: E402
from scorecard.store.db import Database  # noqa: E402

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)


@dataclass(frozen=True)
class Measurement:
    """One size's timings."""

    leads: int
    generate_s: float
    build_s: float
    rows: int
    activities: int
    file_mb: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.build_s


def measure(leads: int, seed: int, today: dt.date, directory: Path) -> Measurement:
    """Generate once (timed alone), then build a fresh DuckDB file with terminal progress."""
    started = time.perf_counter()
    demo.generate(leads, seed, today)
    generate_s = time.perf_counter() - started
    path = directory / f"demo_{leads}.duckdb"
    db = Database.open(path)
    summary = demo.build(db, leads=leads, seed=seed, today=today, progress=demo.terminal_progress)
    db.dispose()
    counts = dict(summary.rows)
    return Measurement(
        leads, generate_s, summary.seconds, summary.total_rows, counts["activities"], path.stat().st_size / 1e6
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    args = parser.parse_args()
    today = dt.datetime.now(dt.UTC).date()
    results: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="scorecard-bench-") as tmp:
        for leads in args.sizes:
            print(f"building {leads:,} leads")
            results.append(measure(leads, args.seed, today, Path(tmp)))
    print()
    print(
        f"{'leads':>10} {'generate s':>11} {'build s':>8} {'rows':>11} {'activities':>11} {'rows/s':>10} {'file MB':>8}"
    )
    for m in results:
        print(
            f"{m.leads:>10,} {m.generate_s:>11.2f} {m.build_s:>8.2f} {m.rows:>11,} {m.activities:>11,} "
            f"{m.rows_per_s:>10,.0f} {m.file_mb:>8.1f}"
        )
    by_size = {m.leads: m for m in results}
    if 100_000 in by_size and 1_000_000 in by_size:
        ratio = by_size[1_000_000].build_s / by_size[100_000].build_s
        print(f"\n1M / 100k build time: {ratio:.1f}x (10x would be linear)")


if __name__ == "__main__":
    main()
