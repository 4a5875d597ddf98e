"""Command line: `python -m scorecard COMMAND ...`, a thin front over the core.

Every command takes the database from --db, else $SCORECARD_DB, else
data/scorecard.duckdb, and the catalog from --metrics, else $SCORECARD_METRICS,
else metrics.yaml. Errors are one plain line on stderr and exit code 1 or 2; never
a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from scorecard import config
from scorecard.db import Database, DatabaseError

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 1."""


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        help=f"database URL or file path (default: ${config.DB_ENV} or {config.DEFAULT_DB.relative_to(config.PROJECT_ROOT)})",
    )


def _add_metrics(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--metrics", help=f"metric catalog (default: ${config.METRICS_ENV} or metrics.yaml)"
    )


def _database(args: argparse.Namespace) -> Database:
    return Database.open(config.database_target(args.db))


# --- demo -------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    from scorecard import demo

    db = _database(args)
    if db.exists() and not args.force:
        raise CommandError(f"{db.display()} already holds data; pass --force to replace it")
    summary = demo.build(db, leads=args.leads, seed=args.seed, progress=demo.terminal_progress)
    print(summary)
    return 0


def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from scorecard import demo

    p = sub.add_parser("demo", help="build the deterministic demo database")
    _add_db(p)
    p.add_argument("--leads", type=int, default=demo.DEFAULT_LEADS, help="number of leads (default %(default)s)")
    p.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="random seed (default %(default)s)")
    p.add_argument("--force", action="store_true", help="replace an existing database")
    p.set_defaults(handler=_demo)


# --- info -------------------------------------------------------------------------


def _info(args: argparse.Namespace) -> int:
    from scorecard.db import table_counts

    db = _database(args)
    if not db.exists():
        raise CommandError(f"{db.display()} has no Scorecard data; run `python -m scorecard demo` or import")
    with db.engine().connect() as conn:
        counts = table_counts(conn)
    print(f"database: {db.display()}")
    for name, count in counts.items():
        print(f"  {name:<14}{count:>12,}")
    return 0


def _add_info(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("info", help="row counts of the database")
    _add_db(p)
    p.set_defaults(handler=_info)


REGISTRARS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_demo,
    _add_info,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scorecard", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (CommandError, DatabaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
