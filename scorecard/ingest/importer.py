"""The import pipeline: read -> map -> validate -> resolve -> (one transaction) upsert + log.

`run_import` is what the command line and the dashboard's Data page call. Reading and
mapping need no database; references are resolved inside the writer's transaction,
so what is checked is what is written. With `dry_run` nothing is written; with
`strict` any quarantined row aborts the whole import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from scorecard.ingest import load, schema, validate
from scorecard.ingest.readers import RawTable, ReadError, SourceFile, headerless_hint, read_table
from scorecard.ingest.resolve import Creation, copy_from_references, resolve_references
from scorecard.ingest.rules import Mapping, SourceRule
from scorecard.ingest.transform import IngestError, Mapped, map_file
from scorecard.store.cells import frame_csv
from scorecard.store.db import Database, create_schema, refresh_maintained

Progress = Callable[[str, int, int], None]
QUARANTINE_COLUMNS = ("file", "row", "column", "value", "reason")


@dataclass(frozen=True)
class FileReport:
    """What happened to one file."""

    file: str
    sha256: str
    table: str
    source: str
    rows: int
    accepted: int
    quarantined: int
    footer_lines: int = 0
    encoding: str = ""
    delimiter: str = ""
    skipped: int = 0
    """Rows of an update source with a blank id: they name no row to fill."""


@dataclass
class ImportPlan:
    """Everything an import would write, and everything it would quarantine."""

    mapping: str
    files: list[FileReport]
    batches: list[load.Batch]
    created: dict[str, int]
    quarantine: pd.DataFrame
    previews: list[pd.DataFrame] = field(default_factory=list)
    """Per file (as in `files`): the accepted rows as they would be written."""

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)


@dataclass(frozen=True)
class ImportResult:
    """A finished (or dry-run) import: the plan, and what the write did."""

    plan: ImportPlan
    written: bool
    counts: dict[str, load.Counts] = field(default_factory=dict)
    load_id: int | None = None

    def summary(self) -> list[str]:
        return summary_lines(self)


class ImportRejected(IngestError):
    """--strict and some rows are bad: nothing was written."""

    def __init__(self, plan: ImportPlan) -> None:
        self.plan = plan
        first = plan.quarantine.head(5)
        lines = [f"{r.file}:{r.row}: {r.column}: {r.reason} ({r.value!r})" for r in first.itertuples()]
        more = len(plan.quarantine) - len(first)
        super().__init__(
            [f"--strict: {plan.quarantined:,} bad rows, so nothing was imported", *lines]
            + ([f"... and {more:,} more problems in the quarantine file"] if more > 0 else [])
        )


def prepare(files: Sequence[SourceFile], mapping: Mapping, progress: Progress | None = None) -> list[Mapped]:
    """Read every file and map it onto its table; no database needed.

    Raises IngestError listing every file that cannot be read or matched, and every
    mapping column a file lacks (with the file's real headers and the nearest name).
    """
    problems: list[str] = []
    raws: list[tuple[RawTable, list[SourceRule]]] = []
    for source_file in files:
        headerless = mapping.headerless_source_for(source_file.name)
        try:
            raw = read_table(source_file, progress, headerless.names if headerless else None)
        except ReadError as exc:
            problems.append(str(exc))
            continue
        raws.append((raw, [headerless] if headerless else mapping.sources_for(raw.file, raw.headers)))
    mapped: list[Mapped] = []
    for i, (raw, sources) in enumerate(raws):
        if not sources:
            problems.append(
                f"{raw.file}: no source in {mapping.file} matches this file (by name or headers); "
                f"its columns: {', '.join(raw.headers)}{headerless_hint(raw.headers)}"
            )
            continue
        if progress is not None:
            progress(f"checking {raw.file}", i, len(raws))
        for source in sources:
            result = map_file(raw, mapping, source, problems)
            if result is not None:
                validate.check_rows(result)
                mapped.append(result)
    if problems:
        raise IngestError(problems)
    return mapped


def plan_import(mapped: list[Mapped], conn: sa.Connection | None, mapping_name: str) -> ImportPlan:
    """Resolve references against `conn` (None: an empty database), drop duplicates,
    and split every file into accepted rows and quarantine lines."""
    order = {name: i for i, name in enumerate(schema.IMPORTABLE)}
    ordered = sorted(mapped, key=lambda m: order[m.table])
    creations = resolve_references(ordered, conn)
    copy_from_references(sorted(ordered, key=lambda m: m.updates), conn)
    for table in schema.IMPORTABLE:
        validate.check_duplicates([m for m in ordered if m.table == table and not m.updates])
        for update in (m for m in ordered if m.table == table and m.updates):
            validate.check_duplicates([update])
    reports: list[FileReport] = []
    batches: list[load.Batch] = []
    accepted_frames: dict[int, pd.DataFrame] = {}
    quarantine_parts: list[pd.DataFrame] = []
    accepted_masks: dict[int, np.ndarray] = {}
    for m in mapped:
        bad = m.bad_mask()
        skipped = m.skipped_mask() & ~bad
        accepted_masks[id(m)] = ~bad & ~skipped
        columns = [c.name for c in schema.table(m.table).c if c.name in m.frame.columns]
        frame = m.frame.loc[~bad & ~skipped, columns].reset_index(drop=True)
        accepted_frames[id(m)] = frame
        reports.append(
            FileReport(
                m.file,
                m.raw.sha256,
                m.table,
                m.source.name,
                len(m.frame) + len(m.raw.bad_lines),
                int((~bad & ~skipped).sum()),
                int(bad.sum()) + len(m.raw.bad_lines),
                m.raw.footer_lines,
                m.raw.encoding,
                m.raw.delimiter,
                int(skipped.sum()),
            )
        )
        quarantine_parts.append(_quarantine_of(m))
    created_batches, created = _created(creations, accepted_masks)
    batches.extend(created_batches)
    # Updates go last: the rows they fill may arrive in this same import.
    for m in sorted(ordered, key=lambda m: m.updates):
        frame = accepted_frames[id(m)]
        if not frame.empty:
            batches.append(load.Batch(m.table, frame, m.file, insert=not m.updates))
    quarantine = (
        pd.concat(quarantine_parts, ignore_index=True)
        if quarantine_parts
        else pd.DataFrame(columns=list(QUARANTINE_COLUMNS))
    )
    previews = [accepted_frames[id(m)] for m in mapped]
    return ImportPlan(mapping_name, reports, batches, created, quarantine, previews)


def _quarantine_of(m: Mapped) -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {
                "file": m.file,
                "row": m.raw.rows[issues["pos"].to_numpy()],
                "column": issues["column"].to_numpy(),
                "value": issues["value"].to_numpy(),
                "reason": issues["reason"].to_numpy(),
            }
        )
        for issues in m.issues
        if len(issues)
    ]
    parts += [
        pd.DataFrame(
            {"file": [m.file], "row": [line.row], "column": [""], "value": [line.text[:500]], "reason": [line.reason]}
        )
        for line in m.raw.bad_lines
    ]
    if not parts:
        return pd.DataFrame(columns=list(QUARANTINE_COLUMNS))
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["row"], kind="stable").reset_index(drop=True)
    frame["row"] = frame["row"].astype("int64")
    return frame[list(QUARANTINE_COLUMNS)]


def _created(creations: list[Creation], accepted: dict[int, np.ndarray]) -> tuple[list[load.Batch], dict[str, int]]:
    """Rows to create for references by name, only those an accepted row needs."""
    per_table: dict[str, list[pd.DataFrame]] = {}
    for creation in creations:
        keep = accepted[id(creation.owner)][creation.positions]
        if keep.any():
            per_table.setdefault(creation.table, []).append(creation.rows.loc[keep])
    batches: list[load.Batch] = []
    counts: dict[str, int] = {}
    for table in schema.IMPORTABLE:
        if table in per_table:
            frame = pd.concat(per_table[table], ignore_index=True).drop_duplicates("id").reset_index(drop=True)
            batches.append(load.Batch(table, frame, "created"))
            counts[table] = len(frame)
    return batches, counts


def run_import(
    db: Database,
    files: Sequence[SourceFile],
    mapping: Mapping,
    *,
    strict: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    user: str | None = None,
    quarantine_path: str | None = None,
) -> ImportResult:
    """Import files into `db` in one transaction: all accepted rows land, or none do."""
    if not files:
        raise IngestError("no files to import")
    mapped = prepare(files, mapping, progress)
    if dry_run:
        if db.exists():
            with db.engine().connect() as conn:
                plan = plan_import(mapped, conn, mapping.name)
        else:
            plan = plan_import(mapped, None, mapping.name)
        return ImportResult(plan, written=False)
    db.exists()  # raises, saying why, for a database that cannot be reached or is not Scorecard's
    with db.writer() as conn:
        # Decided under the writer lock: an import that ran meanwhile may have created the schema.
        fresh = not sa.inspect(conn).has_table("leads")
        # A new database gets its schema only once the import is sure to write (SQLite
        # commits DDL on its own, so a rejected import would otherwise leave empty tables).
        if not fresh:
            create_schema(conn)
        plan = plan_import(mapped, None if fresh else conn, mapping.name)
        if strict and plan.quarantined:
            raise ImportRejected(plan)
        if fresh:
            create_schema(conn)
        counts = load.write_batches(conn, plan.batches, progress)
        refresh_maintained(conn)
        detail = {
            "mapping": mapping.name,
            "files": [
                {
                    "file": f.file,
                    "sha256": f.sha256,
                    "table": f.table,
                    "source": f.source,
                    "rows": f.rows,
                    "accepted": f.accepted,
                    "quarantined": f.quarantined,
                }
                for f in plan.files
            ],
            "created": plan.created,
            "tables": {t: vars(c) for t, c in counts.items()},
            "quarantine_file": quarantine_path,
        }
        load_id = load.log_load(conn, detail, plan.accepted, plan.quarantined, user)
    return ImportResult(plan, written=True, counts=counts, load_id=load_id)


def quarantine_csv(plan: ImportPlan) -> bytes:
    """The quarantine as CSV bytes: file, row, column, value, reason; formula-like text quoted."""
    return frame_csv(plan.quarantine, list(QUARANTINE_COLUMNS)).encode("utf-8")


def write_quarantine(plan: ImportPlan, path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(quarantine_csv(plan))
    return target


def summary_lines(result: ImportResult) -> list[str]:
    """A plain-text account of an import, one line per fact."""
    plan = result.plan
    lines: list[str] = []
    for f in plan.files:
        extra = f", {f.footer_lines} report footer lines skipped" if f.footer_lines else ""
        if f.skipped:
            extra += f", {f.skipped:,} without an id skipped (nothing to fill)"
        lines.append(
            f"{f.file} -> {f.table} ({f.source}): {f.rows:,} rows, {f.accepted:,} accepted, "
            f"{f.quarantined:,} quarantined{extra}"
        )
    if not plan.quarantine.empty:
        top = plan.quarantine.groupby(["column", "reason"], sort=False).size().sort_values(ascending=False).head(8)
        for (column, reason), count in top.items():
            lines.append(f"  quarantined: {count:,} x {column or '(row)'}: {reason}")
    for table, count in plan.created.items():
        lines.append(f"created {count:,} {table} named in the files but missing from the database")
    if result.written:
        for table, c in result.counts.items():
            lines.append(f"{table}: {c.inserted:,} new, {c.updated:,} updated, {c.unchanged:,} unchanged")
        lines.append(f"recorded as load {result.load_id}")
    else:
        lines.append("dry run: nothing was written")
    return lines
