"""Load and validate an import mapping (YAML) into frozen rules, with file:line errors.

A mapping says, for each kind of source file, which table it fills and how every
target column is found: a source column, a constant, a value map, a date format and
time zone, a number style, a reference by natural key, or an expression. Loading
reports every problem at once, each with its line and a suggested fix. See
examples/mapping.example.yaml for the whole language.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib.resources
import zoneinfo
from collections.abc import Mapping as MappingType
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, Literal

from scorecard.ingest import schema
from scorecard.ingest.parse import NAMED_FORMATS, fold
from scorecard.language import yamlsource
from scorecard.language.yamlsource import Issue, IssuesError, SourceDoc
from scorecard.store import model

Unmapped = Literal["quarantine", "keep", "default"]
Mode = Literal["upsert", "update"]
Unknown = Literal["quarantine", "keep", "null"]
LookupKey = Literal["id", "name", "email", "auto"]
DecimalMark = Literal["auto", ".", ","]

TOP_KEYS: Final = ("version", "name", "description", "defaults", "sources")
SETTING_KEYS: Final = ("timezone", "date_format", "day_first", "decimal")
SOURCE_KEYS: Final = ("name", "table", "match", "columns", "header", "names", "mode", *SETTING_KEYS)
MATCH_KEYS: Final = ("files", "headers")
RULE_KEYS: Final = (
    "column",
    "constant",
    "expression",
    "values",
    "unmapped",
    "default",
    "format",
    "date_format",
    "timezone",
    "day_first",
    "decimal",
    "scale",
    "lookup",
    "unknown",
    "optional",
    "required",
)
LOOKUP_KEYS: Final = ("by", "create", "set", "copy")
PRESETS_PACKAGE: Final = "scorecard.ingest.presets"


class MappingError(IssuesError):
    """A mapping with problems; `issues` holds every one (file, line, message)."""


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


# --- loading --------------------------------------------------------------------------------


def load_mapping(path: str | Path, timezone: str | None = None) -> Mapping:
    """Read and validate a mapping file; raises MappingError listing every problem.

    `timezone` replaces the file's `defaults: timezone:` (sources and columns that
    name their own zone keep it).
    """
    try:
        doc = yamlsource.load_file(path)
    except yamlsource.YamlError as exc:
        raise MappingError([exc.issue]) from None
    return _build(doc, timezone)


def load_mapping_text(text: str, file: str = "mapping.yaml", timezone: str | None = None) -> Mapping:
    """Like load_mapping, from text (an uploaded mapping); `file` names it in messages."""
    try:
        doc = yamlsource.load_text(text, file)
    except yamlsource.YamlError as exc:
        raise MappingError([exc.issue]) from None
    return _build(doc, timezone)


def preset_names() -> tuple[str, ...]:
    """Presets shipped with Scorecard (scorecard/ingest/presets/*.yaml)."""
    folder = importlib.resources.files(PRESETS_PACKAGE)
    return tuple(sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")))


def load_preset(name: str, timezone: str | None = None) -> Mapping:
    """A shipped preset by name, e.g. 'salesforce' or 'hubspot'."""
    names = preset_names()
    if name not in names:
        raise MappingError([Issue(f"preset {name}", 1, f"unknown preset {name!r}; choose one of {', '.join(names)}")])
    resource = importlib.resources.files(PRESETS_PACKAGE) / f"{name}.yaml"
    text = resource.read_text(encoding="utf-8")
    return load_mapping_text(text, f"presets/{name}.yaml", timezone)


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f"; expected one of: {', '.join(choices)}"


class _Builder:
    """Walks the YAML document, collecting issues instead of stopping at the first."""

    def __init__(self, doc: SourceDoc) -> None:
        self.doc = doc
        self.issues: list[Issue] = []

    def issue(self, path: tuple[str | int, ...], message: str) -> None:
        self.issues.append(Issue(self.doc.file, self.doc.line(path), message))

    def check_keys(
        self, value: MappingType[Any, Any], allowed: Sequence[str], path: tuple[str | int, ...], what: str
    ) -> None:
        for key in value:
            if key not in allowed:
                self.issue((*path, str(key)), f"{what}: unknown key {key!r}{_suggest(str(key), allowed)}")

    def settings(self, raw: Any, path: tuple[str | int, ...], base: Settings) -> Settings:
        if not isinstance(raw, MappingType):
            return base
        timezone = raw.get("timezone", base.timezone)
        if not isinstance(timezone, str) or not _valid_zone(timezone):
            self.issue(
                (*path, "timezone"), f"unknown time zone {timezone!r}; use an IANA name such as Europe/Berlin or UTC"
            )
            timezone = base.timezone
        date_format = raw.get("date_format", raw.get("format", base.date_format))
        if not isinstance(date_format, str) or (date_format.lower() not in NAMED_FORMATS and "%" not in date_format):
            key = "date_format" if "date_format" in raw else "format"
            self.issue(
                (*path, key),
                f"date format {date_format!r}: use auto, iso, mdy, dmy, excel, "
                "or a strftime pattern like %d.%m.%Y %H:%M",
            )
            date_format = base.date_format
        day_first = raw.get("day_first", base.day_first)
        if not isinstance(day_first, bool):
            self.issue((*path, "day_first"), "day_first must be true or false")
            day_first = base.day_first
        decimal = raw.get("decimal", base.decimal)
        decimal = {"dot": ".", "comma": ","}.get(str(decimal), decimal)
        if decimal not in ("auto", ".", ","):
            self.issue((*path, "decimal"), f"decimal {decimal!r}: use auto, '.' (dot) or ',' (comma)")
            decimal = base.decimal
        return Settings(timezone, date_format, day_first, decimal, base.date_zone)


def _valid_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _build(doc: SourceDoc, timezone: str | None = None) -> Mapping:
    b = _Builder(doc)
    data = doc.data
    for path, line in doc.duplicate_keys:
        b.issues.append(Issue(doc.file, line, f"key {path[-1]!r} appears twice; the second would silently win"))
    if not isinstance(data, MappingType):
        raise MappingError(
            [Issue(doc.file, 1, "a mapping file holds `sources:` (a list); see examples/mapping.example.yaml")]
        )
    b.check_keys(data, TOP_KEYS, (), "mapping")
    if data.get("version", 1) != 1:
        b.issue(("version",), f"version {data.get('version')!r} is not supported; use 1")
    defaults = b.settings(data.get("defaults"), ("defaults",), Settings())
    if isinstance(data.get("defaults"), MappingType):
        b.check_keys(data["defaults"], SETTING_KEYS, ("defaults",), "defaults")
    if timezone is not None:
        if not _valid_zone(timezone):
            raise MappingError(
                [Issue(doc.file, 1, f"unknown time zone {timezone!r}; use an IANA name such as Europe/Berlin")]
            )
        defaults = replace(defaults, timezone=timezone)
    raw_sources = data.get("sources")
    sources: list[SourceRule] = []
    if not isinstance(raw_sources, list) or not raw_sources:
        b.issue(("sources",), "`sources:` must be a non-empty list, one entry per kind of file")
    else:
        for i, raw in enumerate(raw_sources):
            source = _source(b, raw, ("sources", i), defaults)
            if source is not None:
                sources.append(source)
        seen: dict[str, int] = {}
        for s in sources:
            if s.name in seen:
                b.issues.append(Issue(doc.file, s.line, f"source name {s.name!r} is used twice (line {seen[s.name]})"))
            seen.setdefault(s.name, s.line)
    if b.issues:
        raise MappingError(sorted(b.issues, key=lambda i: i.line))
    return Mapping(
        doc.file, str(data.get("name") or Path(doc.file).stem), str(data.get("description") or ""), tuple(sources)
    )


def _source(b: _Builder, raw: Any, path: tuple[str | int, ...], defaults: Settings) -> SourceRule | None:
    line = b.doc.line(path)
    if not isinstance(raw, MappingType):
        b.issue(path, "each source is a mapping with `table:`, `match:` and `columns:`")
        return None
    b.check_keys(raw, SOURCE_KEYS, path, "source")
    name = str(raw.get("name") or f"source {path[-1] + 1 if isinstance(path[-1], int) else path[-1]}")
    table = raw.get("table")
    if table not in schema.IMPORTABLE:
        b.issue(
            (*path, "table"),
            f"source {name!r}: table {table!r} cannot be imported{_suggest(str(table), schema.IMPORTABLE)}",
        )
        return None
    settings = b.settings(raw, path, defaults)
    match = _match(b, raw.get("match"), (*path, "match"), name)
    raw_columns = raw.get("columns")
    if not isinstance(raw_columns, MappingType) or not raw_columns:
        b.issue((*path, "columns"), f"source {name!r}: `columns:` maps target columns of {table} to how they are found")
        return None
    mode = raw.get("mode", "upsert")
    if mode not in ("upsert", "update"):
        b.issue(
            (*path, "mode"),
            f"source {name!r}: mode: is upsert (add new rows, update known ones; the default) or update "
            "(only fill columns of rows that already exist)",
        )
        mode = "upsert"
    keys = schema.key_columns(table)
    if mode == "update" and keys != ("id",):
        b.issue((*path, "mode"), f"source {name!r}: mode: update needs a table with an id; {table} has none")
        mode = "upsert"
    maintained = model.MAINTAINED.get(table, ())
    table_columns = [c.name for c in schema.table(table).c if c.name not in maintained]
    rules: list[ColumnRule] = []
    for target, spec in raw_columns.items():
        cpath = (*path, "columns", str(target))
        if target in maintained:
            b.issue(
                cpath,
                f"source {name!r}: {table}.{target} is computed by every load from other tables; it cannot be imported",
            )
            continue
        if target not in table_columns:
            b.issue(cpath, f"source {name!r}: {table} has no column {target!r}{_suggest(str(target), table_columns)}")
            continue
        rule = _rule(b, table, str(target), spec, cpath, settings, name, mode)
        if rule is not None:
            rules.append(rule)
    header, names = _header(b, raw, path, name, match)
    mapped = {r.target for r in rules}
    if mode == "update":
        if "id" not in raw_columns:
            b.issue(
                (*path, "columns"),
                f"source {name!r}: mode: update finds existing {table} rows by id: map `id:` (a column of ids, "
                "or a name with lookup: {by: name})",
            )
    else:
        for column in schema.required_columns(table):
            if column not in mapped and column not in raw_columns and not schema.has_default(table, column):
                hint = (
                    " (or, if this file only fills columns of rows another file adds, give the source `mode: update`)"
                    if "id" in raw_columns and keys == ("id",)
                    else ""
                )
                b.issue(
                    (*path, "columns"),
                    f"source {name!r}: {table}.{column} is required but not mapped; map a column or give "
                    f"`constant:`{hint}",
                )
    return SourceRule(name, line, table, match, tuple(rules), header, names, mode)


def _header(
    b: _Builder, raw: MappingType[str, Any], path: tuple[str | int, ...], name: str, match: Match
) -> tuple[bool, tuple[str, ...]]:
    """`header: false` with `names: [...]`: a file without a header row, its columns named in order."""
    header = raw.get("header", True)
    if not isinstance(header, bool):
        b.issue((*path, "header"), f"source {name!r}: header: is true (the first row names the columns) or false")
        return True, ()
    names = raw.get("names")
    if header:
        if names is not None:
            b.issue((*path, "names"), f"source {name!r}: names: is for files without a header row; add `header: false`")
        return True, ()
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        b.issue(
            (*path, "names" if names is not None else "header"),
            f"source {name!r}: a file without a header row needs `names:`, its columns in order, e.g. "
            "[Deal ID, Created, Stage, Amount]",
        )
        return False, ()
    folded = [fold(n) for n in names]
    for n in {n for n in folded if folded.count(n) > 1}:
        b.issue((*path, "names"), f"source {name!r}: names: {n!r} appears twice")
    if not match.files:
        b.issue(
            (*path, "match"),
            f"source {name!r}: a file without a header row is recognised by its name only; give match: files: [...]",
        )
    return False, tuple(n.strip() for n in names)


def _match(b: _Builder, raw: Any, path: tuple[str | int, ...], name: str) -> Match:
    if raw is None:
        return Match()
    if not isinstance(raw, MappingType):
        b.issue(path, f"source {name!r}: `match:` takes `files:` (globs) and/or `headers:` (names)")
        return Match()
    b.check_keys(raw, MATCH_KEYS, path, "match")
    files = raw.get("files", [])
    files = [files] if isinstance(files, str) else files
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        b.issue((*path, "files"), f"source {name!r}: `files:` is a glob or a list of globs such as leads*.csv")
        files = []
    headers_raw = raw.get("headers", [])
    headers: list[tuple[str, ...]] = []
    for i, item in enumerate(headers_raw if isinstance(headers_raw, list) else [headers_raw]):
        if isinstance(item, str):
            headers.append((item,))
        elif isinstance(item, list) and item and all(isinstance(x, str) for x in item):
            headers.append(tuple(item))
        else:
            b.issue((*path, "headers", i), "each header is a name, or a list of alternative names")
    return Match(tuple(files), tuple(headers))


def _rule(
    b: _Builder,
    table: str,
    target: str,
    spec: Any,
    path: tuple[str | int, ...],
    inherited: Settings,
    source: str,
    mode: Mode = "upsert",
) -> ColumnRule | None:
    line = b.doc.line(path)
    column = schema.table(table).c[target]
    kind = schema.kind_of(column)
    references = schema.REFERENCES.get((table, target))
    if mode == "update" and target == "id":
        references = table  # an update names rows that exist: checked (or looked up by name) like a reference
    where = f"source {source!r}, column {target}"
    if isinstance(spec, str | list):
        spec = {"column": spec}
    if not isinstance(spec, MappingType):
        b.issue(path, f"{where}: give a source column name, or a mapping with column:, constant: or expression:")
        return None
    b.check_keys(spec, RULE_KEYS, path, where)
    ways = [k for k in ("column", "constant", "expression") if k in spec]
    if len(ways) != 1:
        b.issue(
            path, f"{where}: give exactly one of column:, constant:, expression: (found {', '.join(ways) or 'none'})"
        )
        return None
    sources: tuple[str, ...] = ()
    if "column" in spec:
        raw = spec["column"]
        names = [raw] if isinstance(raw, str) else raw
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
            b.issue((*path, "column"), f"{where}: column: is a header name or a list of alternative header names")
            return None
        sources = tuple(n.strip() for n in names)
    expression = spec.get("expression")
    if "expression" in spec:
        if not isinstance(expression, str):
            b.issue(
                (*path, "expression"),
                f"{where}: expression: is text, e.g. \"if(stage in ('won', 'lost'), close_date, null)\"",
            )
            return None
        try:
            from scorecard.language import expressions

            expressions.parse(expression)
        except ImportError:
            b.issue(
                (*path, "expression"), f"{where}: computed columns need scorecard.expressions, which is not installed"
            )
        except ValueError as exc:
            b.issue((*path, "expression"), f"{where}: {exc}")
    settings = b.settings(spec, path, inherited)
    values: tuple[tuple[str, Any], ...] | None = None
    if "values" in spec:
        raw_values = spec["values"]
        if not isinstance(raw_values, MappingType) or not raw_values:
            b.issue((*path, "values"), f"{where}: values: maps source values to target values, e.g. Closed Won: won")
        else:
            folded: dict[str, Any] = {}
            for key, value in raw_values.items():
                if fold(key) in folded:
                    b.issue(
                        (*path, "values", str(key)),
                        f"{where}: value {key!r} is mapped twice (case and spaces are ignored)",
                    )
                folded[fold(key)] = value
            values = tuple(folded.items())
    unmapped = spec.get("unmapped", "quarantine")
    if unmapped not in ("quarantine", "keep", "default"):
        b.issue((*path, "unmapped"), f"{where}: unmapped: is quarantine, keep or default")
        unmapped = "quarantine"
    if unmapped == "default" and "default" not in spec:
        b.issue((*path, "unmapped"), f"{where}: unmapped: default needs a `default:` value")
    if "unmapped" in spec and values is None:
        b.issue((*path, "unmapped"), f"{where}: unmapped: only applies with values:")
    unknown = spec.get("unknown", "quarantine")
    unknown = "null" if unknown is None else unknown  # YAML `null` reads as None
    if unknown not in ("quarantine", "keep", "null"):
        b.issue((*path, "unknown"), f"{where}: unknown: is quarantine, keep or null")
        unknown = "quarantine"
    if "unknown" in spec and references is None:
        b.issue((*path, "unknown"), f"{where}: unknown: only applies to reference columns")
    scale = spec.get("scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, int | float):
        b.issue((*path, "scale"), f"{where}: scale: is a number, e.g. 0.001 for milliseconds to seconds")
        scale = 1.0
    for flag in ("optional", "required"):
        if flag in spec and not isinstance(spec[flag], bool):
            b.issue((*path, flag), f"{where}: {flag}: is true or false")
    lookup = (
        _lookup(b, spec.get("lookup"), (*path, "lookup"), table, target, references, where)
        if "lookup" in spec
        else None
    )
    vocabulary = schema.VOCABULARIES.get((table, target))
    if vocabulary:
        produced: list[tuple[tuple[str | int, ...], Any]] = []
        if values is not None:
            produced += [((*path, "values"), v) for _, v in values]
        if "constant" in spec:
            produced.append(((*path, "constant"), spec["constant"]))
        if "default" in spec:
            produced.append(((*path, "default"), spec["default"]))
        for vpath, value in produced:
            if value is not None and value not in vocabulary:
                b.issue(vpath, f"{where}: {value!r} is not one of {', '.join(vocabulary)}")
    return ColumnRule(
        target=target,
        line=line,
        kind=kind,
        sources=sources,
        constant=spec.get("constant"),
        has_constant="constant" in spec,
        expression=expression if isinstance(expression, str) else None,
        values=values,
        unmapped=unmapped,
        default=spec.get("default"),
        has_default="default" in spec,
        settings=settings,
        scale=float(scale),
        lookup=lookup,
        references=references,
        unknown=unknown,
        optional=bool(spec.get("optional", False)),
        required=bool(spec.get("required", False)) or not column.nullable,
    )


def _lookup(
    b: _Builder, raw: Any, path: tuple[str | int, ...], table: str, target: str, references: str | None, where: str
) -> Lookup | None:
    if references is None:
        columns = ", ".join(c for t, c in schema.REFERENCES if t == table)
        b.issue(path, f"{where}: lookup: only applies to reference columns ({columns})")
        return None
    if isinstance(raw, str):
        raw = {"by": raw}
    if not isinstance(raw, MappingType):
        b.issue(path, f"{where}: lookup: takes by: (name, email, auto or id), create: and set:")
        return None
    b.check_keys(raw, LOOKUP_KEYS, path, f"{where} lookup")
    keys = schema.NATURAL_KEYS.get(references, ())
    allowed = ("id", *keys, *(("auto",) if "email" in keys else ()))
    by = raw.get("by", "name" if keys else "id")
    if by not in allowed:
        b.issue((*path, "by"), f"{where}: {references} can be looked up by {', '.join(allowed)}, not {by!r}")
        by = "id"
    create = raw.get("create", False)
    if not isinstance(create, bool):
        b.issue((*path, "create"), f"{where}: create: is true or false")
        create = False
    if create and target == "id":
        b.issue((*path, "create"), f"{where}: mode: update adds no {references}; it only fills rows that exist")
        create = False
    if create and references not in schema.CREATABLE:
        b.issue((*path, "create"), f"{where}: missing {references} cannot be created from a reference; import them")
        create = False
    if create and by == "id":
        b.issue(
            (*path, "create"),
            f"{where}: create: needs a lookup by name or email (an id alone makes no {references} row)",
        )
        create = False
    sets = raw.get("set", {})
    pairs: list[tuple[str, Any]] = []
    if not isinstance(sets, MappingType):
        b.issue((*path, "set"), f"{where}: set: gives values for created {references} rows, e.g. team: sales")
    else:
        ref_columns = list(schema.table(references).c.keys())
        for key, value in sets.items():
            if key not in ref_columns:
                b.issue(
                    (*path, "set", str(key)),
                    f"{where}: {references} has no column {key!r}{_suggest(str(key), ref_columns)}",
                )
                continue
            vocabulary = schema.VOCABULARIES.get((references, str(key)))
            if vocabulary and value not in vocabulary:
                b.issue((*path, "set", str(key)), f"{where}: {value!r} is not one of {', '.join(vocabulary)}")
            pairs.append((str(key), value))
    copies: list[tuple[str, str]] = []
    raw_copy = raw.get("copy", {})
    if not isinstance(raw_copy, MappingType):
        b.issue((*path, "copy"), f"{where}: copy: maps columns of {table} to columns of the {references} row found")
    else:
        own = [c.name for c in schema.table(table).c if c.name not in model.MAINTAINED.get(table, ())]
        theirs = list(schema.table(references).c.keys())
        for key, value in raw_copy.items():
            if key not in own:
                b.issue((*path, "copy", str(key)), f"{where}: {table} has no column {key!r}{_suggest(str(key), own)}")
            elif value not in theirs:
                b.issue(
                    (*path, "copy", str(key)),
                    f"{where}: {references} has no column {value!r}{_suggest(str(value), theirs)}",
                )
            elif schema.kind_of(schema.table(table).c[key]) != schema.kind_of(schema.table(references).c[value]):
                b.issue((*path, "copy", str(key)), f"{where}: {table}.{key} and {references}.{value} differ in type")
            else:
                copies.append((str(key), str(value)))
    return Lookup(references, by, create, tuple(pairs), tuple(copies))
