"""Load and validate an import mapping (YAML) into frozen rules, with file:line errors.

A mapping says, for each kind of source file, which table it fills and how every
target column is found: a source column, a constant, a value map, a date format and
time zone, a number style, a reference by natural key, or an expression. Loading
reports every problem at once, each with its line and a suggested fix. This module
checks the document and its sources; column_rules checks each column. See
examples/mapping.example.yaml for the whole language.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from scorecard.ingest import schema
from scorecard.ingest.checker import SETTING_KEYS, Checker, suggest, valid_zone
from scorecard.ingest.column_rules import column_rule
from scorecard.ingest.parse import fold
from scorecard.ingest.rules import ColumnRule, Mapping, Match, Settings, SourceRule
from scorecard.language import yamlsource
from scorecard.language.yamlsource import Issue, IssuesError, SourceDoc
from scorecard.store import model

TOP_KEYS: Final = ("version", "name", "description", "defaults", "sources")
SOURCE_KEYS: Final = ("name", "table", "match", "columns", "header", "names", "mode", *SETTING_KEYS)
MATCH_KEYS: Final = ("files", "headers")


class MappingError(IssuesError):
    """A mapping with problems; `issues` holds every one (file, line, message)."""


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


def _build(doc: SourceDoc, timezone: str | None = None) -> Mapping:
    b = Checker(doc)
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
        if not valid_zone(timezone):
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


def _source(b: Checker, raw: Any, path: tuple[str | int, ...], defaults: Settings) -> SourceRule | None:
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
            f"source {name!r}: table {table!r} cannot be imported{suggest(str(table), schema.IMPORTABLE)}",
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
            b.issue(cpath, f"source {name!r}: {table} has no column {target!r}{suggest(str(target), table_columns)}")
            continue
        rule = column_rule(b, table, str(target), spec, cpath, settings, name, mode)
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
    b: Checker, raw: MappingType[str, Any], path: tuple[str | int, ...], name: str, match: Match
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


def _match(b: Checker, raw: Any, path: tuple[str | int, ...], name: str) -> Match:
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
