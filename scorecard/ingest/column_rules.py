"""Check one target column's rule in a mapping YAML into a ColumnRule: how the column is
found (column, constant or expression), its value map, settings and scale, and, for a
reference, how the row it names is looked up (and created or copied from).
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from typing import Any, Final

from scorecard.ingest import schema
from scorecard.ingest.checker import Checker, suggest
from scorecard.ingest.parse import fold
from scorecard.ingest.rules import ColumnRule, Lookup, Mode, Settings
from scorecard.store import model

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


def column_rule(
    b: Checker,
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
    b: Checker, raw: Any, path: tuple[str | int, ...], table: str, target: str, references: str | None, where: str
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
                    f"{where}: {references} has no column {key!r}{suggest(str(key), ref_columns)}",
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
                b.issue((*path, "copy", str(key)), f"{where}: {table} has no column {key!r}{suggest(str(key), own)}")
            elif value not in theirs:
                b.issue(
                    (*path, "copy", str(key)),
                    f"{where}: {references} has no column {value!r}{suggest(str(value), theirs)}",
                )
            elif schema.kind_of(schema.table(table).c[key]) != schema.kind_of(schema.table(references).c[value]):
                b.issue((*path, "copy", str(key)), f"{where}: {table}.{key} and {references}.{value} differ in type")
            else:
                copies.append((str(key), str(value)))
    return Lookup(references, by, create, tuple(pairs), tuple(copies))
