"""`demo`, `info` and `bench`: build the demo database, count its rows, time the engine."""

from __future__ import annotations

import argparse

from scorecard.cli import common
from scorecard.demo import generate as demo
from scorecard.store.db import table_counts


def _demo(args: argparse.Namespace) -> int:
    db = common.database(args)
    presence = db.status()
    if presence.kind in ("foreign", "unreachable"):
        raise common.CommandError(
            f"{presence.reason}; the demo writes only to a new path or, with --force, a Scorecard database"
        )
    if presence.kind == "ready" and not args.force:
        raise common.CommandError(
            f"{db.display()} already holds data (a Scorecard database); pass --force to replace it"
        )
    try:
        summary = demo.build(
            db,
            leads=args.leads if args.leads is not None else demo.DEFAULT_LEADS,
            seed=args.seed if args.seed is not None else demo.DEFAULT_SEED,
            progress=demo.terminal_progress,
        )
    except ValueError as exc:  # too few --leads: one plain line, not a traceback
        raise common.CommandError(str(exc)) from exc
    print(summary)
    return 0


def register_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="build the deterministic demo database")
    common.add_db(p)
    p.add_argument("--leads", type=int, help="number of leads (default: small and quick)")
    p.add_argument("--seed", type=int, help="random seed (same seed, same rows)")
    p.add_argument("--force", action="store_true", help="replace an existing database")
    p.set_defaults(handler=_demo)


def _info(args: argparse.Namespace) -> int:
    db = common.database(args)
    if not db.exists():
        raise common.CommandError(f"{db.display()} has no Scorecard data; run `python -m scorecard demo` or import")
    with db.engine().connect() as conn:
        counts = table_counts(conn)
    print(f"database: {db.display()}")
    for name, count in counts.items():
        print(f"  {name:<14}{count:>12,}")
    return 0


def register_info(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("info", help="row counts of the database")
    common.add_db(p)
    p.set_defaults(handler=_info)


def _bench(args: argparse.Namespace) -> int:
    from scorecard.benchmark import run

    return run.cli(args)


def register_bench(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from scorecard.benchmark.options import add_arguments

    p = sub.add_parser("bench", help="time the engine against hand-written SQL and pandas (see BENCHMARKS.md)")
    add_arguments(p)
    p.set_defaults(handler=_bench)
