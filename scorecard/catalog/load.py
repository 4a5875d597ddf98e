"""Load and validate metrics.yaml into a frozen Catalog, reporting every problem at once.

Each problem is an `Issue` with file, line, metric and a plain-English fix. Shape
checks come from the typed definitions; the rules below need the whole file:
references to tables, columns, relationships, dimensions and other metrics,
derived-metric cycles, duplicate names and threshold order.
"""

from __future__ import annotations

import difflib
import hashlib
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import sqlalchemy as sa

from scorecard.language import expressions as ex
from scorecard.language.definitions import (
    METRIC_TYPES,
    MODEL_BY_TYPE,
    AggregateMetric,
    Calendar,
    CatalogFile,
    CohortMetric,
    DerivedMetric,
    Dimension,
    Locale,
    MetricBase,
    MetricTest,
    RankMetric,
    RatioMetric,
    Relationship,
    Target,
)
from scorecard.language.periods import PeriodError, parse_week
from scorecard.language.yamlsource import Issue, IssuesError, SourceDoc, YamlError, load_file, load_text
from scorecard.sql.compiler import CompileError, Graph, Scope, _Context, compile_expression, parse_time

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

    def metric(self, name: str) -> MetricBase:
        try:
            return self.metrics[name]
        except KeyError:
            near = difflib.get_close_matches(name, list(self.metrics), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise KeyError(f"unknown metric {name!r}{hint}") from None

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


class _Collector:
    def __init__(self, doc: SourceDoc) -> None:
        self.doc = doc
        self.issues: list[Issue] = []

    def add(
        self, path: tuple[str | int, ...], message: str, metric: str | None = None, severity: str = "error"
    ) -> None:
        self.issues.append(Issue(self.doc.file, self.doc.line(path), message, metric, severity))

    def pydantic(
        self,
        exc: pydantic.ValidationError,
        base: tuple[str | int, ...],
        data: Any,
        model: type[pydantic.BaseModel],
        metric: str | None,
    ) -> None:
        for error in exc.errors():
            loc = _data_path(data, error["loc"])
            path = (*base, *loc)
            kind = error["type"]
            if kind == "extra_forbidden":
                key = str(loc[-1]) if loc else "?"
                valid = _keys_at(model, loc[:-1])
                near = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
                hint = f"; did you mean {near[0]!r}?" if near else f"; valid keys: {', '.join(valid)}"
                self.add(path, f"unknown key {key!r}{hint}", metric)
            elif kind == "missing":
                self.add(path[:-1], f"missing required field {str(loc[-1]) if loc else '?'!r}", metric)
            else:
                where = ".".join(str(p) for p in loc)
                message = str(error["msg"]).removeprefix("Value error, ")
                got = error.get("input")
                shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
                self.add(path, f"{where + ': ' if where else ''}{message}{shown}", metric)


def _data_path(data: Any, loc: Sequence[Any]) -> tuple[str | int, ...]:
    """Follow an error location through the data: keep real keys and indexes, drop union tags.

    A trailing key that is not in the data (a missing or an unknown field) is kept.
    """
    out: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        key = part.rstrip("_") if isinstance(part, str) else part
        if isinstance(current, Mapping) and key in current:
            out.append(key)
            current = current[key]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            out.append(part)
            current = current[part]
        elif i == len(loc) - 1 and isinstance(part, str):
            out.append(key)
    return tuple(out)


def _keys_at(model: type[pydantic.BaseModel], loc: Sequence[str | int]) -> list[str]:
    cls: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = {(f.alias or name): f for name, f in cls.model_fields.items()}
        if part not in fields:
            return []
        inner = _model_in(fields[part].annotation)
        if inner is None:
            return []
        cls = inner
    return [(f.alias or name) for name, f in cls.model_fields.items()]


def _model_in(annotation: Any) -> type[pydantic.BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _validate(doc: SourceDoc, text: str) -> tuple[Catalog | None, list[Issue]]:
    out = _Collector(doc)
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
            near = difflib.get_close_matches(str(key), TOP_LEVEL_KEYS, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; valid keys: {', '.join(TOP_LEVEL_KEYS)}"
            out.add((str(key),), f"unknown key {key!r}{hint}")

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

    relationships = _relationships(out, data.get("relationships") or [])
    graph = Graph(relationships)
    dimensions = _dimensions(out, data.get("dimensions") or {}, graph)
    checked, lines, partial = _metrics(out, data.get("metrics") or [])
    if not checked and not any(i.severity == "error" for i in out.issues):
        out.add(("metrics",), "the catalog defines no metrics; a scorecard needs at least one")
    _check_metrics(out, checked, lines, graph, dimensions)
    metrics = {name: metric for name, metric in checked.items() if name not in partial}
    tests = _tests(out, data.get("tests") or [], checked, dimensions, calendar)
    errors = [i for i in out.issues if i.severity == "error"]
    if errors:
        return None, out.issues
    catalog = Catalog(
        path=doc.file,
        version=hashlib.sha256(text.encode()).hexdigest()[:12],
        calendar=calendar,
        relationships=tuple(relationships),
        dimensions=dimensions,
        metrics=metrics,
        lines={name: doc.line(path) for name, path in lines.items()},
        text=text,
        warnings=tuple(i for i in out.issues if i.severity != "error"),
        locale=locale,
        tests=tuple(tests),
    )
    return catalog, out.issues


def _relationships(out: _Collector, items: Any) -> list[Relationship]:
    if not isinstance(items, list):
        out.add(("relationships",), "relationships must be a list of {name, from, to, column}")
        return []
    tables = Graph([]).tables
    found: list[Relationship] = []
    seen: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        path: tuple[str | int, ...] = ("relationships", i)
        try:
            rel = Relationship.model_validate(item)
        except pydantic.ValidationError as exc:
            out.pydantic(exc, path, item, Relationship, None)
            continue
        ok = True
        for end, key in ((rel.from_, "from"), (rel.to, "to")):
            if end not in tables:
                near = difflib.get_close_matches(end, list(tables), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                out.add((*path, key), f"relationship {rel.name}: unknown table {end!r}{hint}")
                ok = False
        if not ok:
            continue
        if rel.column not in tables[rel.from_].c:
            out.add((*path, "column"), f"relationship {rel.name}: {rel.from_} has no column {rel.column!r}")
            ok = False
        if rel.to_column not in tables[rel.to].c:
            out.add((*path, "to_column"), f"relationship {rel.name}: {rel.to} has no column {rel.to_column!r}")
            ok = False
        for table, name in ((rel.from_, rel.name), (rel.to, rel.reverse)):
            if name is None:
                continue
            if name in tables[table].c:
                out.add(path, f"relationship name {name!r} hides the column {table}.{name}; choose another name")
                ok = False
            if (table, name) in seen:
                out.add(path, f"{table} already has a relationship named {name!r} (line {seen[(table, name)]})")
                ok = False
            seen[(table, name)] = out.doc.line(path)
        if ok:
            found.append(rel)
    return found


def _dimensions(out: _Collector, items: Any, graph: Graph) -> dict[str, Dimension]:
    if not isinstance(items, Mapping):
        out.add(("dimensions",), "dimensions must be a mapping of name -> {label, column, columns}")
        return {}
    found: dict[str, Dimension] = {}
    for name, item in items.items():
        path: tuple[str | int, ...] = ("dimensions", str(name))
        try:
            dim = Dimension.model_validate(item)
        except pydantic.ValidationError as exc:
            out.pydantic(exc, path, item, Dimension, None)
            continue
        if dim.column is None and not dim.columns:
            out.add(path, f"dimension {name}: give `column` (a path from the base table) or `columns` per table")
            continue
        ok = True
        for table, given in dim.columns.items():
            if table not in graph.tables:
                out.add((*path, "columns", table), f"dimension {name}: unknown table {table!r}")
                ok = False
                continue
            for i, expr in enumerate(_as_paths(given)):
                problem = _expression_problem(expr, table, graph)
                if problem:
                    where = (*path, "columns", table) if isinstance(given, str) else (*path, "columns", table, i)
                    out.add(where, f"dimension {name} on {table}: {problem}")
                    ok = False
        if dim.column is not None and not dim.columns:
            for i, expr in enumerate(_as_paths(dim.column)):
                reachable = [t for t in graph.tables if _expression_problem(expr, t, graph) is None]
                if not reachable:
                    where = (*path, "column") if isinstance(dim.column, str) else (*path, "column", i)
                    out.add(where, f"dimension {name}: {expr!r} is not a column of any table")
                    ok = False
        if ok:
            found[str(name)] = dim
    return found


def _as_paths(given: str | Sequence[str]) -> tuple[str, ...]:
    return (given,) if isinstance(given, str) else tuple(given)


def _expression_problem(
    text: Any, table: str, graph: Graph, must_be_name: bool = False, condition: bool = False
) -> str | None:
    if not isinstance(text, str):
        return f"expected an expression in text, got {text!r}"
    try:
        node = ex.parse(text)
        if must_be_name and not isinstance(node, ex.Name):
            return f"{text!r} must be a column path such as owner.region"
        compile_expression(text, table, graph, condition=condition)
    except (ex.ExpressionError, CompileError) as exc:
        return str(exc)
    return None


def _metrics(
    out: _Collector, items: Any
) -> tuple[dict[str, MetricBase], dict[str, tuple[str | int, ...]], set[str]]:
    """Metrics in file order, their paths, and the names of those with schema errors.

    A metric with a schema error is still checked for references (so `of: leadz` is reported
    beside a too-short description, and a formula naming it is not told it is unknown): it
    joins the result with its bad fields dropped or stood in for, and its name is in the set.
    """
    metrics: dict[str, MetricBase] = {}
    lines: dict[str, tuple[str | int, ...]] = {}
    partial: set[str] = set()
    if not isinstance(items, list):
        out.add(("metrics",), "metrics must be a list")
        return metrics, lines, partial
    for i, item in enumerate(items):
        path: tuple[str | int, ...] = ("metrics", i)
        if not isinstance(item, Mapping):
            out.add(path, "each metric is a mapping with name, label, type, ...")
            continue
        name = item.get("name") if isinstance(item.get("name"), str) else None
        kind = item.get("type")
        if kind is None:
            out.add(path, f"missing required field 'type' (one of {', '.join(METRIC_TYPES)})", name)
            continue
        if kind not in MODEL_BY_TYPE:
            near = difflib.get_close_matches(str(kind), METRIC_TYPES, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; types: {', '.join(METRIC_TYPES)}"
            out.add((*path, "type"), f"unknown metric type {kind!r}{hint}", name)
            continue
        model = MODEL_BY_TYPE[kind]
        try:
            metric = model.model_validate(item)
        except pydantic.ValidationError as exc:
            out.pydantic(exc, path, item, model, name)
            stand_in = _stand_in(model, item, exc)
            if stand_in is not None and stand_in.name not in metrics:
                metrics[stand_in.name] = stand_in
                lines[stand_in.name] = path
                partial.add(stand_in.name)
            continue
        if metric.name in metrics:
            first = out.doc.line(lines[metric.name])
            out.add(
                (*path, "name"),
                f"duplicate metric name (first defined on line {first}); names must be unique",
                metric.name,
            )
            continue
        metrics[metric.name] = metric
        lines[metric.name] = path
    return metrics, lines, partial


_STAND_INS: dict[str, Any] = {"label": "?", "description": "(see the schema error)", "owner": "sales"}
"""Values standing in for bad required fields that no reference check reads."""


def _stand_in(model: type[MetricBase], item: Mapping[str, Any], exc: pydantic.ValidationError) -> MetricBase | None:
    """The metric with its schema errors set aside (optional fields dropped, a few required ones
    stood in for), or None when an error is in a field the reference checks need."""
    patched = dict(item)
    for error in exc.errors():
        if not error["loc"] or not isinstance(error["loc"][0], str):
            return None
        key = error["loc"][0]
        field = model.model_fields.get(key)
        if field is None or not field.is_required():
            patched.pop(key, None)
        elif key in _STAND_INS:
            patched[key] = _STAND_INS[key]
        else:
            return None
    try:
        return model.model_validate(patched)
    except pydantic.ValidationError:
        return None


_TIME_TYPES = (sa.DateTime, sa.Date)


def _check_metrics(
    out: _Collector,
    metrics: Mapping[str, MetricBase],
    lines: Mapping[str, tuple[str | int, ...]],
    graph: Graph,
    dimensions: Mapping[str, Dimension],
) -> None:
    for name, metric in metrics.items():
        path = lines[name]

        def problem(
            key: tuple[str | int, ...], message: str, _name: str = name, _path: tuple[str | int, ...] = path
        ) -> None:
            out.add((*_path, *key), message, _name)

        def expression(key: tuple[str | int, ...], text: str | None, table: str, condition: bool = False) -> None:
            if text is None:
                return
            trouble = _expression_problem(text, table, graph, condition=condition)
            if trouble:
                problem(key, trouble)

        def time_anchor(key: tuple[str | int, ...], anchor: Any, table: str) -> None:
            try:
                time = parse_time(anchor)
            except (CompileError, ex.ExpressionError) as exc:
                problem(key, str(exc))
                return
            nodes: list[ex.Node] = []
            for node in (time.first, time.second, time.due):
                if isinstance(node, ex.Call) and node.name == "coalesce":
                    nodes += node.args  # the first of several timestamps that is known
                elif node is not None:
                    nodes.append(node)
            for node in nodes:
                if not isinstance(node, ex.Name):
                    problem(
                        key,
                        "a time anchor is a column path such as created_at or opportunity.closed_at, "
                        "or coalesce(path, path) for the first known of several",
                    )
                    continue
                try:
                    column = Scope(_Context(graph), table).resolve(node.parts)
                except CompileError as exc:
                    problem(key, str(exc))
                    continue
                except Exception:  # noqa: BLE001 - a to-many crossing
                    problem(key, f"time anchor {node.dotted!r} crosses a one-to-many relationship")
                    continue
                if not isinstance(column.type, _TIME_TYPES):
                    problem(key, f"time anchor {node.dotted!r} is not a date or timestamp column")

        def table_known(key: tuple[str | int, ...], table: str) -> bool:
            if table in graph.tables:
                return True
            near = difflib.get_close_matches(table, list(graph.tables), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; tables: {', '.join(graph.tables)}"
            problem(key, f"unknown table {table!r}{hint}")
            return False

        if isinstance(metric, AggregateMetric):
            if table_known(("of",), metric.of):
                expression(("value",), metric.value, metric.of)
                expression(("filter",), metric.filter, metric.of, condition=True)
                time_anchor(("time",), metric.time, metric.of)
        elif isinstance(metric, RatioMetric):
            for side_name, side in (("numerator", metric.numerator), ("denominator", metric.denominator)):
                if not table_known((side_name,), side.table):
                    continue
                expression((side_name, "sum" if side.sum else "average"), side.value, side.table)
                expression((side_name, "filter"), side.filter, side.table, condition=True)
                anchor = side.time or metric.time
                if anchor is None:
                    problem(
                        (side_name,), f"{side_name} has no time anchor: add `time:` to the metric or to the {side_name}"
                    )
                else:
                    time_anchor((side_name, "time") if side.time else ("time",), anchor, side.table)
        elif isinstance(metric, CohortMetric):
            if table_known(("of",), metric.of):
                expression(("filter",), metric.filter, metric.of, condition=True)
                expression(("event",), metric.event, metric.of, condition=True)
                expression(("value",), metric.value, metric.of)
                time_anchor(("time",), metric.time, metric.of)
                time_anchor(("event_time",), metric.event_time, metric.of)
        elif isinstance(metric, DerivedMetric):
            try:
                node = ex.parse(metric.formula)
                ex.evaluate_numbers(node, {n.dotted: 1.0 for n in ex.names(node)})
            except ex.ExpressionError as exc:
                problem(("formula",), str(exc))
                continue
            for ref in ex.names(node):
                if ref.dotted not in metrics:
                    near = difflib.get_close_matches(ref.dotted, list(metrics), n=1)
                    hint = f"; did you mean {near[0]!r}?" if near else ""
                    problem(("formula",), f"formula refers to unknown metric {ref.dotted!r}{hint}")
                elif isinstance(metrics[ref.dotted], RankMetric):
                    problem(("formula",), f"formula refers to {ref.dotted!r}, a ranking, which has no single value")
        elif isinstance(metric, RankMetric):
            for ranked in metric.candidates:
                if ranked not in metrics:
                    near = difflib.get_close_matches(ranked, list(metrics), n=1)
                    hint = f"; did you mean {near[0]!r}?" if near else ""
                    problem(("of",), f"ranks on unknown metric {ranked!r}{hint}")
                elif isinstance(metrics[ranked], RankMetric):
                    problem(("of",), "a ranking cannot rank on another ranking")
            for key in ("by", "context_by"):
                value = getattr(metric, key)
                if value is not None and value not in dimensions:
                    problem((key,), f"unknown dimension {value!r}; dimensions: {', '.join(dimensions)}")
            for value in metric.groups:
                if value not in dimensions:
                    problem(("group",), f"unknown peer-group dimension {value!r}; dimensions: {', '.join(dimensions)}")
            if metric.small_groups and metric.small_groups.pool:
                for value in metric.small_groups.pool:
                    if value not in metric.groups:
                        problem(
                            ("small_groups", "pool"),
                            f"small groups are pooled by {value!r}, which is not one of the peer-group dimensions "
                            f"({', '.join(metric.groups) or 'none'}); pool by a part of `group`",
                        )
            for key, name in metric.context.items():
                if name not in metrics:
                    near = difflib.get_close_matches(name, list(metrics), n=1)
                    hint = f"; did you mean {near[0]!r}?" if near else ""
                    problem(("context", key), f"unknown context metric {name!r}{hint}")
                elif isinstance(metrics[name], RankMetric):
                    problem(("context", key), f"{name!r} is a ranking, which has no value per rep")
            if metric.min_activity and metric.min_activity.metric not in metrics:
                problem(("min_activity", "metric"), f"unknown metric {metric.min_activity.metric!r}")
        for i, requirement in enumerate(metric.requires):
            if table_known(("requires", i, "of"), requirement.of):
                expression(("requires", i, "filter"), requirement.filter, requirement.of, condition=True)
        if metric.target is not None:
            _check_target(problem, metric, metric.target, dimensions)
    _check_cycles(out, metrics, lines)


def _check_target(problem: Any, metric: MetricBase, target: Target, dimensions: Mapping[str, Dimension]) -> None:
    def order(key: tuple[str | int, ...], green: float, amber: float) -> None:
        if metric.direction == "higher_is_better" and green < amber:
            problem(
                key,
                f"thresholds in the wrong order: higher is better, so green ({green:g}) must be >= amber ({amber:g})",
            )
        if metric.direction == "lower_is_better" and green > amber:
            problem(
                key,
                f"thresholds in the wrong order: lower is better, so green ({green:g}) must be <= amber ({amber:g})",
            )

    order(("target",), target.green, target.amber)
    for i, override in enumerate(target.overrides):
        order(("target", "overrides", i), override.green, override.amber)
        for dim in override.when:
            if dim not in dimensions:
                problem(("target", "overrides", i, "when"), f"target override names unknown dimension {dim!r}")


def _check_cycles(
    out: _Collector, metrics: Mapping[str, MetricBase], lines: Mapping[str, tuple[str | int, ...]]
) -> None:
    edges: dict[str, list[str]] = {}
    for name, metric in metrics.items():
        if isinstance(metric, DerivedMetric):
            try:
                edges[name] = [ref for ref in metric.components if ref in metrics]
            except ex.ExpressionError:
                continue
    reported: set[frozenset[str]] = set()

    def visit(node: str, trail: list[str]) -> None:
        if node in trail:
            cycle = trail[trail.index(node) :]
            key = frozenset(cycle)
            if key not in reported:
                reported.add(key)
                first = cycle[0]
                out.add(
                    (*lines[first], "formula"), f"derived metrics form a cycle: {' -> '.join([*cycle, node])}", first
                )
            return
        for nxt in edges.get(node, []):
            visit(nxt, [*trail, node])

    for name in edges:
        visit(name, [])


def _tests(
    out: _Collector,
    items: Any,
    metrics: Mapping[str, MetricBase],
    dimensions: Mapping[str, Dimension],
    calendar: Calendar,
) -> list[MetricTest]:
    """The `tests:` section: shape, then the metrics, dimensions and week each test names."""
    if not isinstance(items, list):
        out.add(("tests",), "tests must be a list of {name, metric, equals | between | equals_metric | sum_over}")
        return []
    found: list[MetricTest] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        path: tuple[str | int, ...] = ("tests", i)
        try:
            test = MetricTest.model_validate(item)
        except pydantic.ValidationError as exc:
            out.pydantic(exc, path, item, MetricTest, None)
            continue
        before = len(out.issues)

        def problem(key: str, message: str, _path: tuple[str | int, ...] = path, _test: str = test.name) -> None:
            out.add((*_path, key), f"test {_test}: {message}")

        if test.name in seen:
            problem("name", f"duplicate test name (first on line {seen[test.name]})")
        seen.setdefault(test.name, out.doc.line(path))
        for key in ("metric", "equals_metric"):
            ref = getattr(test, key)
            if ref is None:
                continue
            if ref not in metrics:
                near = difflib.get_close_matches(ref, list(metrics), n=1)
                problem(key, f"unknown metric {ref!r}" + (f"; did you mean {near[0]!r}?" if near else ""))
            elif isinstance(metrics[ref], RankMetric):
                problem(key, f"{ref!r} is a ranking, which has no single value")
        for dim in [*test.filters, *([test.sum_over] if test.sum_over else [])]:
            if dim not in dimensions:
                problem("sum_over" if dim == test.sum_over else "filters", f"unknown dimension {dim!r}")
        subject = metrics.get(test.metric)
        additive = isinstance(subject, AggregateMetric) and subject.type in ("count", "sum")
        if test.sum_over and subject is not None and not additive:
            problem("sum_over", f"{test.metric} is not a count or sum, so its values by a dimension do not add up")
        if test.week is not None:
            try:
                parse_week(calendar, test.week)
            except PeriodError as exc:
                problem("week", str(exc))
        if len(out.issues) == before:
            found.append(test)
    return found
