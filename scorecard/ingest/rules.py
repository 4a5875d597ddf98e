"""The typed rules a mapping file becomes: the whole Mapping, one SourceRule per kind of
file (with the Match that picks its files), one ColumnRule per target column (with its
Settings and reference Lookup). Frozen; mapping_file builds them from YAML.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from scorecard.ingest import schema
from scorecard.ingest.parse import fold

Unmapped = Literal["quarantine", "keep", "default"]
Mode = Literal["upsert", "update"]
Unknown = Literal["quarantine", "keep", "null"]
LookupKey = Literal["id", "name", "email", "auto"]
DecimalMark = Literal["auto", ".", ","]


@dataclass(frozen=True)
class Settings:
    """Parsing settings that a column inherits from its source and the defaults."""

    timezone: str = "UTC"
    date_format: str = "auto"
    day_first: bool = False
    decimal: DecimalMark = "auto"
    date_zone: str | None = None
    """The catalog's time zone: a value with no time of day is that calendar day there
    (None: the same zone as times)."""


@dataclass(frozen=True)
class Lookup:
    """A reference given by natural key (name/email) instead of id."""

    table: str
    by: LookupKey
    create: bool = False
    set: tuple[tuple[str, Any], ...] = ()
    copy: tuple[tuple[str, str], ...] = ()
    """(column of this source's table, column of the row found): filled where the file leaves it blank."""


@dataclass(frozen=True)
class ColumnRule:
    """How one target column is filled."""

    target: str
    line: int
    kind: schema.Kind
    sources: tuple[str, ...] = ()
    constant: Any = None
    has_constant: bool = False
    expression: str | None = None
    values: tuple[tuple[str, Any], ...] | None = None
    unmapped: Unmapped = "quarantine"
    default: Any = None
    has_default: bool = False
    settings: Settings = Settings()
    scale: float = 1.0
    lookup: Lookup | None = None
    references: str | None = None
    unknown: Unknown = "quarantine"
    optional: bool = False
    required: bool = False

    @property
    def value_map(self) -> dict[str, Any]:
        return dict(self.values or ())


@dataclass(frozen=True)
class Match:
    """Which files a source applies to: filename globs and/or headers that must be present."""

    files: tuple[str, ...] = ()
    headers: tuple[tuple[str, ...], ...] = ()

    def accepts(self, filename: str, headers: Sequence[str]) -> bool:
        name = Path(filename).name.casefold()
        if self.files and not any(fnmatch.fnmatchcase(name, g.casefold()) for g in self.files):
            return False
        folded = {fold(h) for h in headers}
        return all(any(fold(alt) in folded for alt in alts) for alts in self.headers)


@dataclass(frozen=True)
class SourceRule:
    """One kind of source file: the table it fills and its column rules."""

    name: str
    line: int
    table: str
    match: Match
    columns: tuple[ColumnRule, ...]
    header: bool = True
    """False: the file has no header row; `names` names its columns in order."""
    names: tuple[str, ...] = ()
    mode: Mode = "upsert"
    """update: fill the mapped columns of rows that already exist; add none."""


@dataclass(frozen=True)
class Mapping:
    """A whole mapping file."""

    file: str
    name: str
    description: str
    sources: tuple[SourceRule, ...]

    def source_for(self, filename: str, headers: Sequence[str]) -> SourceRule | None:
        """The first source with a header row whose match accepts the file."""
        return next((s for s in self.sources if s.header and s.match.accepts(filename, headers)), None)

    def sources_for(self, filename: str, headers: Sequence[str]) -> list[SourceRule]:
        """Every source a file with a header row feeds: the first matching source that adds
        rows, and every matching `mode: update` source (one file may feed several)."""
        matching = [s for s in self.sources if s.header and s.match.accepts(filename, headers)]
        first = next((s for s in matching if s.mode == "upsert"), None)
        return [s for s in matching if s is first or s.mode == "update"]

    def headerless_source_for(self, filename: str) -> SourceRule | None:
        """The first source without a header row whose file names match (before reading it)."""
        return next((s for s in self.sources if not s.header and s.match.accepts(filename, s.names)), None)

    def for_calendar(self, zone: str) -> Mapping:
        """This mapping with date-only values read as calendar days in `zone` (the catalog's)."""
        sources = tuple(
            replace(
                source,
                columns=tuple(replace(c, settings=replace(c.settings, date_zone=zone)) for c in source.columns),
            )
            for source in self.sources
        )
        return replace(self, sources=sources)
