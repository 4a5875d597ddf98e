"""Run the benchmark: per size, build or reuse the demo database, check that the engine (a),
the hand-written SQL (b) and pandas (c) agree on every number, time them in turns, measure
each one's peak memory in a process of its own, and print (and write) the table.

    python -m scorecard bench --sizes 100000,1000000 --repeat 5

A script that prints figures and ratios measured in the same run; it asserts nothing about
speed. It exits 1 when the three disagree on any number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scorecard.benchmark import frames, handsql
from scorecard.benchmark.numbers import Filters, Numbers, disagreements, from_scorecard, periods_shown
from scorecard.benchmark.options import add_arguments
from scorecard.catalog.load import Catalog, load_catalog
from scorecard.judge import readiness, weekly
from scorecard.language.periods import Period
from scorecard.store.db import Database

FILTERED: dict[str, list[str]] = {"region": ["EMEA"], "product": ["Pipeline Analytics"]}
"""The region + product filter timed beside the unfiltered scorecard (both exist in the demo)."""
SCENARIOS: dict[str, Filters] = {"unfiltered": {}, "region+product": FILTERED}
APPROACHES = ("a", "b", "c")
LABELS = {
    "a": "a. engine: scorecard.build",
    "b": "b. hand-written SQL",
    "c": "c. pandas (read + compute)",
    "c_read": "   pandas: reading the tables",
    "c_compute": "   pandas: computing",
}
BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"


class Disagreement(RuntimeError):
    """The approaches computed different numbers."""


@dataclass
class Size:
    """One database size's measurements."""

    leads: int
    engine: str
    times: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    peak_mib: dict[str, float] = field(default_factory=dict)
    readiness_s: float = 0.0
    numbers_checked: int = 0
    build_s: float | None = None
    note: str = ""

    def median(self, approach: str, scenario: str) -> float | None:
        found = self.times.get((approach, scenario))
        return statistics.median(found) if found else None

    def cell(self, approach: str, scenario: str) -> str:
        found = self.times.get((approach, scenario))
        if not found:
            return "—"
        return f"{statistics.median(found):.3f} ({min(found):.3f}–{max(found):.3f})"


@dataclass(frozen=True)
class Setup:
    """What every approach needs for one database: the week, the periods shown, readiness."""

    db: Database
    catalog: Catalog
    week: Period
    ready: readiness.Readiness
    shown: Mapping[str, Mapping[str, tuple[Period, ...]]]


def _say(text: str) -> None:
    print(text, flush=True)


def database_for(folder: Path, leads: int, engine: str, url: str | None = None) -> Database:
    """The demo database of `leads` leads for `engine`: a file in `folder`, or the given URL."""
    if engine == "postgresql":
        if not url:
            raise SystemExit("--engine postgresql needs --url postgresql+psycopg://...")
        return Database.open(url)
    suffix = {"duckdb": "duckdb", "sqlite": "sqlite"}[engine]
    return Database.open(folder / f"demo-{leads}.{suffix}")


def ensure(db: Database, leads: int, rebuild: bool) -> float | None:
    """Build the demo database unless one of this size is already there; seconds if built."""
    from scorecard.demo import generate as demo

    if db.exists() and not rebuild:
        with db.engine().connect() as conn:
            have = conn.exec_driver_sql("SELECT count(*) FROM leads").scalar_one()
        if have == leads:
            _say(f"  reusing {db.display()} ({have:,} leads)")
            return None
    _say(f"  building {db.display()} with {leads:,} leads (progress below)")
    started = time.perf_counter()
    summary = demo.build(db, leads=leads, progress=demo.terminal_progress)
    seconds = time.perf_counter() - started
    _say(f"  {summary}")
    return seconds


def prepare(db: Database, catalog: Catalog) -> tuple[Setup, float]:
    from scorecard.judge.coverage import coverage

    started = time.perf_counter()
    ready = readiness.check(db, catalog)
    ready_s = time.perf_counter() - started
    week = coverage(db, catalog).last_week
    shown = {name: periods_shown(catalog, week, filters, ready) for name, filters in SCENARIOS.items()}
    return Setup(db, catalog, week, ready, shown), ready_s


def run_engine(setup: Setup, scenario: str) -> Numbers:
    """(a) The full weekly scorecard through the engine, with a fresh Runner (nothing remembered)."""
    card = weekly.build(setup.db, setup.catalog, setup.week, SCENARIOS[scenario], ready=setup.ready)
    return from_scorecard(card, setup.shown[scenario])


def run_handsql(setup: Setup, scenario: str) -> Numbers:
    """(b) The same numbers in hand-written SQL."""
    with setup.db.engine().connect() as conn:
        return handsql.compute(conn, setup.shown[scenario], SCENARIOS[scenario], setup.week.end)


def read_tables(setup: Setup) -> frames.Tables:
    with setup.db.engine().connect() as conn:
        return frames.load(conn)


def run_pandas(setup: Setup, scenario: str, tables: frames.Tables | None = None) -> Numbers:
    """(c) The same numbers in pandas, from the raw tables (read here unless given)."""
    tables = tables or read_tables(setup)
    return frames.compute(tables, setup.shown[scenario], SCENARIOS[scenario], setup.week.end)


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def time_in_turns(setup: Setup, size: Size, repeat: int, approaches: Sequence[str]) -> None:
    """`repeat` rounds; in each, every approach under every filter, the order rotating per round."""
    for round_ in range(repeat):
        order = list(approaches[round_ % len(approaches) :]) + list(approaches[: round_ % len(approaches)])
        shown: list[str] = []
        for approach in order:
            for scenario in SCENARIOS:
                if approach == "c":
                    read, compute = _pandas_times(setup, scenario)
                    size.times.setdefault(("c_read", scenario), []).append(read)
                    size.times.setdefault(("c_compute", scenario), []).append(compute)
                    seconds = read + compute
                else:
                    runner = run_engine if approach == "a" else run_handsql
                    seconds = _timed(lambda r=runner, s=scenario: r(setup, s))  # type: ignore[misc]
                size.times.setdefault((approach, scenario), []).append(seconds)
                shown.append(f"{approach}/{scenario[:8]} {seconds:.2f}s")
        _say(f"  round {round_ + 1}/{repeat}: " + ", ".join(shown))


def _pandas_times(setup: Setup, scenario: str) -> tuple[float, float]:
    """Seconds to read the tables into pandas, and to compute the numbers from them."""
    started = time.perf_counter()
    tables = read_tables(setup)
    read = time.perf_counter() - started
    started = time.perf_counter()
    run_pandas(setup, scenario, tables)
    return read, time.perf_counter() - started


def peak_memory(db: Database, approach: str) -> float:
    """Peak resident memory (MiB) of a fresh process that runs one approach, both filters."""
    command = [sys.executable, "-m", "scorecard.benchmark.run", "--peak", approach, "--db", str(db.url)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"peak memory of {approach} failed: {done.stderr[-2000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_mib"])


def _peak_child(approach: str, target: str) -> int:
    db = Database.open(target)
    catalog = load_catalog(_metrics_path())
    setup, _ = prepare(db, catalog)
    for scenario in SCENARIOS:
        {"a": run_engine, "b": run_handsql, "c": run_pandas}[approach](setup, scenario)
    print(json.dumps({"approach": approach, "peak_mib": peak_kib() / 1024}))
    return 0


def peak_kib() -> float:
    """This process's peak resident memory in KiB: VmHWM on Linux (getrusage's maxrss would carry
    the parent's high-water mark across fork and exec), else getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _metrics_path() -> Path:
    from scorecard.store import config

    return Path(config.metrics_path())


def machine() -> str:
    """One line describing the machine and the software measured on it."""
    import duckdb
    import pandas as pd
    import sqlalchemy as sa

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, pandas {pd.__version__}, "
        f"SQLAlchemy {sa.__version__}"
    )


def _ratio(top: float | None, bottom: float | None) -> str:
    if top is None or bottom is None or bottom == 0:
        return "—"
    return f"{top / bottom:.2f}"


def report(sizes: Sequence[Size], started: dt.datetime, load: tuple[float, float, float]) -> str:
    """The results as Markdown: the machine, the times, the ratios, memory and growth."""
    lines = [
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}.",
        f"Load average when the run started: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min).",
        "",
        "Seconds, median of the rounds (min–max); a, b and c alternate within each round.",
        "",
        "| leads | approach | unfiltered | region + product | peak memory |",
        "|---:|---|---:|---:|---:|",
    ]
    for size in sizes:
        for approach in ("a", "b", "c", "c_read", "c_compute"):
            if not any(k[0] == approach for k in size.times):
                continue
            peak = size.peak_mib.get(approach)
            lines.append(
                f"| {size.leads:,} | {LABELS[approach]} | {size.cell(approach, 'unfiltered')} | "
                f"{size.cell(approach, 'region+product')} | {f'{peak:,.0f} MiB' if peak else ''} |"
            )
    lines += ["", "| leads | a/b unfiltered | a/b filtered | c/a unfiltered | c/a filtered | numbers checked |",
              "|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for size in sizes:
        a = [size.median("a", s) for s in SCENARIOS]
        b = [size.median("b", s) for s in SCENARIOS]
        c = [size.median("c", s) for s in SCENARIOS]
        lines.append(
            f"| {size.leads:,} | {_ratio(a[0], b[0])} | {_ratio(a[1], b[1])} | {_ratio(c[0], a[0])} | "
            f"{_ratio(c[1], a[1])} | {size.numbers_checked:,} |"
        )
    if len(sizes) > 1:
        lines += ["", "Growth of a's time from size to size (data grows by the leads ratio):", ""]
        for before, after in zip(sizes, sizes[1:], strict=False):
            for scenario in SCENARIOS:
                lines.append(
                    f"- {before.leads:,} → {after.leads:,} leads (x{after.leads / before.leads:.0f}), {scenario}: "
                    f"a x{_ratio(after.median('a', scenario), before.median('a', scenario))}, "
                    f"b x{_ratio(after.median('b', scenario), before.median('b', scenario))}"
                )
    notes = [f"- {s.leads:,} leads: demo database built in {s.build_s:.0f} s" for s in sizes if s.build_s is not None]
    notes += [f"- {s.leads:,} leads: readiness check (once per data state) {s.readiness_s:.2f} s" for s in sizes]
    notes += [f"- {s.leads:,} leads: {s.note}" for s in sizes if s.note]
    return "\n".join([*lines, "", *notes])


def write(path: Path, text: str, begin: str = BEGIN, end: str = END) -> None:
    """Put `text` between the `begin` and `end` markers of `path`, keeping everything around them
    (the markers and text are appended when the file has none yet)."""
    block = f"{begin}\n{text}\n{end}"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        new = head + block + rest.split(end, 1)[1]
    else:
        new = (old.rstrip() + "\n\n" if old else "# Benchmarks\n\n") + block + "\n"
    path.write_text(new, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.peak:
        return _peak_child(args.peak, args.db)
    return run(args)


def run(args: argparse.Namespace) -> int:
    sizes = [int(s.replace("_", "")) for s in str(args.sizes).split(",") if s.strip()]
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    catalog = load_catalog(_metrics_path())
    started = dt.datetime.now(dt.UTC)
    load = os.getloadavg()
    _say(f"scorecard bench: {args.engine}, sizes {', '.join(f'{s:,}' for s in sizes)}, {args.repeat} rounds")
    _say(f"machine: {machine()}")
    results: list[Size] = []
    for leads in sizes:
        _say(f"\n{leads:,} leads")
        size = Size(leads, args.engine)
        db = database_for(folder, leads, args.engine, args.url)
        size.build_s = ensure(db, leads, args.rebuild)
        setup, size.readiness_s = prepare(db, catalog)
        _say(f"  week {setup.week.label}; readiness check {size.readiness_s:.2f} s")
        approaches = ["a"]
        if args.engine == "duckdb":
            approaches += ["b"] if "b" not in args.skip else []
            approaches += ["c"] if "c" not in args.skip else []
            _say(f"  checking that {', '.join(approaches)} agree on every number...")
            try:
                size.numbers_checked = check(setup, approaches)
            except Disagreement as exc:
                print(f"error: the approaches disagree at {leads:,} leads:\n{exc}", file=sys.stderr)
                return 1
            _say(f"  agreed on {size.numbers_checked:,} numbers per approach")
        else:
            size.note = f"b and c are written for DuckDB only; {args.engine} times the engine alone"
        time_in_turns(setup, size, args.repeat, approaches)
        if not args.no_memory:
            for approach in approaches:
                _say(f"  peak memory of {approach} (a process of its own)...")
                size.peak_mib[approach] = peak_memory(db, approach)
            _say("  peak: " + ", ".join(f"{k} {v:,.0f} MiB" for k, v in size.peak_mib.items()))
        db.dispose()
        results.append(size)
        _say("")
        _say(report(results, started, load))
    text = report(results, started, load)
    if args.write:
        write(Path(args.write), text)
        _say(f"\nwritten to {args.write}")
    if args.browser:
        return browser(folder, args)
    return 0


def check(setup: Setup, approaches: Sequence[str] = APPROACHES) -> int:
    """Compute every number with each approach under each filter; raise Disagreement listing
    every metric, week and value where b or c differs from the engine. Returns the count checked."""
    problems: list[str] = []
    checked = 0
    for scenario in SCENARIOS:
        a = run_engine(setup, scenario)
        names = list(setup.shown[scenario])
        if "b" in approaches:
            b = run_handsql(setup, scenario)
            problems += [f"[{scenario}] {p}" for p in disagreements(names, a, b, "engine", "hand-written SQL")]
        if "c" in approaches:
            c = run_pandas(setup, scenario)
            problems += [f"[{scenario}] {p}" for p in disagreements(names, a, c, "engine", "pandas")]
        checked += sum(len(series) for series in a.values() if series is not None)
    if problems:
        raise Disagreement("\n".join(problems))
    return checked


def browser(folder: Path, args: argparse.Namespace) -> int:
    """The dashboard in headless Chromium on the 1M-lead demo (bench/browser_bench.py)."""
    script = Path(__file__).resolve().parents[2] / "bench" / "browser_bench.py"
    if not script.exists():
        print(f"error: {script} not found (the browser benchmark runs from a source checkout)", file=sys.stderr)
        return 1
    db = database_for(folder, args.browser_leads, "duckdb")
    ensure(db, args.browser_leads, False)
    db.dispose()
    command = [sys.executable, str(script), "--db", str(db.path)]
    if args.write:
        command += ["--write", args.write]
    return subprocess.call(command)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m scorecard bench", description=__doc__.splitlines()[0])
    add_arguments(p)
    p.add_argument("--peak", choices=APPROACHES, help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    return p


def cli(args: argparse.Namespace) -> int:
    """Entry from `python -m scorecard bench`."""
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
