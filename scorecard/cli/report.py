"""`report`, `doctor` and `ranking`: the weekly scorecard, what the data supports, the forced ranking."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

from scorecard.catalog.load import Catalog
from scorecard.cli import common
from scorecard.judge import drivers, readiness, weekly
from scorecard.judge.coverage import OutsideData, coverage
from scorecard.judge.ranking import METRIC_GROUP, forced_ranking
from scorecard.language import periods
from scorecard.language.definitions import WINDOWS
from scorecard.present.report import (
    movers_table,
    notes_text,
    ranking_table,
    readiness_table,
    row_notes,
    scorecard_csv,
    scorecard_table,
)
from scorecard.sql.resolve import CompileError
from scorecard.store import notes
from scorecard.store.cells import frame_csv
from scorecard.store.db import Database


def _report(args: argparse.Namespace) -> int:
    catalog = common.catalog_of(args)
    filters = common.as_person(args, common.filters_of(args, catalog))
    db = common.existing_database(args)
    common.check_filters(db, catalog, filters)
    week, note = common.data_week(args, catalog, db)
    try:
        card = weekly.build(db, catalog, week, filters, window=args.window)
    except CompileError as exc:
        raise common.CommandError(str(exc)) from None
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
        print(scorecard_table(card, locale=catalog.locale))
        for block in (movers_table(card, movements, locale=catalog.locale), notes_text(card, week_notes)):
            if block:
                print(block)
    return 0


def _movements(args: argparse.Namespace, db: Database, catalog: Catalog, card: Any) -> dict[str, Any]:
    """What moved each metric, by the --drivers-by dimensions (default: region); {} with --drivers-by none."""
    chosen = args.drivers_by or [drivers.DEFAULT_DIMENSION]
    if chosen == ["none"] or args.format == "csv":
        return {}
    for dim in chosen:
        if dim not in catalog.dimensions:
            raise common.CommandError(
                f"--drivers-by {dim!r}: unknown dimension; dimensions: {', '.join(catalog.dimensions)}"
            )
    return drivers.for_card(db, catalog, card, chosen)


def _with_drivers(data: dict[str, Any], movements: Mapping[str, Any]) -> dict[str, Any]:
    if not movements:
        return data
    return {**data, "drivers": drivers.report_drivers(movements), "drivers_note": drivers.report_note(movements)}


def register_report(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="the weekly scorecard")
    common.add_db(p)
    common.add_metrics(p)
    p.add_argument("--week", help="YYYY-Www or a date in the week (default: the last complete week)")
    common.add_filter(p)
    common.add_as_person(p)
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


def _doctor(args: argparse.Namespace) -> int:
    catalog = common.catalog_of(args)
    db = common.existing_database(args)
    report = readiness.check(db, catalog, cycles=True)
    if args.format == "json":
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(readiness_table(report))
    return 0


def register_doctor(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("doctor", help="which metrics the data supports, and what the others need")
    common.add_db(p)
    common.add_metrics(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler=_doctor)


def _ranking(args: argparse.Namespace) -> int:
    catalog = common.catalog_of(args)
    filters = common.filters_of(args, catalog)
    db = common.existing_database(args)
    covered = coverage(db, catalog)
    try:
        if args.period:
            period = periods.parse_period(catalog.calendar, args.period)
            covered.check_period(period)
        else:  # the last complete quarter that has data, as on the dashboard's ranking page
            period = covered.last_quarter
    except periods.PeriodError as exc:
        raise common.CommandError(f"--period: {exc}") from None
    except OutsideData as exc:
        raise common.CommandError(f"--period: {exc}") from None
    group: str | tuple[str, ...] | None = METRIC_GROUP
    if args.group is not None:
        group = None if args.group == "none" else tuple(g.strip() for g in args.group.split(",") if g.strip())
    common.check_filters(db, catalog, filters)
    common.check_rank_inputs(db, catalog, args.metric)
    try:
        ranking = forced_ranking(db, catalog, period, metric=args.metric, group=group, filters=filters)
    except (CompileError, KeyError) as exc:
        raise common.CommandError(str(exc).strip("'\"")) from None
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


def register_ranking(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ranking", help="forced ranking of reps (rank, percentile, tier)")
    common.add_db(p)
    common.add_metrics(p)
    p.add_argument(
        "--period",
        help="2026-Q3, 2026-11, 2026-W47, 2026 (default: the last complete quarter; a period in progress "
        "is ranked to date)",
    )
    p.add_argument(
        "--group", help="peer group dimension(s), comma-separated (region,rep_segment), or 'none' (default: metric's)"
    )
    p.add_argument("--metric", help="which rank metric (default: the first in the catalog)")
    common.add_filter(p)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(handler=_ranking)
