"""`python -m scorecard import ...` and `python -m scorecard export ...`.

Thin argparse fronts over scorecard.ingest: parse flags, show progress on stderr,
print the summary, and turn every failure into one line per problem.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from scorecard.store import config

if TYPE_CHECKING:
    from scorecard.store.db import Database

PRESETS_DIR = Path(__file__).resolve().parents[1] / "ingest" / "presets"

Subparsers = argparse._SubParsersAction  # noqa: SLF001 - argparse exposes no public name


def _preset_choices() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


class TerminalProgress:
    """Progress on stderr: a live percentage on a terminal, one line per stage otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.stage = ""
        self.percent = -1
        self.last = 0.0

    def __call__(self, what: str, done: int, total: int) -> None:
        percent = int(100 * done / total) if total else 100
        if what != self.stage:
            if self.live and self.stage:
                self.stream.write("\n")
            self.stage, self.percent = what, -1
            if not self.live:
                self.stream.write(f"{what}...\n")
                self.stream.flush()
        now = time.monotonic()
        if self.live and percent != self.percent and (now - self.last > 0.1 or percent == 100):
            self.stream.write(f"\r{what}: {percent:3d}%")
            self.stream.flush()
            self.percent, self.last = percent, now

    def close(self) -> None:
        if self.live and self.stage:
            self.stream.write("\n")
            self.stream.flush()


def default_quarantine_path(db_path: Path | None) -> Path:
    """data/quarantine/<UTC time>.csv next to the database file (or the default data dir)."""
    folder = (db_path.parent if db_path is not None else config.DEFAULT_DB.parent) / "quarantine"
    return folder / (dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + ".csv")


def calendar_zone(metrics: str | None) -> str:
    """The catalog's time zone (`calendar: timezone:`), where a date without a time of day
    is a calendar day. Read on its own so that an import never waits on a valid catalog."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from scorecard.language import yamlsource

    try:
        data = yamlsource.load_file(config.metrics_path(metrics)).data
    except (yamlsource.YamlError, OSError):
        return "UTC"
    calendar = data.get("calendar") if isinstance(data, dict) else None
    zone = calendar.get("timezone", "UTC") if isinstance(calendar, dict) else "UTC"
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return str(zone)


def _import(args: argparse.Namespace) -> int:
    from scorecard.store.db import Database

    db = Database.open(config.database_target(args.db))
    try:
        return _import_into(db, args)
    finally:
        db.dispose()


def _import_into(db: Database, args: argparse.Namespace) -> int:
    from scorecard.cli.common import CommandError
    from scorecard.ingest import importer, mapping_file, preset_lookup, readers
    from scorecard.ingest.transform import IngestError

    try:
        rules = (
            preset_lookup.load_preset(args.preset, timezone=args.timezone)
            if args.preset
            else mapping_file.load_mapping(args.mapping, timezone=args.timezone)
        )
    except mapping_file.MappingError as exc:
        raise CommandError("\nerror: ".join(str(i) for i in exc.issues)) from None
    rules = rules.for_calendar(calendar_zone(getattr(args, "metrics", None)))
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        raise CommandError("\nerror: ".join(f"{f}: no such file" for f in missing))
    files = [readers.SourceFile.from_path(f) for f in args.files]
    quarantine = Path(args.quarantine) if args.quarantine else default_quarantine_path(db.path)
    progress = TerminalProgress()
    started = time.monotonic()
    try:
        result = importer.run_import(
            db,
            files,
            rules,
            strict=args.strict,
            dry_run=args.dry_run,
            progress=progress,
            quarantine_path=str(quarantine),
        )
    except importer.ImportRejected as exc:
        progress.close()
        importer.write_quarantine(exc.plan, quarantine)
        raise CommandError("\nerror: ".join([*exc.problems, f"quarantine written to {quarantine}"])) from None
    except IngestError as exc:
        progress.close()
        raise CommandError("\nerror: ".join(exc.problems)) from None
    progress.close()
    for line in result.summary():
        print(line)
    if result.plan.quarantined:
        importer.write_quarantine(result.plan, quarantine)
        print(
            f"quarantine: {quarantine} ({len(result.plan.quarantine):,} problems in {result.plan.quarantined:,} rows)"
        )
    if result.written:
        for line in readiness_lines(db, getattr(args, "metrics", None)):
            print(line)
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0


def readiness_lines(db: Database, metrics: str | None) -> list[str]:
    """After an import: which scorecard metrics the data now supports, and what the others need."""
    from scorecard.catalog.load import CatalogError, load_catalog
    from scorecard.judge import readiness

    path = config.metrics_path(metrics)
    try:
        catalog = load_catalog(path)
    except (CatalogError, OSError):
        return [f"metric readiness: {path} cannot be read; fix it, then run `python -m scorecard doctor`"]
    report = readiness.check(db, catalog)
    return [report.summary(), *(f"  not yet: {m.label}: {m.reason}" for m in report.scorecard_missing())]


def register_import(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "import",
        help="import CRM exports (CSV/XLSX) with a mapping or a preset",
        description="Import CSV/XLSX exports into the database in one transaction: all accepted rows "
        "land or none do. Bad rows go to a quarantine CSV; re-importing a file changes nothing.",
    )
    p.add_argument("--db", help=f"database URL or file path (default: ${config.DB_ENV} or data/scorecard.duckdb)")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--mapping", help="mapping YAML (see examples/mapping.example.yaml)")
    how.add_argument("--preset", choices=_preset_choices(), help="built-in mapping for a CRM's exports")
    p.add_argument("--strict", action="store_true", help="abort the whole import if any row is bad")
    p.add_argument("--dry-run", action="store_true", help="validate and report; write nothing to the database")
    p.add_argument("--quarantine", help="where to write bad rows (default: data/quarantine/<time>.csv)")
    p.add_argument("--timezone", help="time zone of times without an offset (default: the mapping's, else UTC)")
    p.add_argument(
        "--metrics",
        help=f"catalog whose calendar time zone places dates without a time (default: ${config.METRICS_ENV} "
        "or metrics.yaml)",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="CSV, TSV or XLSX files")
    p.set_defaults(handler=_import)


def _map(args: argparse.Namespace) -> int:
    from scorecard.cli.common import CommandError
    from scorecard.ingest import builder, readers
    from scorecard.ingest.mapping_file import MappingError
    from scorecard.ingest.transform import IngestError

    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        raise CommandError("\nerror: ".join(f"{f}: no such file" for f in missing))
    try:
        proposals, _ = builder.propose([readers.SourceFile.from_path(f) for f in args.files])
    except IngestError as exc:
        raise CommandError("\nerror: ".join(exc.problems)) from None
    text = builder.mapping_yaml(proposals, name=args.name)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    for proposal in proposals:
        why = proposal.recognised or "from its headers and values"
        print(f"{proposal.file} -> {proposal.table} ({why}): {len(proposal.columns)} columns", file=sys.stderr)
    try:
        builder.proposed_mapping(proposals)
    except MappingError as exc:
        print("the proposal needs editing before it imports:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    return 0


def register_map(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "map",
        help="propose a mapping YAML from CRM export files (headers and values)",
        description="Read the files and propose a mapping: which table each file fills and where every "
        "column comes from. Check it, then `python -m scorecard import --mapping mapping.yaml FILE...`.",
    )
    p.add_argument("--out", help="write the mapping here (default: stdout)")
    p.add_argument("--name", default="proposed", help="the mapping's name (default: %(default)s)")
    p.add_argument("files", nargs="+", metavar="FILE", help="CSV, TSV or XLSX exports")
    p.set_defaults(handler=_map)


def _export(args: argparse.Namespace) -> int:
    from scorecard.store.db import Database

    db = Database.open(config.database_target(args.db))
    try:
        return _export_from(db, args)
    finally:
        db.dispose()


def _export_from(db: Database, args: argparse.Namespace) -> int:
    from scorecard.cli.common import CommandError
    from scorecard.ingest import export

    if not db.exists():
        raise CommandError(f"{db.display()} has no Scorecard data; import or run `python -m scorecard demo` first")
    if args.out:
        with open(args.out, "wb") as sink:
            count = export.export_table(db, args.table, args.format, sink)
        print(f"wrote {count:,} {args.table} rows to {args.out}", file=sys.stderr)
        return 0
    if args.format == "parquet" and sys.stdout.isatty():
        raise CommandError("parquet is binary; give --out PATH (or redirect stdout)")
    sys.stdout.flush()
    export.export_table(db, args.table, args.format, sys.stdout.buffer)
    sys.stdout.buffer.flush()
    return 0


def register_export(sub: Subparsers[argparse.ArgumentParser]) -> None:
    from scorecard.store.model import TABLES

    p = sub.add_parser("export", help="export a table as CSV or Parquet")
    p.add_argument("--db", help=f"database URL or file path (default: ${config.DB_ENV} or data/scorecard.duckdb)")
    p.add_argument("--table", required=True, choices=sorted(TABLES), help="table to export")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format (default csv)")
    p.add_argument("--out", help="output file (default: stdout)")
    p.set_defaults(handler=_export)
