"""Propose a mapping from the files themselves: which table each file fills and where every
target column comes from, read from the headers and checked against the values.

A file whose headers a shipped preset recognises (Salesforce, HubSpot, Pipedrive exports)
gets that preset's rules for the columns it has. Any other file is read generically:
its table from the words in its headers, each column from known names (created, close
date, amount, owner...), kept only when the values fit (dates parse as dates, amounts
as numbers), stage words mapped onto open/won/lost steps, names of reps, accounts and
products looked up by name (created when missing), and ids that name rows of another
file's table linked to it. The result is ordinary mapping YAML, with each column's
header and sample values as comments, for `python -m scorecard map` and the Data page.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Mapping as MappingType
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import pandas as pd
import yaml

from scorecard.ingest import parse, schema
from scorecard.ingest.mapping_file import load_mapping_text
from scorecard.ingest.preset_lookup import PRESETS_PACKAGE, preset_names
from scorecard.ingest.readers import RawTable, ReadError, SourceFile, read_table
from scorecard.ingest.rules import Mapping, SourceRule
from scorecard.ingest.transform import IngestError, find_header
from scorecard.store import model

SAMPLES: Final = 3

TABLE_WORDS: Final[MappingType[str, tuple[str, ...]]] = {
    "activities": ("activity", "task", "call", "subject", "duration", "outcome", "meeting"),
    "opportunities": ("deal", "opportunity", "stage", "amount", "close", "won", "pipeline", "value"),
    "leads": ("lead", "contact", "person", "source", "lifecycle", "mql", "first name", "last name"),
    "reps": ("user", "rep", "team", "role", "hire", "manager", "employee"),
    "accounts": ("account", "company", "organization", "industry", "segment"),
    "quotas": ("quota", "period", "target"),
    "products": ("product", "family", "margin", "sku"),
}
"""Words in headers that point at a table (the id column's words count double)."""

COLUMN_NAMES: Final[MappingType[tuple[str, str], tuple[str, ...]]] = {
    ("opportunities", "id"): ("deal id", "opportunity id", "deal number", "deal no", "id", "record id"),
    ("opportunities", "created_at"): ("created", "create date", "created date", "created on", "opened", "open date"),
    ("opportunities", "closed_at"): ("closed", "close date", "closed on", "closed date", "close time", "won time"),
    ("opportunities", "stage"): ("stage", "status", "deal stage", "phase"),
    ("opportunities", "amount"): ("amount", "value", "deal value", "revenue", "price", "total"),
    ("opportunities", "owner_rep_id"): ("owner", "deal owner", "opportunity owner", "sales rep", "salesperson", "rep"),
    ("opportunities", "account_id"): ("account", "account name", "company", "organization", "customer", "client"),
    ("opportunities", "product_id"): ("product", "product name"),
    ("opportunities", "region"): ("region", "territory"),
    ("opportunities", "segment"): ("segment",),
    ("opportunities", "lead_id"): ("lead id", "contact id", "person id"),
    ("leads", "id"): ("lead id", "contact id", "person id", "id", "record id"),
    ("leads", "created_at"): ("created", "create date", "created date", "created on", "signup date"),
    ("leads", "source"): ("source", "lead source", "origin", "channel"),
    ("leads", "owner_rep_id"): ("owner", "lead owner", "contact owner", "rep", "assigned to"),
    ("leads", "account_id"): ("company", "account", "organization", "account name", "company name"),
    ("leads", "region"): ("region", "territory", "country"),
    ("leads", "mql_at"): ("mql date", "became mql", "marketing qualified"),
    ("activities", "id"): ("activity id", "task id", "call id", "id", "record id"),
    ("activities", "type"): ("type", "activity type", "task type", "task subtype", "kind"),
    ("activities", "occurred_at"): ("date", "activity date", "occurred", "due date", "completed", "created"),
    ("activities", "rep_id"): ("assigned", "assigned to", "owner", "rep", "user", "agent"),
    ("activities", "duration_s"): ("duration", "call duration", "duration seconds"),
    ("activities", "lead_id"): ("lead id", "contact id", "person id"),
    ("activities", "opportunity_id"): ("deal id", "opportunity id"),
    ("reps", "id"): ("user id", "rep id", "employee id", "id"),
    ("reps", "name"): ("name", "full name", "user", "rep"),
    ("reps", "email"): ("email", "e-mail"),
    ("reps", "team"): ("team", "department"),
    ("reps", "region"): ("region", "territory"),
    ("reps", "role"): ("role", "title"),
}
"""Header names (folded) a column is usually exported under, best first."""

STAGE_WORDS: Final = (
    ("lost", ("lost", "closed lost", "closedlost", "dead", "disqualified")),
    ("won", ("won", "closed won", "closedwon", "win")),
    ("negotiation", ("negotiat", "contract", "review")),
    ("proposal", ("proposal", "quote", "presentation", "demo", "decision")),
    ("qualification", ("qualif", "discovery", "needs", "contact made")),
)
"""Stage words (substrings of the folded value) -> the canonical step; anything else is prospecting."""

TYPE_WORDS: Final = (
    ("call", ("call", "phone")),
    ("email", ("email", "mail")),
    ("meeting", ("meeting", "lunch")),
    ("demo", ("demo",)),
)


@dataclass(frozen=True)
class ColumnProposal:
    """One target column: how it is filled (a mapping rule), the header read, samples, why."""

    target: str
    spec: Any
    header: str | None
    samples: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class SourceProposal:
    """One file: the source the builder proposes for it."""

    file: str
    name: str
    table: str
    match: Any
    columns: tuple[ColumnProposal, ...]
    headers: tuple[str, ...]
    recognised: str | None = None
    """'preset hubspot, source hubspot deals' when a shipped preset recognised the file."""

    def with_header(self, target: str, header: str | None, raw: RawTable) -> SourceProposal:
        """The same proposal with `target` read from another header (None: not mapped)."""
        columns: list[ColumnProposal] = []
        for column in self.columns:
            if column.target != target:
                columns.append(column)
                continue
            if header is None:
                continue
            spec = (
                {**column.spec, "column": header}
                if isinstance(column.spec, dict) and "column" in column.spec
                else header
            )
            columns.append(replace(column, spec=spec, header=header, samples=_samples(raw, header), why="chosen"))
        if header is not None and target not in {c.target for c in self.columns}:
            columns.append(ColumnProposal(target, header, header, _samples(raw, header), "chosen"))
        return replace(self, columns=tuple(columns))


# --- proposing --------------------------------------------------------------------------------


def propose(files: Sequence[SourceFile]) -> tuple[list[SourceProposal], list[RawTable]]:
    """A proposal per file (and the files as read, for samples and previews)."""
    raws: list[RawTable] = []
    problems: list[str] = []
    for source in files:
        try:
            raws.append(read_table(source))
        except ReadError as exc:
            problems.append(str(exc))
    if problems:
        raise IngestError(problems)
    presets = _preset_sources()
    proposals = _link([_from_preset(raw, presets) or _generic(raw) for raw in raws], raws)
    # Sources a preset recognised keep the preset's order (its first matching source wins,
    # e.g. Salesforce tasks before leads, since both carry "Lead ID"); the others follow.
    order = {(name, s.get("name")): i for name, _, data in presets for i, s in enumerate(data["sources"])}
    ranked = sorted(
        zip(proposals, raws, strict=True),
        key=lambda pair: order.get(_preset_key(pair[0]), len(order)),
    )
    return [p for p, _ in ranked], [r for _, r in ranked]


def _preset_key(proposal: SourceProposal) -> tuple[str, str]:
    if not proposal.recognised:
        return ("", "")
    preset, _, source = proposal.recognised.removeprefix("preset ").partition(", source ")
    return (preset, source)


def _preset_sources() -> list[tuple[str, Mapping, dict[str, Any]]]:
    """(preset name, loaded mapping, raw YAML of each source) for every shipped preset."""
    out: list[tuple[str, Mapping, dict[str, Any]]] = []
    for name in preset_names():
        text = (importlib.resources.files(PRESETS_PACKAGE) / f"{name}.yaml").read_text(encoding="utf-8")
        loaded = load_mapping_text(text, f"presets/{name}.yaml")
        data = yaml.safe_load(text)
        out.append((name, loaded, data))
    return out


def _from_preset(raw: RawTable, presets: list[tuple[str, Mapping, dict[str, Any]]]) -> SourceProposal | None:
    """The preset source that recognises the file, if any; when several do (folded names can
    coincide: "Lead ID" and "Lead - ID"), the one naming most of its headers exactly."""
    best: tuple[int, str, SourceRule, dict[str, Any]] | None = None
    exact = set(raw.headers)
    for preset, loaded, data in presets:
        source = loaded.source_for(raw.file, raw.headers)
        if source is None or any(
            r.sources and not r.optional and find_header(raw.headers, r.sources) is None for r in source.columns
        ):
            continue  # not this export: a column the preset needs is missing
        score = sum(1 for rule in source.columns for name in rule.sources if name in exact)
        if best is None or score > best[0]:
            spec = next(s for s in data["sources"] if s.get("name") == source.name)
            best = (score, preset, source, spec)
    if best is None:
        return None
    _, preset, source, spec = best
    columns: list[ColumnProposal] = []
    for rule in source.columns:
        raw_spec = spec["columns"][rule.target]
        header = find_header(raw.headers, rule.sources) if rule.sources else None
        if rule.sources and header is None and not (rule.has_default and rule.default is not None):
            continue  # an optional column this file lacks (one with a default still fills it)
        samples = _samples(raw, header) if header else ()
        columns.append(ColumnProposal(rule.target, raw_spec, header, samples, f"as the {preset} preset reads it"))
    return SourceProposal(
        raw.file,
        source.name,
        source.table,
        spec.get("match"),
        tuple(columns),
        raw.headers,
        f"preset {preset}, source {source.name}",
    )


def _words(header: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", header.casefold()).split())


def guess_table(headers: Sequence[str]) -> str:
    """The table whose words the headers use most (the first header, usually the id, counts double)."""
    scores: dict[str, float] = {}
    for i, header in enumerate(headers):
        words = _words(header)
        for table, hints in TABLE_WORDS.items():
            hits = sum(1 for hint in hints if f" {hint} " in f" {words} " or f" {hint}s " in f" {words} ")
            scores[table] = scores.get(table, 0) + hits * (2 if i == 0 or words.endswith(" id") else 1)
    return max(scores, key=lambda t: (scores[t], -list(TABLE_WORDS).index(t))) if scores else "leads"


def _fits(raw: RawTable, header: str, kind: schema.Kind) -> bool:
    """Do most non-blank values of the header read as `kind`?"""
    text = parse.clean_text(raw.frame[header]).dropna().head(200)
    if text.empty:
        return False
    if kind == "datetime" or kind == "date":
        bad = parse.parse_datetime(text).bad
    elif kind in ("money", "number"):
        bad = parse.parse_number(text).bad
    elif kind == "integer":
        bad = parse.parse_integer(text).bad
    else:
        return True
    return float(bad.mean()) <= 0.2


def _find(raw: RawTable, table: str, target: str, taken: set[str]) -> str | None:
    names = COLUMN_NAMES.get((table, target), (target.replace("_", " "),))
    kind = schema.kind_of(schema.table(table).c[target])
    by_words = {_words(h): h for h in raw.headers if h not in taken}
    for name in names:  # exact names first, then a header that ends with the name ("Deal - Deal created")
        header = by_words.get(name)
        if header is None:
            header = next((h for w, h in by_words.items() if w.endswith(" " + name)), None)
        if header is not None and (schema.REFERENCES.get((table, target)) or _fits(raw, header, kind)):
            return header
    return None


def _generic(raw: RawTable) -> SourceProposal:
    table = guess_table(raw.headers)
    taken: set[str] = set()
    columns: list[ColumnProposal] = []
    maintained = model.MAINTAINED.get(table, ())
    for column in schema.table(table).c:
        target = column.name
        if target in maintained or (table, target) not in COLUMN_NAMES and target not in ("name",):
            continue
        header = _find(raw, table, target, taken)
        if header is None:
            continue
        taken.add(header)
        samples = _samples(raw, header)
        spec: Any = header
        why = "header name"
        references = schema.REFERENCES.get((table, target))
        if references in schema.CREATABLE:
            by = "auto" if references == "reps" else "name"
            lookup: dict[str, Any] = {"by": by, "create": True}
            if references == "reps":
                lookup["set"] = {"team": "sales"}
            spec, why = {"column": header, "lookup": lookup}, f"names of {references}: looked up, created when missing"
        elif references is not None:
            spec, why = {"column": header, "optional": True, "unknown": "keep"}, f"ids of {references}"
        elif (table, target) == ("opportunities", "stage"):
            spec, why = {"column": header, "values": _stage_values(raw, header)}, "stage words mapped to steps"
        elif (table, target) == ("activities", "type"):
            spec, why = _type_spec(raw, header), "activity types mapped"
        elif (table, target) == ("reps", "team"):
            spec = {"column": header, "values": _team_values(raw, header), "unmapped": "default", "default": "sales"}
        columns.append(ColumnProposal(target, spec, header, samples, why))
    columns += _defaults(table, {c.target for c in columns})
    columns = _closed_only_when_closed(table, columns)
    name = re.sub(r"[^a-z0-9]+", " ", raw.file.rsplit(".", 1)[0].casefold()).strip() or table
    match = {"headers": [c.header for c in columns if c.header and isinstance(c.spec, str | dict)][:3]}
    return SourceProposal(raw.file, name, table, match, tuple(columns), raw.headers)


def _defaults(table: str, mapped: set[str]) -> list[ColumnProposal]:
    """Constants for required columns an export rarely has."""
    out: list[ColumnProposal] = []
    if table == "opportunities" and "channel" not in mapped:
        out.append(ColumnProposal("channel", {"constant": "direct"}, None, (), "no channel in the file: direct"))
    if table == "reps" and "team" not in mapped:
        out.append(ColumnProposal("team", {"constant": "sales"}, None, (), "no team in the file: sales"))
    if table == "activities" and "type" not in mapped:
        out.append(ColumnProposal("type", {"constant": "call"}, None, (), "no type in the file: calls"))
    return out


def _closed_only_when_closed(table: str, columns: list[ColumnProposal]) -> list[ColumnProposal]:
    """A CRM's close date is an expected date while a deal is open: keep it only for won or lost deals."""
    found = {c.target: c for c in columns}
    closed, stage = found.get("closed_at"), found.get("stage")
    if table != "opportunities" or closed is None or stage is None or closed.header is None:
        return columns
    name = re.sub(r"[^0-9a-z]+", "_", closed.header.casefold()).strip("_")
    spec = {"expression": f"if(stage in ('won', 'lost'), {name}, null)"}
    return [replace(c, spec=spec, why="the close date of won and lost deals") if c is closed else c for c in columns]


def _stage_values(raw: RawTable, header: str) -> dict[str, str]:
    return {str(v): stage_of(str(v)) for v in _distinct(raw, header)}


def stage_of(value: str) -> str:
    """'Closed Won' -> won, 'Negotiation/Review' -> negotiation; unknown words -> prospecting."""
    words = _words(value)
    for stage, hints in STAGE_WORDS:
        if any(hint in words or hint in parse.fold(value) for hint in hints):
            return stage
    return "prospecting"


def _type_spec(raw: RawTable, header: str) -> dict[str, Any]:
    values: dict[str, str] = {}
    for value in _distinct(raw, header):
        words = _words(str(value))
        found = next((kind for kind, hints in TYPE_WORDS if any(h in words for h in hints)), None)
        if found is not None:
            values[str(value)] = found
    return {"column": header, "values": values or {"Call": "call"}}


def _team_values(raw: RawTable, header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in _distinct(raw, header):
        words = _words(str(value))
        out[str(value)] = "marketing" if "market" in words else "partner" if "partner" in words else "sales"
    return out


def _link(proposals: list[SourceProposal], raws: list[RawTable]) -> list[SourceProposal]:
    """Ids that name rows of another file's table: `Lead ID` in a deals file links its lead."""
    tables = {p.table for p in proposals}
    out: list[SourceProposal] = []
    for proposal, raw in zip(proposals, raws, strict=True):
        if proposal.recognised:
            out.append(proposal)
            continue
        mapped = {c.target for c in proposal.columns}
        used = {c.header for c in proposal.columns}
        extra: list[ColumnProposal] = []
        for (table, column), target in schema.REFERENCES.items():
            if table != proposal.table or column in mapped or target not in tables or target == table:
                continue
            noun = {"opportunities": ("deal", "opportunity"), "leads": ("lead", "contact", "person")}.get(target, ())
            header = next(
                (h for h in raw.headers if h not in used and any(_words(h) in (f"{n} id", f"{n}id") for n in noun)),
                None,
            )
            if header is not None:
                spec = {"column": header, "optional": True, "unknown": "keep"}
                extra.append(ColumnProposal(column, spec, header, _samples(raw, header), f"ids of {target}"))
        out.append(replace(proposal, columns=proposal.columns + tuple(extra)))
    return out


def _distinct(raw: RawTable, header: str, limit: int = 50) -> list[str]:
    return [str(v) for v in parse.clean_text(raw.frame[header]).dropna().unique()[:limit]]


def _samples(raw: RawTable, header: str | None) -> tuple[str, ...]:
    if header is None or header not in raw.frame:
        return ()
    return tuple(_distinct(raw, header, SAMPLES))


# --- writing ------------------------------------------------------------------------------------


def mapping_yaml(proposals: Sequence[SourceProposal], name: str = "proposed") -> str:
    """The proposal as a mapping file, each column commented with its header's sample values."""
    lines = [
        "# Proposed by `python -m scorecard map` from the files' headers and values: check each",
        "# column (its samples are in the comment), then import with --mapping.",
        "version: 1",
        f"name: {name}",
        "sources:",
    ]
    seen: set[str] = set()
    for proposal in proposals:
        source_name = proposal.name
        while source_name in seen:
            source_name += " 2"
        seen.add(source_name)
        why = proposal.recognised or f"{proposal.table}, from its headers"
        lines.append(f"  # {proposal.file}: {why}")
        lines.append(f"  - name: {_flow(source_name)}")
        lines.append(f"    table: {proposal.table}")
        if proposal.match:
            lines.append(f"    match: {_flow(proposal.match)}")
        lines.append("    columns:")
        for column in proposal.columns:
            comment = f"  # e.g. {', '.join(column.samples)}" if column.samples else ""
            if isinstance(column.spec, dict):
                lines.append(f"      {column.target}:{comment}")
                body = yaml.safe_dump(
                    column.spec, default_flow_style=None, sort_keys=False, allow_unicode=True, width=10_000
                )
                lines += [f"        {line}" for line in body.rstrip("\n").splitlines()]
            else:
                lines.append(f"      {column.target}: {_flow(column.spec)}{comment}")
    return "\n".join(lines) + "\n"


def _flow(value: Any) -> str:
    """One YAML value on one line ('Deal ID', [Created, Create Date], {files: [a.csv]})."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=10_000)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def proposed_mapping(proposals: Sequence[SourceProposal], timezone: str | None = None) -> Mapping:
    """The proposal loaded as a mapping (raises MappingError if a choice made it invalid)."""
    return load_mapping_text(mapping_yaml(proposals), "proposed.yaml", timezone=timezone)


def samples_frame(proposal: SourceProposal) -> pd.DataFrame:
    """Every target column with its source and sample values, for the Data page."""
    return pd.DataFrame(
        [
            {
                "column": c.target,
                "from": c.header
                or (
                    f"constant {c.spec['constant']}"
                    if isinstance(c.spec, dict) and "constant" in c.spec
                    else "expression"
                    if isinstance(c.spec, dict) and "expression" in c.spec
                    else ""
                ),
                "samples": ", ".join(c.samples),
                "why": c.why,
            }
            for c in proposal.columns
        ],
        columns=["column", "from", "samples", "why"],
    )
