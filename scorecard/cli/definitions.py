"""Commands on metrics.yaml: `validate`, `schema`, `sql`, `test`, and its versions (`history`, `diff`,
`record`, `revert`)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict

from scorecard.catalog import edit
from scorecard.catalog.history import History, HistoryError, InvalidCatalogError, content_hash, parse_ref
from scorecard.catalog.load import check_text, json_schema
from scorecard.cli import common
from scorecard.engine.runner import metric_sql
from scorecard.judge import metric_tests
from scorecard.language import periods
from scorecard.sql.query import Query
from scorecard.sql.resolve import CompileError
from scorecard.store import config


def _validate(args: argparse.Namespace) -> int:
    path = config.metrics_path(args.path or args.metrics)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise common.CommandError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise common.CommandError(f"{path}: not UTF-8 text") from None
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


def register_validate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help="check metrics.yaml and report every problem with its line")
    p.add_argument("path", nargs="?", help="catalog file (default: --metrics, $SCORECARD_METRICS or metrics.yaml)")
    common.add_metrics(p)
    p.set_defaults(handler=_validate)


def _sql(args: argparse.Namespace) -> int:
    catalog = common.catalog_of(args)
    filters = common.filters_of(args, catalog)
    try:
        catalog.metric(args.metric)
    except KeyError as exc:
        raise common.CommandError(str(exc).strip("'\"")) from None
    week = common.week_of(args, catalog)
    try:
        weeks = periods.weeks_ending(catalog.calendar, week, args.weeks)
    except periods.PeriodError as exc:
        raise common.CommandError(f"--weeks: {exc}") from None
    query = Query.build(weeks, group_by=args.group_by or (), filters=filters, as_of=week.end)
    try:
        statements = metric_sql(catalog, args.metric, query, args.dialect)
    except CompileError as exc:
        raise common.CommandError(str(exc)) from None
    for name, text in statements:
        if len(statements) > 1:
            print(f"-- {name}")
        print(text)
    return 0


def register_sql(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sql", help="print the SQL the engine runs for a metric")
    p.add_argument("metric")
    common.add_metrics(p)
    p.add_argument("--dialect", choices=("duckdb", "sqlite", "postgresql"), default="duckdb")
    p.add_argument("--week", help="last week of the statement (default: the last complete week)")
    p.add_argument("--weeks", type=int, default=12, help="how many weeks (default %(default)s)")
    p.add_argument("--group-by", action="append", metavar="DIM", help="break down by a dimension")
    common.add_filter(p)
    p.set_defaults(handler=_sql)


def _schema(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.out:
        from pathlib import Path

        Path(args.out).write_text(text)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def register_schema(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of metrics.yaml (for editors)")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.set_defaults(handler=_schema)


def _history_of(args: argparse.Namespace) -> History:
    return History(config.metrics_path(args.metrics))


def _history(args: argparse.Namespace) -> int:
    history = _history_of(args)
    try:
        versions = history.versions()
    except HistoryError as exc:
        raise common.CommandError(str(exc)) from None
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


def register_history(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("history", help="saved versions of metrics.yaml: who, when, why")
    common.add_metrics(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler=_history)


def _diff(args: argparse.Namespace) -> int:
    history = _history_of(args)
    try:
        text = history.diff(parse_ref(args.old), parse_ref(args.new), context=args.context)
    except HistoryError as exc:
        raise common.CommandError(str(exc)) from None
    sys.stdout.write(text or f"{args.old} and {args.new} are the same\n")
    return 0


def register_diff(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("diff", help="what changed between two versions of metrics.yaml")
    p.add_argument("old", help="version number (3 or v3)")
    p.add_argument("new", nargs="?", default="current", help="version number or 'current' (default: the file)")
    p.add_argument("--context", type=int, default=3, help="unchanged lines around each change")
    common.add_metrics(p)
    p.set_defaults(handler=_diff)


@contextlib.contextmanager
def _saving(history: History, fix: str) -> Iterator[None]:
    """A save of the catalog as a command error: every problem of an invalid text on stderr, one per
    line, then `fix`; a history refusal (conflict, no change) in its own words."""
    try:
        yield
    except InvalidCatalogError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        raise common.CommandError(f"{history.path} has problems; {fix}") from None
    except HistoryError as exc:
        raise common.CommandError(str(exc)) from None


def _record(args: argparse.Namespace) -> int:
    history = _history_of(args)
    with _saving(history, "fix them before recording a version"):
        version = history.record(args.message, author=args.author)
    print(f"{history.path}: recorded as {version.label} by {version.author}")
    return 0


def register_record(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("record", help="record metrics.yaml as edited by hand as a new version, with a message")
    p.add_argument("--message", "-m", required=True, help="what changed and why")
    p.add_argument("--author", help="who (default: the operating-system user)")
    common.add_metrics(p)
    p.set_defaults(handler=_record)


def _revert(args: argparse.Namespace) -> int:
    history = _history_of(args)
    try:
        ref = parse_ref(args.version)
        if not isinstance(ref, int):
            raise common.CommandError("revert takes a version number, such as 3")
        version = history.revert(ref, args.message, author=args.author)
    except InvalidCatalogError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        raise common.CommandError(f"v{args.version} is not a valid catalog any more; nothing was changed") from None
    except HistoryError as exc:
        raise common.CommandError(str(exc)) from None
    print(f"{history.path}: now {version.label} ({version.message}) by {version.author}")
    return 0


def register_revert(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("revert", help="make an earlier version of metrics.yaml current again (a new version)")
    p.add_argument("version", help="version number (3 or v3)")
    p.add_argument("--message", "-m", required=True, help="why")
    p.add_argument("--author", help="who (default: the operating-system user)")
    common.add_metrics(p)
    p.set_defaults(handler=_revert)


def _test(args: argparse.Namespace) -> int:
    catalog = common.catalog_of(args)
    if not catalog.tests:
        print(f"{catalog.path}: no tests declared (add a `tests:` section)")
        return 0
    unknown = [n for n in args.names or [] if n not in {t.name for t in catalog.tests}]
    if unknown:
        raise common.CommandError(f"unknown test(s): {', '.join(unknown)}")
    db = common.existing_database(args)
    week = common.week_of(args, catalog) if args.week else None
    results = metric_tests.run(db, catalog, args.names or None, week, progress=_test_progress)
    for result in results:
        print(result)
    print(metric_tests.summary(results))
    return 0 if all(r.passed for r in results) else 1


def _test_progress(name: str, fraction: float) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{fraction:4.0%} {name[:60]:<60}" + ("\n" if fraction >= 1 else ""))
        sys.stderr.flush()


def register_test(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("test", help="run the metric tests of metrics.yaml; exit 1 if one fails")
    p.add_argument("names", nargs="*", help="only these tests (default: all)")
    common.add_db(p)
    common.add_metrics(p)
    p.add_argument("--week", help="the default week of tests without `week:` (default: the last complete week)")
    p.set_defaults(handler=_test)


def _targets(args: argparse.Namespace) -> int:
    history = _history_of(args)
    text = history.path.read_text(encoding="utf-8")
    examples = edit.example_targets(text)
    if args.action == "list":
        if not examples:
            print(f"{history.path}: every target is your own (none is marked example)")
            return 0
        print(f"{history.path}: {len(examples)} example target(s), shipped with the catalog; on imported data")
        print("they judge nothing until confirmed (scorecard targets confirm METRIC... or --all):")
        for name in examples:
            print(f"  {name}")
        return 0
    names = examples if args.all else list(args.metric)
    if not names:
        raise common.CommandError("name the metrics whose targets to confirm, or give --all")
    try:
        confirmed = edit.confirm_targets(text, names)
    except edit.EditError as exc:
        raise common.CommandError(str(exc)) from None
    with _saving(history, "fix them first"):
        version = history.save(
            confirmed,
            args.message or f"targets confirmed as the company's own: {', '.join(names)}",
            author=args.author,
            expected_hash=content_hash(text),
        )
    print(f"{history.path}: confirmed {len(names)} target(s) as {version.label}: {', '.join(names)}")
    return 0


def register_targets(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("targets", help="list the example targets, or confirm them as your company's own")
    p.add_argument("action", choices=["list", "confirm"])
    p.add_argument("metric", nargs="*", help="metrics whose example targets to confirm")
    p.add_argument("--all", action="store_true", help="confirm every example target")
    p.add_argument("--message", "-m", help="why (default: says which targets were confirmed)")
    p.add_argument("--author", help="who (default: the operating-system user)")
    common.add_metrics(p)
    p.set_defaults(handler=_targets)
