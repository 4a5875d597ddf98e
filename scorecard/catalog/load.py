"""Load and validate metrics.yaml into a frozen Catalog, reporting every problem at once.

Each problem is an `Issue` with file, line, metric and a plain-English fix. Each section
is read into typed definitions (`scorecard.catalog.shape`), then `scorecard.catalog.rules`
checks what needs the whole file: references to tables, columns, relationships,
dimensions and other metrics, derived-metric cycles and threshold order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic

from scorecard.catalog import shape
from scorecard.catalog.rules import RULES, Draft
from scorecard.language.definitions import (
    CatalogFile,
    MetricBase,
    MetricTest,
    RankMetric,
    parse_expressions,
)
from scorecard.language.settings import Calendar, Dimension, Locale, Relationship
from scorecard.language.suggest import did_you_mean
from scorecard.language.yamlsource import Issue, IssuesError, SourceDoc, YamlError, load_file, load_text
from scorecard.sql.graph import Graph

TOP_LEVEL_KEYS = ("version", "calendar", "locale", "relationships", "dimensions", "metrics", "tests")


class CatalogError(IssuesError):
    """metrics.yaml has problems; `issues` lists every one."""


@dataclass(frozen=True)
class Catalog:
    """A valid metric catalog: calendar, relationships, dimensions and metrics in file order."""

    path: str
    version: str
    calendar: Calendar
    relationships: tuple[Relationship, ...]
    dimensions: Mapping[str, Dimension]
    metrics: Mapping[str, MetricBase]
    lines: Mapping[str, int]
    text: str = field(repr=False, default="")
    warnings: tuple[Issue, ...] = ()
    locale: Locale = Locale()
    tests: tuple[MetricTest, ...] = ()
    graph: Graph = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "graph", Graph(self.relationships))
        for definition in (*self.dimensions.values(), *self.metrics.values()):
            parse_expressions(definition)

    def metric(self, name: str) -> MetricBase:
        try:
            return self.metrics[name]
        except KeyError:
            raise KeyError(f"unknown metric {name!r}{did_you_mean(name, self.metrics)}") from None

    def scorecard_metrics(self) -> list[MetricBase]:
        """The metrics shown on the weekly scorecard, in file order (ranks are tables, not rows)."""
        return [m for m in self.metrics.values() if m.scorecard and not isinstance(m, RankMetric)]


def load_catalog(path: str | Path) -> Catalog:
    """Read and validate a catalog file; raises CatalogError listing every problem."""
    try:
        doc = load_file(path)
    except YamlError as exc:
        raise CatalogError([exc.issue]) from None
    text = Path(path).read_text(encoding="utf-8-sig")
    catalog, issues = _validate(doc, text)
    if catalog is None:
        raise CatalogError(issues)
    return catalog


def check_text(text: str, file: str = "metrics.yaml") -> tuple[Catalog | None, list[Issue]]:
    """Validate catalog text (the dashboard editor's preview); never raises for bad input."""
    try:
        doc = load_text(text, file)
    except YamlError as exc:
        return None, [exc.issue]
    return _validate(doc, text)


def json_schema() -> dict[str, Any]:
    """JSON Schema of metrics.yaml, for editors (published as metrics.schema.json)."""
    schema = CatalogFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Scorecard metric catalog (metrics.yaml)"
    for definition in schema.get("$defs", {}).values():
        _accept_legacy_owners(definition)
    return schema


def _accept_legacy_owners(definition: dict[str, Any]) -> None:
    """Catalogs written before `owner:` keep validating in editors: `owners:` is accepted (and
    marked deprecated) in place of `owner:`; the loader turns it into owner + contributors."""
    properties = definition.get("properties", {})
    required = definition.get("required", [])
    if "owner" not in properties or "owner" not in required:
        return
    properties["owners"] = {
        "deprecated": True,
        "description": "older form of `owner`: one team becomes the owner, two (or both) `owner: both`",
        "anyOf": [
            {"enum": ["sales", "marketing", "both"], "type": "string"},
            {"items": {"enum": ["sales", "marketing", "both"], "type": "string"}, "type": "array"},
        ],
    }
    definition["required"] = [key for key in required if key != "owner"]
    definition["oneOf"] = [{"required": ["owner"]}, {"required": ["owners"]}]


# --- validation -------------------------------------------------------------------------


def _validate(doc: SourceDoc, text: str) -> tuple[Catalog | None, list[Issue]]:
    out = shape.Collector(doc)
    for path, _line in doc.duplicate_keys:
        out.add(path, f"key {path[-1]!r} appears twice in the same block; the second would silently win")
    data = doc.data
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        out.add((), "the catalog must be a mapping with calendar, relationships, dimensions and metrics")
        return None, out.issues
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            out.add((str(key),), f"unknown key {key!r}{did_you_mean(str(key), TOP_LEVEL_KEYS, listing='valid keys')}")

    calendar = Calendar()
    if "calendar" in data:
        try:
            calendar = Calendar.model_validate(data["calendar"])
        except pydantic.ValidationError as exc:
            out.pydantic(exc, ("calendar",), data["calendar"], Calendar, None)
    locale = Locale()
    if "locale" in data:
        try:
            locale = Locale.model_validate(data["locale"] or {})
        except pydantic.ValidationError as exc:
            out.pydantic(exc, ("locale",), data["locale"], Locale, None)

    relationships = shape.relationships(out, data.get("relationships") or [])
    graph = Graph(relationships)
    dimensions = shape.dimensions(out, data.get("dimensions") or {}, graph)
    checked, paths, partial = shape.metrics(out, data.get("metrics") or [])
    if not checked and not any(i.severity == "error" for i in out.issues):
        out.add(("metrics",), "the catalog defines no metrics; a scorecard needs at least one")
    tests = shape.tests(out, data.get("tests") or [])
    draft = Draft(doc, calendar, graph, dimensions, checked, paths, tuple(tests))
    issues = list(out.issues)
    for rule in RULES:
        issues += rule(draft)
    issues.sort(key=lambda issue: issue.line)
    if any(i.severity == "error" for i in issues):
        return None, issues
    catalog = Catalog(
        path=doc.file,
        version=hashlib.sha256(text.encode()).hexdigest()[:12],
        calendar=calendar,
        relationships=tuple(relationships),
        dimensions=dimensions,
        metrics={name: metric for name, metric in checked.items() if name not in partial},
        lines={name: doc.line(path) for name, path in paths.items()},
        text=text,
        warnings=tuple(i for i in issues if i.severity != "error"),
        locale=locale,
        tests=tuple(tests),
    )
    return catalog, issues
