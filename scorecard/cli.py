"""Command line: `python -m scorecard COMMAND ...`, a thin front over the core.

Every command takes the database from --db, else $SCORECARD_DB, else
data/scorecard.duckdb, and the catalog from --metrics, else $SCORECARD_METRICS,
else metrics.yaml. Errors are one plain line on stderr and exit code 1 or 2; never
a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from scorecard import config
from scorecard.db import Database, DatabaseError
from scorecard.ingest.cli import register_export, register_import

if TYPE_CHECKING:
    from scorecard.catalog import Catalog
    from scorecard.periods import Period

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 1."""


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        help=f"database URL or file path (default: ${config.DB_ENV} or data/{config.DEFAULT_DB.name})",
    )


def _add_metrics(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metrics", help=f"metric catalog (default: ${config.METRICS_ENV} or metrics.yaml)")


def _database(args: argparse.Namespace) -> Database:
    return Database.open(config.database_target(args.db))


# --- demo -------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    from scorecard import demo

    db = _database(args)
    if db.exists() and not args.force:
        raise CommandError(f"{db.display()} already holds data; pass --force to replace it")
    try:
        summary = demo.build(
            db,
            leads=args.leads if args.leads is not None else demo.DEFAULT_LEADS,
            seed=args.seed if args.seed is not None else demo.DEFAULT_SEED,
            progress=demo.terminal_progress,
        )
    except ValueError as exc:  # too few --leads: one plain line, not a traceback
        raise CommandError(str(exc)) from exc
    print(summary)
    return 0


def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="build the deterministic demo database")
    _add_db(p)
    p.add_argument("--leads", type=int, help="number of leads (default: small and quick)")
    p.add_argument("--seed", type=int, help="random seed (same seed, same rows)")
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


# --- catalog helpers -------------------------------------------------------------------


def _catalog(args: argparse.Namespace) -> Catalog:
    from scorecard.catalog import CatalogError, load_catalog

    path = config.metrics_path(getattr(args, "metrics", None))
    try:
        return load_catalog(path)
    except CatalogError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        raise CommandError(
            f"{path}: {len(exc.issues)} problem(s); fix them or run `python -m scorecard validate {path}`"
        ) from None


def _filters(args: argparse.Namespace, catalog: Catalog) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in getattr(args, "filter", None) or []:
        dim, sep, value = item.partition("=")
        dim, value = dim.strip(), value.strip()
        if not sep or not dim or not value:
            raise CommandError(f"--filter {item!r}: write DIMENSION=VALUE, e.g. --filter region=EMEA")
        if dim not in catalog.dimensions:
            raise CommandError(
                f"--filter {item!r}: unknown dimension {dim!r}; dimensions: {', '.join(catalog.dimensions)}"
            )
        out.setdefault(dim, []).append(value)
    return out


def _week(args: argparse.Namespace, catalog: Catalog) -> Period:
    """--week as a period of the catalog's calendar, else the last complete week."""
    from scorecard import periods

    try:
        if args.week:
            return periods.parse_week(catalog.calendar, args.week)
        return periods.last_complete_week(catalog.calendar)
    except periods.PeriodError as exc:
        raise CommandError(f"--week: {exc}") from None


def _existing_database(args: argparse.Namespace) -> Database:
    db = _database(args)
    if not db.exists():
        raise CommandError(
            f"{db.display()} has no Scorecard data; run `python -m scorecard demo --db {db.display()}` or import"
        )
    return db


def _add_filter(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--filter",
        action="append",
        metavar="DIM=VALUE",
        help="keep only this dimension value; repeat (same dimension = any of the values)",
    )


# --- validate -----------------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
    from scorecard.catalog import check_text

    path = config.metrics_path(args.path or args.metrics)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path}: not UTF-8 text") from None
    catalog, issues = check_text(text, str(path))
    for issue in issues:
        print(issue)
    errors = [i for i in issues if i.severity == "error"]
    if errors or catalog is None:
        print(f"{path}: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"{path}: OK: {len(catalog.metrics)} metrics, {len(catalog.dimensions)} dimensions, "
        f"{len(catalog.relationships)} relationships (version {catalog.version})"
    )
    return 0


def _add_validate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help="check metrics.yaml and report every problem with its line")
    p.add_argument("path", nargs="?", help="catalog file (default: --metrics, $SCORECARD_METRICS or metrics.yaml)")
    _add_metrics(p)
    p.set_defaults(handler=_validate)


# --- report -------------------------------------------------------------------------------


def _report(args: argparse.Namespace) -> int:
    import json

    from scorecard import scorecard as weekly
    from scorecard.compiler import CompileError
    from scorecard.report import scorecard_csv, scorecard_table

    catalog = _catalog(args)
    filters = _filters(args, catalog)
    week = _week(args, catalog)
    db = _existing_database(args)
    try:
        card = weekly.build(db, catalog, week, filters)
    except CompileError as exc:
        raise CommandError(str(exc)) from None
    if args.format == "json":
        print(json.dumps([row.as_json() for row in card.rows], indent=2))
    elif args.format == "csv":
        sys.stdout.write(scorecard_csv(card))
    else:
        print(scorecard_table(card, catalog.locale))
    return 0


def _add_report(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="the weekly scorecard")
    _add_db(p)
    _add_metrics(p)
    p.add_argument("--week", help="YYYY-Www or a date in the week (default: the last complete week)")
    _add_filter(p)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(handler=_report)


# --- ranking ------------------------------------------------------------------------------


def _ranking(args: argparse.Namespace) -> int:
    from scorecard import periods
    from scorecard.compiler import CompileError
    from scorecard.ranking import METRIC_GROUP, forced_ranking
    from scorecard.report import ranking_table

    catalog = _catalog(args)
    filters = _filters(args, catalog)
    try:
        if args.period:
            period = periods.parse_period(catalog.calendar, args.period)
        else:  # the last complete quarter, as on the dashboard's ranking page
            current = periods.period_containing(catalog.calendar, periods.today(catalog.calendar), "quarter")
            period = periods.period_containing(catalog.calendar, current.first - dt.timedelta(days=1), "quarter")
    except periods.PeriodError as exc:
        raise CommandError(f"--period: {exc}") from None
    group = METRIC_GROUP if args.group is None else (None if args.group == "none" else args.group)
    db = _existing_database(args)
    try:
        ranking = forced_ranking(db, catalog, period, metric=args.metric, group=group, filters=filters)
    except (CompileError, KeyError) as exc:
        raise CommandError(str(exc).strip("'\"")) from None
    frame = ranking.frame()
    if args.format == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    elif args.format == "json":
        print(frame.to_json(orient="records", indent=2))
    else:
        print(ranking_table(ranking, catalog))
    return 0


def _add_ranking(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ranking", help="forced ranking of reps (rank, percentile, tier)")
    _add_db(p)
    _add_metrics(p)
    p.add_argument(
        "--period",
        help="2026-Q3, 2026-11, 2026-W47, 2026 (default: the last complete quarter; a period in progress "
        "is ranked to date)",
    )
    p.add_argument("--group", help="peer group dimension, or 'none' (default: the metric's group)")
    p.add_argument("--metric", help="which rank metric (default: the first in the catalog)")
    _add_filter(p)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(handler=_ranking)


# --- sql ----------------------------------------------------------------------------------


def _sql(args: argparse.Namespace) -> int:
    from scorecard import periods
    from scorecard.compiler import CompileError, Query
    from scorecard.engine import metric_sql
    from scorecard.views import readable_sql

    catalog = _catalog(args)
    filters = _filters(args, catalog)
    try:
        catalog.metric(args.metric)
    except KeyError as exc:
        raise CommandError(str(exc).strip("'\"")) from None
    week = _week(args, catalog)
    weeks = periods.weeks_ending(catalog.calendar, week, args.weeks)
    query = Query.build(weeks, group_by=args.group_by or (), filters=filters, as_of=week.end)
    try:
        statements = metric_sql(catalog, args.metric, query, args.dialect)
    except CompileError as exc:
        raise CommandError(str(exc)) from None
    for name, text in statements:
        if len(statements) > 1:
            print(f"-- {name}")
        print(readable_sql(text))
    return 0


def _add_sql(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sql", help="print the SQL the engine runs for a metric")
    p.add_argument("metric")
    _add_metrics(p)
    p.add_argument("--dialect", choices=("duckdb", "sqlite", "postgresql"), default="duckdb")
    p.add_argument("--week", help="last week of the statement (default: the last complete week)")
    p.add_argument("--weeks", type=int, default=12, help="how many weeks (default %(default)s)")
    p.add_argument("--group-by", action="append", metavar="DIM", help="break down by a dimension")
    _add_filter(p)
    p.set_defaults(handler=_sql)


# --- schema -------------------------------------------------------------------------------


def _schema(args: argparse.Namespace) -> int:
    import json

    from scorecard.catalog import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.out:
        from pathlib import Path

        Path(args.out).write_text(text)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def _add_schema(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of metrics.yaml (for editors)")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.set_defaults(handler=_schema)


REGISTRARS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_demo,
    _add_info,
    _add_validate,
    _add_report,
    _add_ranking,
    _add_sql,
    _add_schema,
    register_import,
    register_export,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scorecard", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in REGISTRARS:
        register(sub)
    return parser


EXIT_PIPE_CLOSED = 141
"""Exit status when the reader closed the pipe: 128 + SIGPIPE, what `yes | head` leaves too."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        status = handler(args)
        sys.stdout.flush()  # a closed pipe shows up here, not in the interpreter's last flush
        return status
    except BrokenPipeError:
        # The reader went away (`ranking ... | head`): stop quietly, as Unix tools do, and point
        # stdout at /dev/null so Python's own flush at exit does not print a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_PIPE_CLOSED
    except (CommandError, DatabaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
