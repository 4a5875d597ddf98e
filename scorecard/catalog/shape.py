"""Reading each section of metrics.yaml into typed definitions, every problem collected with
its line: the shape (keys, types, required fields) pydantic checks, and the references a
section makes to the model (tables and columns of relationships, dimension paths)."""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic

from scorecard.language import expressions as ex
from scorecard.language.definitions import METRIC_TYPES, MODEL_BY_TYPE, MetricBase, MetricTest
from scorecard.language.settings import Dimension, Relationship
from scorecard.language.suggest import did_you_mean
from scorecard.language.yamlsource import Issue, SourceDoc
from scorecard.sql.graph import Graph
from scorecard.sql.resolve import CompileError, compile_expression

Path = tuple[str | int, ...]


class Collector:
    """The issues found so far, each placed at its line of the file."""

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
                hint = did_you_mean(key, valid, listing="valid keys", cutoff=0.5)
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


def relationships(out: Collector, items: Any) -> list[Relationship]:
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
                hint = did_you_mean(end, tables)
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


def dimensions(out: Collector, items: Any, graph: Graph) -> dict[str, Dimension]:
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
                problem = expression_problem(expr, table, graph)
                if problem:
                    where = (*path, "columns", table) if isinstance(given, str) else (*path, "columns", table, i)
                    out.add(where, f"dimension {name} on {table}: {problem}")
                    ok = False
        if dim.column is not None and not dim.columns:
            for i, expr in enumerate(_as_paths(dim.column)):
                reachable = [t for t in graph.tables if expression_problem(expr, t, graph) is None]
                if not reachable:
                    where = (*path, "column") if isinstance(dim.column, str) else (*path, "column", i)
                    out.add(where, f"dimension {name}: {expr!r} is not a column of any table")
                    ok = False
        if ok:
            found[str(name)] = dim
    return found


def _as_paths(given: str | Sequence[str]) -> tuple[str, ...]:
    return (given,) if isinstance(given, str) else tuple(given)


def expression_problem(
    text: Any, table: str, graph: Graph, must_be_name: bool = False, condition: bool = False
) -> str | None:
    if not isinstance(text, str):
        return f"expected an expression in text, got {text!r}"
    try:
        node = ex.parse(text)
        if must_be_name and not isinstance(node, ex.Name):
            return f"{text!r} must be a column path such as owner.region"
        compile_expression(node, table, graph, condition=condition)
    except (ex.ExpressionError, CompileError) as exc:
        return str(exc)
    return None


def metrics(out: Collector, items: Any) -> tuple[dict[str, MetricBase], dict[str, tuple[str | int, ...]], set[str]]:
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
            hint = did_you_mean(str(kind), METRIC_TYPES, listing="types")
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


def tests(out: Collector, items: Any) -> list[MetricTest]:
    """The `tests:` section's shape; the names each test refers to are checked by the rules."""
    if not isinstance(items, list):
        out.add(("tests",), "tests must be a list of {name, metric, equals | between | equals_metric | sum_over}")
        return []
    found: list[MetricTest] = []
    for i, item in enumerate(items):
        path: Path = ("tests", i)
        try:
            found.append(MetricTest.model_validate(item))
        except pydantic.ValidationError as exc:
            out.pydantic(exc, path, item, MetricTest, None)
    return found
