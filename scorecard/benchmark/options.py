"""The command line options of `python -m scorecard bench`, apart from the benchmark itself so
that building the CLI's parser imports nothing heavy."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_SIZES = (100_000, 1_000_000, 10_000_000)
DEFAULT_DIR = Path("/tmp/scorecard-bench")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES), help="leads per size, comma-separated")
    p.add_argument("--engine", choices=("duckdb", "sqlite", "postgresql"), default="duckdb")
    p.add_argument("--url", help="the PostgreSQL database to fill with each size's demo (it is replaced)")
    p.add_argument("--repeat", type=int, default=5, help="rounds of timings (at least 5 for a fair median)")
    p.add_argument("--dir", default=str(DEFAULT_DIR), help="where the demo databases live (reused between runs)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the demo databases even if present")
    p.add_argument(
        "--skip", default="", help="approaches to leave out, e.g. c (pandas at 10M leads needs a lot of RAM)"
    )
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory processes")
    p.add_argument("--write", metavar="FILE", help="write the results into FILE (e.g. BENCHMARKS.md)")
    p.add_argument("--browser", action=argparse.BooleanOptionalAction, default=False,
                   help="also time the dashboard in headless Chromium")  # fmt: skip
    p.add_argument("--browser-leads", type=int, default=1_000_000, help="demo size for the browser part")
