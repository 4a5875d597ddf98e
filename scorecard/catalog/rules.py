"""The rules a catalog must meet as a whole, once each section has its shape.

Each rule is a function of the `Draft` (the sections read so far) returning its issues, so
a rule is read, tested and reordered on its own; `RULES` runs them in order (the shape of
sqlglot's optimizer rules and dbt-semantic-interfaces' validations). Every issue carries
the file, line and metric, and a fix in plain words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from scorecard.catalog.shape import Path, expression_problem
from scorecard.language import expressions as ex
from scorecard.language.anchors import AnchorError, parse_time
from scorecard.language.definitions import (
    AggregateMetric,
    CohortMetric,
    DerivedMetric,
    MetricBase,
    MetricTest,
    RankMetric,
    RatioMetric,
    Target,
)
from scorecard.language.evaluate import evaluate_numbers
from scorecard.language.periods import PeriodError, parse_week
from scorecard.language.settings import Calendar, Dimension
from scorecard.language.suggest import did_you_mean
from scorecard.language.yamlsource import Issue, SourceDoc
from scorecard.sql.graph import Graph
from scorecard.sql.resolve import CompileError, Context, Scope, ToMany

_TIME_TYPES = (sa.DateTime, sa.Date)


@dataclass(frozen=True)
class Draft:
    """The catalog's sections as read, before the rules: what every rule looks at."""

    doc: SourceDoc
    calendar: Calendar
    graph: Graph
    dimensions: Mapping[str, Dimension]
    metrics: Mapping[str, MetricBase]
    paths: Mapping[str, Path]
    tests: tuple[MetricTest, ...]

    def issue(self, path: Path, message: str, metric: str | None = None) -> Issue:
        return Issue(self.doc.file, self.doc.line(path), message, metric)

    def at(self, name: str, key: Path, message: str) -> Issue:
        """An issue at a key of metric `name`."""
        return self.issue((*self.paths[name], *key), message, name)


Rule = Callable[[Draft], list[Issue]]


# --- what a metric reads on its base table ------------------------------------------------------


def _table_known(draft: Draft, name: str, key: Path, table: str) -> Iterator[Issue]:
    if table not in draft.graph.tables:
        yield draft.at(name, key, f"unknown table {table!r}{did_you_mean(table, draft.graph.tables, listing='tables')}")


def _expression(
    draft: Draft, name: str, key: Path, text: str | None, table: str, condition: bool = False
) -> Iterator[Issue]:
    if text is None:
        return
    trouble = expression_problem(text, table, draft.graph, condition=condition)
    if trouble:
        yield draft.at(name, key, trouble)


def _anchor(draft: Draft, name: str, key: Path, anchor: Any, table: str) -> Iterator[Issue]:
    """A time anchor is a date or timestamp column (or the first known of several), reached from
    the base table without crossing a one-to-many relationship."""
    try:
        time = parse_time(anchor)
    except (AnchorError, ex.ExpressionError) as exc:
        yield draft.at(name, key, str(exc))
        return
    nodes: list[ex.Node] = []
    for node in time.nodes():
        if isinstance(node, ex.Call) and node.name == "coalesce":
            nodes += node.args  # the first of several timestamps that is known
        else:
            nodes.append(node)
    for node in nodes:
        if not isinstance(node, ex.Name):
            yield draft.at(
                name,
                key,
                "a time anchor is a column path such as created_at or opportunity.closed_at, "
                "or coalesce(path, path) for the first known of several",
            )
            continue
        try:
            column = Scope(Context(draft.graph), table).resolve(node.parts)
        except CompileError as exc:
            yield draft.at(name, key, str(exc))
            continue
        except ToMany:
            yield draft.at(name, key, f"time anchor {node.dotted!r} crosses a one-to-many relationship")
            continue
        if not isinstance(column.type, _TIME_TYPES):
            yield draft.at(name, key, f"time anchor {node.dotted!r} is not a date or timestamp column")


def aggregates_read_their_table(draft: Draft) -> list[Issue]:
    """count/sum/average/percentile metrics: a known table, expressions and anchor that compile on it."""
    found: list[Issue] = []
    for name, metric in draft.metrics.items():
        if not isinstance(metric, AggregateMetric):
            continue
        issues = list(_table_known(draft, name, ("of",), metric.of))
        if not issues:
            issues += _expression(draft, name, ("value",), metric.value, metric.of)
            issues += _expression(draft, name, ("filter",), metric.filter, metric.of, condition=True)
            issues += _anchor(draft, name, ("time",), metric.time, metric.of)
        found += issues
    return found


def ratio_sides_read_their_tables(draft: Draft) -> list[Issue]:
    """Each side of a ratio: a known table, expressions that compile, an anchor (its own or the metric's)."""
    found: list[Issue] = []
    for name, metric in draft.metrics.items():
        if not isinstance(metric, RatioMetric):
            continue
        for side_name, side in (("numerator", metric.numerator), ("denominator", metric.denominator)):
            unknown = list(_table_known(draft, name, (side_name,), side.table))
            found += unknown
            if unknown:
                continue
            found += _expression(draft, name, (side_name, "sum" if side.sum else "average"), side.value, side.table)
            found += _expression(draft, name, (side_name, "filter"), side.filter, side.table, condition=True)
            anchor = side.time or metric.time
            if anchor is None:
                found.append(
                    draft.at(
                        name,
                        (side_name,),
                        f"{side_name} has no time anchor: add `time:` to the metric or to the {side_name}",
                    )
                )
            else:
                found += _anchor(draft, name, (side_name, "time") if side.time else ("time",), anchor, side.table)
    return found


def cohorts_read_their_table(draft: Draft) -> list[Issue]:
    """A cohort's entry and event: conditions and anchors that compile on its table."""
    found: list[Issue] = []
    for name, metric in draft.metrics.items():
        if not isinstance(metric, CohortMetric):
            continue
        issues = list(_table_known(draft, name, ("of",), metric.of))
        if not issues:
            issues += _expression(draft, name, ("filter",), metric.filter, metric.of, condition=True)
            issues += _expression(draft, name, ("event",), metric.event, metric.of, condition=True)
            issues += _expression(draft, name, ("value",), metric.value, metric.of)
            issues += _anchor(draft, name, ("time",), metric.time, metric.of)
            issues += _anchor(draft, name, ("event_time",), metric.event_time, metric.of)
        found += issues
    return found


def requirements_read_their_table(draft: Draft) -> list[Issue]:
    """`requires:` conditions: a known table and a filter that compiles on it."""
    found: list[Issue] = []
    for name, metric in draft.metrics.items():
        for i, requirement in enumerate(metric.requires):
            unknown = list(_table_known(draft, name, ("requires", i, "of"), requirement.of))
            found += unknown
            if not unknown:
                found += _expression(
                    draft, name, ("requires", i, "filter"), requirement.filter, requirement.of, condition=True
                )
    return found


# --- what a metric names of the catalog ---------------------------------------------------------


def _metric_ref(draft: Draft, name: str, key: Path, ref: str, what: str) -> Iterator[Issue]:
    """`ref` names a metric with a value (not a ranking)."""
    if ref not in draft.metrics:
        yield draft.at(name, key, f"{what} {ref!r}{did_you_mean(ref, draft.metrics)}")


def formulas_name_metrics(draft: Draft) -> list[Issue]:
    """A derived metric's formula parses, and names metrics that have one value per period."""
    found: list[Issue] = []
    for name, metric in draft.metrics.items():
        if not isinstance(metric, DerivedMetric):
            continue
        try:
            node = ex.parse(metric.formula)
            evaluate_numbers(node, {n.dotted: 1.0 for n in ex.names(node)})
        except ex.ExpressionError as exc:
            found.append(draft.at(name, ("formula",), str(exc)))
            continue
        for ref in ex.names(node):
            found += _metric_ref(draft, name, ("formula",), ref.dotted, "formula refers to unknown metric")
            if isinstance(draft.metrics.get(ref.dotted), RankMetric):
                found.append(
                    draft.at(
                        name, ("formula",), f"formula refers to {ref.dotted!r}, a ranking, which has no single value"
                    )
                )
    return found


def rankings_name_what_they_rank(draft: Draft) -> list[Issue]:
    """A ranking ranks on metrics (not rankings), by known dimensions, with known context metrics."""
    found: list[Issue] = []
    dimensions = draft.dimensions
    for name, metric in draft.metrics.items():
        if not isinstance(metric, RankMetric):
            continue
        for ranked in metric.candidates:
            found += _metric_ref(draft, name, ("of",), ranked, "ranks on unknown metric")
            if isinstance(draft.metrics.get(ranked), RankMetric):
                found.append(draft.at(name, ("of",), "a ranking cannot rank on another ranking"))
        for key in ("by", "context_by"):
            value = getattr(metric, key)
            if value is not None and value not in dimensions:
                found.append(
                    draft.at(name, (key,), f"unknown dimension {value!r}; dimensions: {', '.join(dimensions)}")
                )
        for value in metric.groups:
            if value not in dimensions:
                found.append(
                    draft.at(
                        name, ("group",), f"unknown peer-group dimension {value!r}; dimensions: {', '.join(dimensions)}"
                    )
                )
        if metric.small_groups and metric.small_groups.pool:
            for value in metric.small_groups.pool:
                if value not in metric.groups:
                    found.append(
                        draft.at(
                            name,
                            ("small_groups", "pool"),
                            f"small groups are pooled by {value!r}, which is not one of the peer-group dimensions "
                            f"({', '.join(metric.groups) or 'none'}); pool by a part of `group`",
                        )
                    )
        for key, context in metric.context.items():
            found += _metric_ref(draft, name, ("context", key), context, "unknown context metric")
            if isinstance(draft.metrics.get(context), RankMetric):
                found.append(draft.at(name, ("context", key), f"{context!r} is a ranking, which has no value per rep"))
        if metric.min_activity and metric.min_activity.metric not in draft.metrics:
            found.append(draft.at(name, ("min_activity", "metric"), f"unknown metric {metric.min_activity.metric!r}"))
    return found


def thresholds_in_order(draft: Draft) -> list[Issue]:
    """Green is on the better side of amber, for the target and each override; overrides name
    known dimensions."""
    found: list[Issue] = []
    for name, metric in draft.metrics.items():
        if metric.target is not None:
            found += _target(draft, name, metric, metric.target)
    return found


def _target(draft: Draft, name: str, metric: MetricBase, target: Target) -> Iterator[Issue]:
    def order(key: Path, green: float, amber: float) -> Iterator[Issue]:
        if metric.direction == "higher_is_better" and green < amber:
            yield draft.at(
                name,
                key,
                f"thresholds in the wrong order: higher is better, so green ({green:g}) must be >= amber ({amber:g})",
            )
        if metric.direction == "lower_is_better" and green > amber:
            yield draft.at(
                name,
                key,
                f"thresholds in the wrong order: lower is better, so green ({green:g}) must be <= amber ({amber:g})",
            )

    yield from order(("target",), target.green, target.amber)
    for i, override in enumerate(target.overrides):
        yield from order(("target", "overrides", i), override.green, override.amber)
        for dim in override.when:
            if dim not in draft.dimensions:
                yield draft.at(
                    name, ("target", "overrides", i, "when"), f"target override names unknown dimension {dim!r}"
                )


def derived_metrics_do_not_loop(draft: Draft) -> list[Issue]:
    """No derived metric depends on itself through others (each cycle reported once)."""
    edges: dict[str, list[str]] = {}
    for name, metric in draft.metrics.items():
        if isinstance(metric, DerivedMetric):
            try:
                edges[name] = [ref for ref in metric.components if ref in draft.metrics]
            except ex.ExpressionError:
                continue
    reported: set[frozenset[str]] = set()
    found: list[Issue] = []

    def visit(node: str, trail: list[str]) -> None:
        if node in trail:
            cycle = trail[trail.index(node) :]
            if frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                found.append(
                    draft.at(cycle[0], ("formula",), f"derived metrics form a cycle: {' -> '.join([*cycle, node])}")
                )
            return
        for nxt in edges.get(node, []):
            visit(nxt, [*trail, node])

    for name in edges:
        visit(name, [])
    return found


def tests_name_what_they_check(draft: Draft) -> list[Issue]:
    """Each test: a unique name, metrics with one value, known dimensions, an additive metric for
    `sum_over`, a week that parses."""
    found: list[Issue] = []
    seen: dict[str, int] = {}
    for i, test in enumerate(draft.tests):
        path: Path = ("tests", i)

        def problem(key: str, message: str, _path: Path = path, _test: str = test.name) -> None:
            found.append(draft.issue((*_path, key), f"test {_test}: {message}"))

        if test.name in seen:
            problem("name", f"duplicate test name (first on line {seen[test.name]})")
        seen.setdefault(test.name, draft.doc.line(path))
        for key in ("metric", "equals_metric"):
            ref = getattr(test, key)
            if ref is None:
                continue
            if ref not in draft.metrics:
                problem(key, f"unknown metric {ref!r}{did_you_mean(ref, draft.metrics)}")
            elif isinstance(draft.metrics[ref], RankMetric):
                problem(key, f"{ref!r} is a ranking, which has no single value")
        for dim in [*test.filters, *([test.sum_over] if test.sum_over else [])]:
            if dim not in draft.dimensions:
                problem("sum_over" if dim == test.sum_over else "filters", f"unknown dimension {dim!r}")
        subject = draft.metrics.get(test.metric)
        additive = isinstance(subject, AggregateMetric) and subject.type in ("count", "sum")
        if test.sum_over and subject is not None and not additive:
            problem("sum_over", f"{test.metric} is not a count or sum, so its values by a dimension do not add up")
        if test.week is not None:
            try:
                parse_week(draft.calendar, test.week)
            except PeriodError as exc:
                problem("week", str(exc))
    return found


RULES: tuple[Rule, ...] = (
    aggregates_read_their_table,
    ratio_sides_read_their_tables,
    cohorts_read_their_table,
    formulas_name_metrics,
    rankings_name_what_they_rank,
    requirements_read_their_table,
    thresholds_in_order,
    derived_metrics_do_not_loop,
    tests_name_what_they_check,
)
"""Run in order by the loader; each returns every issue it finds."""
