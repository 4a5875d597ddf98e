"""Command line: `python -m scorecard COMMAND ...`, a thin front over the core.

Every command takes the database from --db, else $SCORECARD_DB, else
data/scorecard.duckdb, and the catalog from --metrics, else $SCORECARD_METRICS,
else metrics.yaml. Errors are one plain line on stderr and exit code 1 or 2; never
a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from scorecard.cli.access import register_access
from scorecard.cli.ingest import register_export, register_import, register_map
from scorecard.language.definitions import WINDOWS
from scorecard.store import config
from scorecard.store.db import Database, DatabaseError, failure_reason

if TYPE_CHECKING:
    from scorecard.catalog.history import History
    from scorecard.catalog.load import Catalog
    from scorecard.language.periods import Period

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
    from scorecard.store.db import clean_stale_copies

    db = Database.open(config.database_target(args.db))
    clean_stale_copies(db)  # copies a killed import left behind
    return db


# --- demo -------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    from scorecard.demo import generate as demo

    db = _database(args)
    presence = db.status()
    if presence.kind in ("foreign", "unreachable"):
        raise CommandError(
            f"{presence.reason}; the demo writes only to a new path or, with --force, a Scorecard database"
        )
    if presence.kind == "ready" and not args.force:
        raise CommandError(f"{db.display()} already holds data (a Scorecard database); pass --force to replace it")
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
    from scorecard.store.db import table_counts

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
    from scorecard.catalog.load import CatalogError, load_catalog

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
    from scorecard.language import periods

    try:
        if args.week:
            return periods.parse_week(catalog.calendar, args.week)
        return periods.last_complete_week(catalog.calendar)
    except periods.PeriodError as exc:
        raise CommandError(f"--week: {exc}") from None


def _data_week(args: argparse.Namespace, catalog: Catalog, db: Database) -> tuple[Period, str | None]:
    """--week, refused when outside the data (with the range it covers); else the last
    complete week that has data, with a note to print when the data ends early."""
    from scorecard.judge.coverage import OutsideData, coverage

    covered = coverage(db, catalog)
    if not args.week:
        note = covered.note()
        return covered.last_week, (f"note: {note} (give --week to choose)" if note else None)
    week = _week(args, catalog)
    try:
        covered.check_week(week)
    except OutsideData as exc:
        raise CommandError(f"--week: {exc}") from None
    return week, None


def _check_filters(db: Database, catalog: Catalog, filters: dict[str, list[str]]) -> None:
    """A filter value no row holds is an error, never a silent page of zeros."""
    from scorecard.judge import filters as checks

    problems = checks.check(db, catalog, filters) if filters else []
    if problems:
        raise CommandError("--filter: " + "\n--filter: ".join(problems))


def _check_rank_inputs(db: Database, catalog: Catalog, name: str | None) -> None:
    """Reps are never ranked on numbers the data does not hold (no quotas, no deals...)."""
    from scorecard.judge import readiness
    from scorecard.language.definitions import RankMetric

    rank = catalog.metrics.get(name) if name else next(
        (m for m in catalog.metrics.values() if isinstance(m, RankMetric)), None
    )
    if rank is None:
        return
    verdict = readiness.check(db, catalog).of(rank.name)
    if verdict is not None and not verdict.ready:
        raise CommandError(f"no forced ranking: {verdict.reason}; ranking reps on it would rank them on nothing")


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
    from scorecard.catalog.load import check_text

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

    from scorecard.judge import weekly
    from scorecard.present.report import movers_table, notes_text, row_notes, scorecard_csv, scorecard_table
    from scorecard.sql.resolve import CompileError
    from scorecard.store import notes

    catalog = _catalog(args)
    filters = _as_person(args, _filters(args, catalog))
    db = _existing_database(args)
    _check_filters(db, catalog, filters)
    week, note = _data_week(args, catalog, db)
    try:
        card = weekly.build(db, catalog, week, filters, window=args.window)
    except CompileError as exc:
        raise CommandError(str(exc)) from None
    if note:
        print(note, file=sys.stderr)
    movements = _movements(args, db, catalog, card)
    week_notes = notes.for_weeks(db, [card.week])
    if args.format == "json":
        out = []
        for row in card.rows:
            data = _with_drivers(row.as_json(), movements.get(row.metric, {}))
            data["notes"] = [n.as_json() for n in row_notes(week_notes, row.metric, card.week.label)]
            out.append(data)
        print(json.dumps(out, indent=2))
    elif args.format == "csv":
        sys.stdout.write(scorecard_csv(card, week_notes))
    else:
        print(scorecard_table(card, catalog.locale))
        for block in (movers_table(card, movements), notes_text(card, week_notes)):
            if block:
                print(block)
    return 0


def _movements(args: argparse.Namespace, db: Database, catalog: Catalog, card: Any) -> dict[str, Any]:
    """What moved each metric, by the --drivers-by dimensions (default: region); {} with --drivers-by none."""
    from scorecard.judge import drivers

    chosen = args.drivers_by or [drivers.DEFAULT_DIMENSION]
    if chosen == ["none"] or args.format == "csv":
        return {}
    for dim in chosen:
        if dim not in catalog.dimensions:
            raise CommandError(f"--drivers-by {dim!r}: unknown dimension; dimensions: {', '.join(catalog.dimensions)}")
    return drivers.for_card(db, catalog, card, chosen)


def _with_drivers(data: dict[str, Any], movements: Mapping[str, Any]) -> dict[str, Any]:
    from scorecard.judge import drivers

    if not movements:
        return data
    return {**data, "drivers": drivers.report_drivers(movements), "drivers_note": drivers.report_note(movements)}


def _as_person(args: argparse.Namespace, filters: dict[str, list[str]]) -> dict[str, list[str]]:
    """With --as EMAIL, the filters within that person's scope from the access file (what they would see)."""
    if not getattr(args, "as_person", None):
        return filters
    from scorecard.access import policy as access

    path = config.access_path(args.access, args.metrics)
    try:
        person = access.principal_for(access.load_policy(path), args.as_person)
        return access.narrow(person, filters)
    except access.AccessError as exc:
        raise CommandError(f"--as: the access file has problems:\n{exc}") from None
    except access.AccessDenied as exc:
        raise CommandError(f"--as: {exc}") from None


def _add_as_person(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as", dest="as_person", metavar="EMAIL",
        help="only what this person may see (their scope from the access file), e.g. for their weekly email",
    )
    parser.add_argument("--access", help=f"access file for --as (default: ${config.ACCESS_ENV} or access.yaml)")


def _add_report(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="the weekly scorecard")
    _add_db(p)
    _add_metrics(p)
    p.add_argument("--week", help="YYYY-Www or a date in the week (default: the last complete week)")
    _add_filter(p)
    _add_as_person(p)
    p.add_argument(
        "--window",
        choices=WINDOWS,
        help="read every metric over the week, the last 4 or 13 weeks, month or quarter to date "
        "(default: each metric's own window, usually the week)",
    )
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument(
        "--drivers-by",
        action="append",
        metavar="DIM",
        help="break each change down by this dimension (repeat for more; default region; 'none' to skip)",
    )
    p.set_defaults(handler=_report)


# --- doctor -------------------------------------------------------------------------------


def _doctor(args: argparse.Namespace) -> int:
    import json

    from scorecard.judge import readiness
    from scorecard.present.report import readiness_table

    catalog = _catalog(args)
    db = _existing_database(args)
    report = readiness.check(db, catalog, cycles=True)
    if args.format == "json":
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(readiness_table(report))
    return 0


def _add_doctor(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("doctor", help="which metrics the data supports, and what the others need")
    _add_db(p)
    _add_metrics(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler=_doctor)


# --- ranking ------------------------------------------------------------------------------


def _ranking(args: argparse.Namespace) -> int:
    from scorecard.judge.coverage import OutsideData, coverage
    from scorecard.judge.ranking import METRIC_GROUP, forced_ranking
    from scorecard.language import periods
    from scorecard.present.report import ranking_table
    from scorecard.sql.resolve import CompileError
    from scorecard.store.cells import frame_csv

    catalog = _catalog(args)
    filters = _filters(args, catalog)
    db = _existing_database(args)
    covered = coverage(db, catalog)
    try:
        if args.period:
            period = periods.parse_period(catalog.calendar, args.period)
            covered.check_period(period)
        else:  # the last complete quarter that has data, as on the dashboard's ranking page
            period = covered.last_quarter
    except periods.PeriodError as exc:
        raise CommandError(f"--period: {exc}") from None
    except OutsideData as exc:
        raise CommandError(f"--period: {exc}") from None
    group: str | tuple[str, ...] | None = METRIC_GROUP
    if args.group is not None:
        group = None if args.group == "none" else tuple(g.strip() for g in args.group.split(",") if g.strip())
    _check_filters(db, catalog, filters)
    _check_rank_inputs(db, catalog, args.metric)
    try:
        ranking = forced_ranking(db, catalog, period, metric=args.metric, group=group, filters=filters)
    except (CompileError, KeyError) as exc:
        raise CommandError(str(exc).strip("'\"")) from None
    if covered.ends_early and not args.period:
        print(f"note: data ends {covered.last_day}; showing {period.label} (give --period to choose)", file=sys.stderr)
    if args.format != "table":  # the table prints them; CSV and JSON stay data only
        for line in ranking.notes:
            print(f"note: {line}", file=sys.stderr)
    frame = ranking.frame()
    if args.format == "csv":
        frame["provisional"] = [";".join(keys) for keys in frame["provisional"]]
        sys.stdout.write(frame_csv(frame))
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
    p.add_argument(
        "--group", help="peer group dimension(s), comma-separated (region,rep_segment), or 'none' (default: metric's)"
    )
    p.add_argument("--metric", help="which rank metric (default: the first in the catalog)")
    _add_filter(p)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(handler=_ranking)


# --- sql ----------------------------------------------------------------------------------


def _sql(args: argparse.Namespace) -> int:
    from scorecard.engine.runner import metric_sql
    from scorecard.language import periods
    from scorecard.present.views import readable_sql
    from scorecard.sql.query import Query
    from scorecard.sql.resolve import CompileError

    catalog = _catalog(args)
    filters = _filters(args, catalog)
    try:
        catalog.metric(args.metric)
    except KeyError as exc:
        raise CommandError(str(exc).strip("'\"")) from None
    week = _week(args, catalog)
    try:
        weeks = periods.weeks_ending(catalog.calendar, week, args.weeks)
    except periods.PeriodError as exc:
        raise CommandError(f"--weeks: {exc}") from None
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

    from scorecard.catalog.load import json_schema

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

# --- history, diff, revert -----------------------------------------------------------------


def _history_of(args: argparse.Namespace) -> History:
    from scorecard.catalog.history import History

    return History(config.metrics_path(args.metrics))


def _history(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict

    from scorecard.catalog.history import HistoryError, content_hash

    history = _history_of(args)
    try:
        versions = history.versions()
    except HistoryError as exc:
        raise CommandError(str(exc)) from None
    if args.format == "json":
        print(json.dumps([asdict(v) for v in versions], indent=2))
        return 0
    if not versions:
        print(f"{history.path}: no saved versions yet (the first save records the file as it is now)")
        return 0
    print(f"{'version':<8} {'time (UTC)':<20} {'author':<22} message")
    for v in versions:
        print(f"{v.label:<8} {v.time.replace('T', ' ').removesuffix('Z'):<20} {v.author[:22]:<22} {v.message}")
    disk = content_hash(history.disk_text())
    same = [v for v in versions if v.sha256 == disk]
    if versions[-1].sha256 == disk:
        print(f"{history.path.name} on disk is {versions[-1].label}")
    else:
        like = f" (same text as {same[-1].label})" if same else ""
        print(f"{history.path.name} on disk changed since {versions[-1].label}{like}; the next save records it")
    print(f"history folder: {history.folder}")
    return 0


def _add_history(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("history", help="saved versions of metrics.yaml: who, when, why")
    _add_metrics(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler=_history)


def _diff(args: argparse.Namespace) -> int:
    from scorecard.catalog.history import HistoryError, parse_ref

    history = _history_of(args)
    try:
        text = history.diff(parse_ref(args.old), parse_ref(args.new), context=args.context)
    except HistoryError as exc:
        raise CommandError(str(exc)) from None
    sys.stdout.write(text or f"{args.old} and {args.new} are the same\n")
    return 0


def _add_diff(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("diff", help="what changed between two versions of metrics.yaml")
    p.add_argument("old", help="version number (3 or v3)")
    p.add_argument("new", nargs="?", default="current", help="version number or 'current' (default: the file)")
    p.add_argument("--context", type=int, default=3, help="unchanged lines around each change")
    _add_metrics(p)
    p.set_defaults(handler=_diff)


def _record(args: argparse.Namespace) -> int:
    from scorecard.catalog.history import HistoryError, InvalidCatalogError

    history = _history_of(args)
    try:
        version = history.record(args.message, author=args.author)
    except InvalidCatalogError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        raise CommandError(f"{history.path} has problems; fix them before recording a version") from None
    except HistoryError as exc:
        raise CommandError(str(exc)) from None
    print(f"{history.path}: recorded as {version.label} by {version.author}")
    return 0


def _add_record(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("record", help="record metrics.yaml as edited by hand as a new version, with a message")
    p.add_argument("--message", "-m", required=True, help="what changed and why")
    p.add_argument("--author", help="who (default: the operating-system user)")
    _add_metrics(p)
    p.set_defaults(handler=_record)


def _revert(args: argparse.Namespace) -> int:
    from scorecard.catalog.history import HistoryError, InvalidCatalogError, parse_ref

    history = _history_of(args)
    try:
        ref = parse_ref(args.version)
        if not isinstance(ref, int):
            raise CommandError("revert takes a version number, such as 3")
        version = history.revert(ref, args.message, author=args.author)
    except InvalidCatalogError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        raise CommandError(f"v{args.version} is not a valid catalog any more; nothing was changed") from None
    except HistoryError as exc:
        raise CommandError(str(exc)) from None
    print(f"{history.path}: now {version.label} ({version.message}) by {version.author}")
    return 0


def _add_revert(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("revert", help="make an earlier version of metrics.yaml current again (a new version)")
    p.add_argument("version", help="version number (3 or v3)")
    p.add_argument("--message", "-m", required=True, help="why")
    p.add_argument("--author", help="who (default: the operating-system user)")
    _add_metrics(p)
    p.set_defaults(handler=_revert)


# --- test ---------------------------------------------------------------------------------


def _test(args: argparse.Namespace) -> int:
    from scorecard.judge import metric_tests

    catalog = _catalog(args)
    if not catalog.tests:
        print(f"{catalog.path}: no tests declared (add a `tests:` section)")
        return 0
    unknown = [n for n in args.names or [] if n not in {t.name for t in catalog.tests}]
    if unknown:
        raise CommandError(f"unknown test(s): {', '.join(unknown)}")
    db = _existing_database(args)
    week = _week(args, catalog) if args.week else None
    results = metric_tests.run(db, catalog, args.names or None, week, progress=_test_progress)
    for result in results:
        print(result)
    print(metric_tests.summary(results))
    return 0 if all(r.passed for r in results) else 1


def _test_progress(name: str, fraction: float) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{fraction:4.0%} {name[:60]:<60}" + ("\n" if fraction >= 1 else ""))
        sys.stderr.flush()


def _add_test(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("test", help="run the metric tests of metrics.yaml; exit 1 if one fails")
    p.add_argument("names", nargs="*", help="only these tests (default: all)")
    _add_db(p)
    _add_metrics(p)
    p.add_argument("--week", help="the default week of tests without `week:` (default: the last complete week)")
    p.set_defaults(handler=_test)


# --- note ---------------------------------------------------------------------------------


def _note(args: argparse.Namespace) -> int:
    from scorecard.store import notes

    db = _existing_database(args)
    if args.action == "delete":
        if not args.args:
            raise CommandError("note delete ID: give the id `note list` shows")
        for note_id in args.args:
            if not notes.delete(db, note_id):
                raise CommandError(f"no note with id {note_id!r}")
            print(f"deleted note {note_id}")
        return 0
    catalog = _catalog(args)
    if args.action == "add":
        if not args.args:
            raise CommandError('note add "TEXT": give the note\'s text')
        week = _week(args, catalog)
        try:
            note = notes.add(db, catalog, week, " ".join(args.args), metric=args.metric, author=args.author)
        except notes.NoteError as exc:
            raise CommandError(str(exc)) from None
        print(f"added note {note.id} on {note.week}" + (f" ({note.metric})" if note.metric else " (whole week)"))
        return 0
    shown = notes.for_weeks(db, [_week(args, catalog)], args.metric) if args.week else notes.all_notes(db)
    if args.metric and not args.week:
        shown = [n for n in shown if n.metric in (args.metric, None)]
    for note in shown:
        print(f"{note.id}  {note.week}  {note.metric or '(week)'}  {note.line()}")
    return 0


def _add_note(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("note", help="add, list or delete notes on a week (a note never changes a number)")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text_help in (
        ("add", "the note's text"),
        ("list", None),
        ("delete", "ids of the notes to delete (as `note list` shows them)"),
    ):
        a = actions.add_parser(action, help=f"{action} notes")
        if text_help:
            a.add_argument("args", nargs="+", help=text_help)
        else:
            a.set_defaults(args=[])
        _add_db(a)
        _add_metrics(a)
        if action != "delete":
            a.add_argument("--week", help="YYYY-Www or a date in the week (add: default the last complete week)")
            a.add_argument("--metric", help="the metric the note is about (default: the whole week)")
        if action == "add":
            a.add_argument("--author", help="who writes it (default: the operating-system user)")
        a.set_defaults(handler=_note)


# --- send ---------------------------------------------------------------------------------


def _send(args: argparse.Namespace) -> int:
    import os

    from scorecard.judge import drivers, weekly
    from scorecard.language import periods
    from scorecard.present import charts, mail, views
    from scorecard.present.report import scorecard_csv
    from scorecard.sql.resolve import CompileError
    from scorecard.store import notes

    def step(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    try:
        to = mail.recipients(args.to or [])
        smtp_url = args.smtp or os.environ.get(mail.SMTP_ENV)
        sender = args.sender or os.environ.get(mail.FROM_ENV)
        if not args.out and not smtp_url:
            raise CommandError(f"no SMTP server: give --smtp smtp://[user:password@]host:port or ${mail.SMTP_ENV}")
        if not sender:
            raise CommandError(f"no sender: give --from scorecard@example.com or ${mail.FROM_ENV}")
        settings = mail.parse_smtp_url(smtp_url) if smtp_url else None
    except mail.MailError as exc:
        raise CommandError(str(exc)) from None
    catalog = _catalog(args)
    filters = _as_person(args, _filters(args, catalog))
    _check_recipients(args, to, filters)
    dimension = args.drivers_by or drivers.DEFAULT_DIMENSION
    if dimension not in catalog.dimensions:
        known = ", ".join(catalog.dimensions)
        raise CommandError(f"--drivers-by {dimension!r}: unknown dimension; dimensions: {known}")
    db = _existing_database(args)
    _check_filters(db, catalog, filters)
    week, note = _data_week(args, catalog, db)
    if note:
        step(note)
    step(f"building the scorecard for {week.label}...")
    try:
        card = weekly.build(db, catalog, week, filters)
    except CompileError as exc:
        raise CommandError(str(exc)) from None
    step(f"working out what moved, by {dimension}...")
    moved = drivers.for_card(db, catalog, card, [dimension])
    movements = {metric: by_dim[dimension] for metric, by_dim in moved.items()}
    found = notes.for_weeks(db, periods.weeks_ending(catalog.calendar, week, weekly.TREND_WEEKS))
    scope = views.filters_text(filters, catalog)
    app_url = args.app_url or os.environ.get(mail.APP_URL_ENV)
    link = mail.app_link(app_url, week.label, card.filters, dimension) if app_url else None
    step("rendering the one-page PDF and PNG...")
    figure = charts.scorecard_figure(
        card,
        title=f"Scorecard, week {week.label}",
        subtitle=f"{week.first:%d %b} to {week.last:%d %b %Y} · {scope}",
        movements=movements,
        notes=found,
    )
    stem = f"scorecard-{week.label}"
    attachments = [
        mail.Attachment(f"{stem}.pdf", charts.to_pdf(figure), "application/pdf"),
        mail.Attachment(f"{stem}.png", charts.to_png(figure), "image/png"),
        mail.Attachment(f"{stem}.csv", scorecard_csv(card, found).encode("utf-8"), "text/csv"),
    ]
    try:
        message = mail.compose(
            sender=sender,
            to=to,
            subject_line=mail.subject(card, scope),
            body=mail.summary(card, scope=scope, movements=movements, notes=found, link=link),
            attachments=attachments,
        )
        if args.out:
            from pathlib import Path

            Path(args.out).write_bytes(bytes(message))
            print(f"wrote {args.out} ({len(to)} recipient(s), not sent)")
            return 0
        assert settings is not None
        step(f"sending through {settings.display()}...")
        mail.send(message, settings, cafile=args.smtp_ca or os.environ.get(mail.CA_ENV))
    except mail.MailError as exc:
        raise CommandError(str(exc)) from None
    print(f"sent \"{message['Subject']}\" to {', '.join(to)} through {settings.display()}")
    return 0


def _check_recipients(args: argparse.Namespace, to: Sequence[str], filters: Mapping[str, Sequence[str]]) -> None:
    """A scorecard is e-mailed only to people the access file lets see all of it: a team lead
    scoped to EMEA gets their own view (`--as`), never the whole company's. Without an access
    file (local mode) there are no roles to keep."""
    from scorecard.access import policy as access

    path = config.access_path(args.access, args.metrics)
    if not path.exists():
        return
    try:
        policy = access.load_policy(path)
    except access.AccessError as exc:
        raise CommandError(f"not sent: the access file has problems:\n{exc}") from None
    problems = access.mail_problems(policy, to, filters)
    if problems:
        raise CommandError(f"not sent (access rules in {path}):\n  " + "\n  ".join(problems))


def _add_send(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("send", help="e-mail the weekly scorecard (summary, PDF/PNG one-pager, CSV)")
    _add_db(p)
    _add_metrics(p)
    p.add_argument("--week", help="YYYY-Www or a date in the week (default: the last complete week)")
    p.add_argument("--to", action="append", metavar="ADDRESSES", help="a@x.com,b@y.com (repeatable)")
    _add_filter(p)
    p.add_argument(
        "--smtp", help="smtp://[user:password@]host[:port] (STARTTLS) or smtps://... (default: $SCORECARD_SMTP_URL)"
    )
    p.add_argument("--from", dest="sender", help="sender address (default: $SCORECARD_MAIL_FROM)")
    p.add_argument("--app-url", help="base address of the dashboard for the link (default: $SCORECARD_APP_URL)")
    p.add_argument("--drivers-by", help="dimension the movers are broken down by (default: region)")
    p.add_argument("--smtp-ca", help="CA certificate file to trust for the SMTP server (default: $SCORECARD_SMTP_CA)")
    p.add_argument("--out", help="write the message to this .eml file instead of sending it")
    _add_as_person(p)
    p.set_defaults(handler=_send)


# --- bench ------------------------------------------------------------------------


def _bench(args: argparse.Namespace) -> int:
    from scorecard.benchmark import run

    return run.cli(args)


def _add_bench(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from scorecard.benchmark.options import add_arguments

    p = sub.add_parser("bench", help="time the engine against hand-written SQL and pandas (see BENCHMARKS.md)")
    add_arguments(p)
    p.set_defaults(handler=_bench)


REGISTRARS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_demo,
    _add_info,
    _add_validate,
    _add_report,
    _add_ranking,
    _add_doctor,
    _add_sql,
    _add_schema,
    _add_history,
    _add_diff,
    _add_record,
    _add_revert,
    _add_test,
    _add_note,
    _add_send,
    _add_bench,
    register_import,
    register_map,
    register_export,
    register_access,
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
    except sa.exc.DBAPIError as exc:  # the database failed mid-command: damaged, locked, gone away
        print(f"error: the database failed: {failure_reason(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
