"""What every command shares: the one-line error, where the database and the catalog come from,
filters, the week asked for and the data's own range, and acting as another person (`--as`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from scorecard.access import policy as access
from scorecard.catalog.load import Catalog, CatalogError, load_catalog
from scorecard.judge import filters as checks
from scorecard.judge import readiness
from scorecard.judge.coverage import OutsideData, coverage
from scorecard.language import periods
from scorecard.language.definitions import RankMetric
from scorecard.language.periods import Period
from scorecard.store import config
from scorecard.store.db import Database, clean_stale_copies

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 1."""


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        help=f"database URL or file path (default: ${config.DB_ENV} or data/{config.DEFAULT_DB.name})",
    )


def add_metrics(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metrics", help=f"metric catalog (default: ${config.METRICS_ENV} or metrics.yaml)")


def database(args: argparse.Namespace) -> Database:
    db = Database.open(config.database_target(args.db))
    clean_stale_copies(db)  # copies a killed import left behind
    return db


def catalog_of(args: argparse.Namespace) -> Catalog:
    path = config.metrics_path(getattr(args, "metrics", None))
    try:
        return load_catalog(path)
    except CatalogError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        raise CommandError(
            f"{path}: {len(exc.issues)} problem(s); fix them or run `python -m scorecard validate {path}`"
        ) from None


def filters_of(args: argparse.Namespace, catalog: Catalog) -> dict[str, list[str]]:
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


def week_of(args: argparse.Namespace, catalog: Catalog) -> Period:
    """--week as a period of the catalog's calendar, else the last complete week."""
    try:
        if args.week:
            return periods.parse_week(catalog.calendar, args.week)
        return periods.last_complete_week(catalog.calendar)
    except periods.PeriodError as exc:
        raise CommandError(f"--week: {exc}") from None


def data_week(args: argparse.Namespace, catalog: Catalog, db: Database) -> tuple[Period, str | None]:
    """--week, refused when outside the data (with the range it covers); else the last
    complete week that has data, with a note to print when the data ends early."""

    covered = coverage(db, catalog)
    if not args.week:
        note = covered.note()
        return covered.last_week, (f"note: {note} (give --week to choose)" if note else None)
    week = week_of(args, catalog)
    try:
        covered.check_week(week)
    except OutsideData as exc:
        raise CommandError(f"--week: {exc}") from None
    return week, None


def check_filters(db: Database, catalog: Catalog, filters: dict[str, list[str]]) -> None:
    """A filter value no row holds is an error, never a silent page of zeros."""
    problems = checks.check(db, catalog, filters) if filters else []
    if problems:
        raise CommandError("--filter: " + "\n--filter: ".join(problems))


def check_rank_inputs(db: Database, catalog: Catalog, name: str | None) -> None:
    """Reps are never ranked on numbers the data does not hold (no quotas, no deals...)."""
    rank = (
        catalog.metrics.get(name)
        if name
        else next((m for m in catalog.metrics.values() if isinstance(m, RankMetric)), None)
    )
    if rank is None:
        return
    verdict = readiness.check(db, catalog).of(rank.name)
    if verdict is not None and not verdict.ready:
        raise CommandError(f"no forced ranking: {verdict.reason}; ranking reps on it would rank them on nothing")


def existing_database(args: argparse.Namespace) -> Database:
    db = database(args)
    if not db.exists():
        raise CommandError(
            f"{db.display()} has no Scorecard data; run `python -m scorecard demo --db {db.display()}` or import"
        )
    return db


def add_filter(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--filter",
        action="append",
        metavar="DIM=VALUE",
        help="keep only this dimension value; repeat (same dimension = any of the values)",
    )


def as_person(args: argparse.Namespace, filters: dict[str, list[str]]) -> dict[str, list[str]]:
    """With --as EMAIL, the filters within that person's scope from the access file (what they would see)."""
    if not getattr(args, "as_person", None):
        return filters

    path = config.access_path(args.access, args.metrics)
    try:
        person = access.principal_for(access.load_policy(path), args.as_person)
        return access.narrow(person, filters)
    except access.AccessError as exc:
        raise CommandError(f"--as: the access file has problems:\n{exc}") from None
    except access.AccessDenied as exc:
        raise CommandError(f"--as: {exc}") from None


def add_as_person(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="as_person",
        metavar="EMAIL",
        help="only what this person may see (their scope from the access file), e.g. for their weekly email",
    )
    parser.add_argument("--access", help=f"access file for --as (default: ${config.ACCESS_ENV} or access.yaml)")
