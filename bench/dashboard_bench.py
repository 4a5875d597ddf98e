"""How fast the weekly scorecard redraws after a filter change: the core alone, then through the page.

    python bench/dashboard_bench.py --db /tmp/big.duckdb          # the 1,000,000-lead demo
    python bench/dashboard_bench.py --db /tmp/big.duckdb --repeat 5

(a) Core: `scorecard.build` for the last complete week under a new filter, in process, each
    with a fresh Runner (nothing remembered). Baseline: the first build without a filter.
    Per-metric times show which statements dominate.
(b) Page: the real dashboard through streamlit.testing's AppTest. Baseline: the first run
    (cold: imports, catalog, filter options, the scorecard). Then filter changes never seen
    before (uncached: the scorecard is built) and changes back to filters seen before
    (cached: st.cache_data answers). Printed as seconds and as ratios to the baselines.

Prints figures; asserts nothing (benchmarks are read, not gated).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scorecard.catalog.load import Catalog, load_catalog  # noqa: E402
from scorecard.engine.runner import Runner, dimension_values  # noqa: E402
from scorecard.judge.weekly import build  # noqa: E402
from scorecard.language import periods as cal  # noqa: E402
from scorecard.store import config  # noqa: E402
from scorecard.store.db import Database  # noqa: E402

Filters = dict[str, list[str]]


def _seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _filters(db: Database, catalog: Catalog, count: int) -> list[Filters]:
    """New filters to switch to, taking turns: a region, a segment, a product, a lead source, the next region..."""
    columns = [
        [{dimension: [value]} for value in dimension_values(db, catalog, dimension)]
        for dimension in ("region", "segment", "product", "source")
        if dimension in catalog.dimensions
    ]
    out: list[Filters] = []
    for i in range(max((len(c) for c in columns), default=0)):
        out += [column[i] for column in columns if i < len(column)]
    return out[:count]


def core(db: Database, catalog: Catalog, filters: Sequence[Filters]) -> None:
    """(a) scorecard.build under each filter, cold in process, and per-metric times for one filter."""
    week = cal.last_complete_week(catalog.calendar)
    print(f"(a) core: scorecard.build for {week.label}, fresh Runner each time")
    baseline = _seconds(partial(build, db, catalog, week))
    print(f"    baseline (first build, no filter)      {baseline:7.3f} s")
    times = []
    for chosen in filters:
        seconds = _seconds(partial(build, db, catalog, week, chosen))
        times.append(seconds)
        print(f"    filter {_text(chosen):32s} {seconds:7.3f} s   x{seconds / baseline:.2f} of baseline")
    median = statistics.median(times)
    print(f"    median filter change                   {median:7.3f} s   x{median / baseline:.2f} of baseline")
    chosen = filters[0] if filters else {}
    print(f"    per metric under {_text(chosen)} (one statement each; derived metrics run their parts):")
    rows = []
    for metric in catalog.scorecard_metrics():
        runner = Runner(db, catalog)
        seconds = _seconds(partial(build, db, catalog, week, chosen, metrics=[metric.name], runner=runner))
        rows.append((seconds, metric.name, runner.statements_run))
    total = sum(s for s, _, _ in rows)
    for seconds, name, statements in sorted(rows, reverse=True):
        print(f"      {name:30s} {seconds:7.3f} s  {seconds / total:5.1%}  ({statements} statement(s))")
    print(f"      {'sum':30s} {total:7.3f} s")


def _dashboard(root: str) -> None:
    import sys

    if root not in sys.path:
        sys.path.insert(0, root)
    import dashboard

    dashboard.main()


def page(filters: Sequence[Filters], repeat: int) -> None:
    """(b) The weekly scorecard page through AppTest: cold first run, uncached and cached filter changes."""
    from streamlit.testing.v1 import AppTest

    print("(b) page: the weekly scorecard through streamlit.testing.AppTest")
    app = AppTest.from_function(_dashboard, args=(str(ROOT),), default_timeout=600)
    cold = _seconds(app.run)
    _check(app)
    print(f"    baseline (first run: imports, catalog, options, scorecard) {cold:7.3f} s")
    noop = _seconds(app.run)
    print(f"    rerun, nothing changed                                     {noop:7.3f} s   x{noop / cold:.3f}")

    def switch(chosen: Filters) -> float:
        for name in ("region", "segment", "product", "source"):
            widget = app.multiselect(key=name)
            if list(widget.value) != chosen.get(name, []):
                widget.set_value(chosen.get(name, []))
        seconds = _seconds(app.run)
        _check(app)
        return seconds

    uncached = []
    for chosen in filters:
        seconds = switch(chosen)
        uncached.append(seconds)
        print(f"    new filter {_text(chosen):28s} (uncached)               {seconds:7.3f} s   x{seconds / cold:.3f}")
    cached = []
    for _ in range(repeat):
        for chosen in [*filters, {}]:
            cached.append(switch(chosen))
    warm = statistics.median(cached)
    first_change = statistics.median(uncached)
    print(f"    filter seen before (cached), median of {len(cached):3d}               {warm:7.3f} s   "
          f"x{warm / cold:.3f} of the first run, x{warm / first_change:.3f} of an uncached change")
    print(f"    slowest cached change                                      {max(cached):7.3f} s")


def _check(app: object) -> None:
    problems = [e.value for e in app.exception] + [e.value for e in app.error]  # type: ignore[attr-defined]
    if problems:
        raise SystemExit(f"the page failed: {problems[0]}")
    if not app.metric:  # type: ignore[attr-defined]
        raise SystemExit("the page drew no scorecard (is the database built?)")


def _text(filters: Filters) -> str:
    return ", ".join(f"{k}={'|'.join(v)}" for k, v in filters.items()) or "(none)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database (default: $SCORECARD_DB or data/scorecard.duckdb)")
    parser.add_argument("--filters", type=int, default=4, help="how many new filters to switch to")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of cached filter changes")
    parser.add_argument("--skip-core", action="store_true")
    parser.add_argument("--skip-page", action="store_true")
    args = parser.parse_args(argv)
    target = config.database_target(args.db)
    os.environ[config.DB_ENV] = target
    db = Database.open(target)
    if not db.exists():
        print(f"{db.display()} has no data: python -m scorecard demo --db {db.display()} --leads 1000000")
        return 1
    catalog = load_catalog(config.metrics_path())
    with db.engine().connect() as conn:
        leads = conn.exec_driver_sql("select count(*) from leads").scalar_one()
    print(f"database {db.display()}: {leads:,} leads; catalog {catalog.version}")
    filters = _filters(db, catalog, args.filters)
    if not args.skip_core:
        core(db, catalog, filters)
    if not args.skip_page:
        page(filters, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
