"""The noise of a metric's value in one period: which kind of aggregate it is, and its Estimate.

`scorecard.judge.noise` holds the statistics; this module reads a metric's definition to know
which rule applies (a win rate is a share of closed deals, calls per close a ratio of two
counts, quota attainment a ratio over a plan that is not noise) and takes the numbers from the
engine's result rows (value, numerator, denominator, n, num_sq, den_sq). Medians and percentiles
ask the engine for the two order statistics at the ends of their interval.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from scorecard.catalog.load import Catalog
from scorecard.engine.runner import MetricError, Runner
from scorecard.judge import noise
from scorecard.language.definitions import (
    AggregateMetric,
    CohortMetric,
    DerivedMetric,
    Measure,
    MetricBase,
    RatioMetric,
)
from scorecard.language.evaluate import evaluate_numbers
from scorecard.sql.query import Query
from scorecard.sql.resolve import CompileError


def kind_of(metric: MetricBase) -> noise.Kind | None:
    """The kind of aggregate a metric is, for its noise (None: a ranking)."""
    if isinstance(metric, AggregateMetric):
        return {"count": "count", "sum": "sum", "average": "mean"}.get(metric.type, "percentile")  # type: ignore[return-value]
    if isinstance(metric, CohortMetric):
        return "proportion" if metric.value_node is None else "mean"
    if isinstance(metric, RatioMetric):
        return "proportion" if is_share(metric) else "ratio"
    if isinstance(metric, DerivedMetric):
        return "derived"
    return None


def is_share(metric: RatioMetric) -> bool:
    """A ratio of two counts of the same rows at the same time (won deals of closed deals): a
    share, whose noise is binomial. Anything else (calls per won deal) is a ratio."""
    top, bottom = metric.numerator, metric.denominator
    same_time = (top.anchor or metric.anchor) == (bottom.anchor or metric.anchor)
    return top.agg == "count" and bottom.agg == "count" and top.table == bottom.table and same_time


def _number(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


def _side_variance(metric: RatioMetric, measure: Measure, value: float | None, squares: float | None) -> float | None:
    """The variance of one side of a ratio: a count's is the count (Poisson), a sum's the sum of
    squares of its rows; a plan spread over days (quota) is not noise (0); an average's is unknown."""
    time = measure.anchor or metric.anchor
    if time is not None and time.kind == "spread":
        return 0.0
    if measure.agg == "count":
        return value
    if measure.agg == "sum":
        return squares
    return None


def from_row(metric: MetricBase, row: Mapping[str, Any], level: float) -> noise.Estimate | None:
    """The Estimate of a count, sum, mean, share or ratio from its result row (not percentiles or
    derived metrics, which need more than one row)."""
    value = _number(row.get("value"))
    if value is None:
        return None
    n = int(row.get("n") or 0)
    numerator, denominator = _number(row.get("numerator")), _number(row.get("denominator"))
    num_sq, den_sq = _number(row.get("num_sq")), _number(row.get("den_sq"))
    kind = kind_of(metric)
    if kind == "count":
        return noise.count(value, level)
    if kind == "sum" and isinstance(metric, AggregateMetric) and metric.anchor.kind == "spread":
        return noise.Estimate(value, 0.0, value, value, "sum", n, level)  # a plan (quota) is not noise
    if kind == "sum":
        return noise.total(value, num_sq, n, level)
    if kind == "mean" and isinstance(metric, CohortMetric):
        members = int(denominator or 0)
        return noise.mean(value, num_sq, members, level) if members else None
    if kind == "mean":
        return noise.mean(value, num_sq, n, level)
    if kind == "proportion":
        if numerator is None or not denominator:
            return None
        return noise.proportion(numerator, denominator, level)
    if kind == "ratio" and isinstance(metric, RatioMetric):
        if numerator is None or not denominator:
            return None
        top = _side_variance(metric, metric.numerator, numerator, num_sq)
        bottom = _side_variance(metric, metric.denominator, denominator, den_sq)
        return noise.ratio(numerator, top, denominator, bottom, n, level)
    return None


@dataclass
class Estimates:
    """Estimates of metrics' values per period, for one scorecard request (remembered)."""

    runner: Runner
    catalog: Catalog
    conn: sa.Connection | None = None
    _memo: dict[tuple[str, Query, dt.date], noise.Estimate | None] = field(default_factory=dict, repr=False)

    def level(self, metric: MetricBase) -> float:
        return metric.change.level if not isinstance(metric.change, str) else noise.DEFAULT_LEVEL

    def of(self, name: str, query: Query, period: dt.date, level: float | None = None) -> noise.Estimate | None:
        """The Estimate of `name` in the query's period starting `period` (no breakdown), or None
        when the value is unknown."""
        key = (name, query, period)
        if key not in self._memo:
            self._memo[key] = self._compute(name, query, period, level)
        return self._memo[key]

    def _compute(self, name: str, query: Query, period: dt.date, level: float | None) -> noise.Estimate | None:
        metric = self.catalog.metric(name)
        level = level or self.level(metric)
        frame = self.runner.run(name, query, self.conn)
        found = frame[frame["period"] == period]
        if found.empty:
            return None
        row = found.iloc[0].to_dict()
        kind = kind_of(metric)
        if kind == "derived" and isinstance(metric, DerivedMetric):
            parts: dict[str, noise.Estimate] = {}
            for ref in metric.components:
                part = self.of(ref, query, period, level)
                if part is None:
                    return None
                parts[ref] = part
            node = metric.formula_node
            return noise.derived(lambda values: evaluate_numbers(node, values), parts, level)
        if kind == "percentile" and isinstance(metric, AggregateMetric):
            value = _number(row.get("value"))
            if value is None:
                return None
            n = int(row.get("n") or 0)
            ranks = noise.order_statistic_ranks(n, metric.fraction, level)
            if ranks is None or n < 2:
                return noise.percentile(value, n, None, None, level)
            which = next(p for p in query.periods if p.first == period)
            one = Query((which,), (), query.filters, query.as_of)
            fractions = [(rank - 1) / (n - 1) for rank in ranks]
            try:
                bounds = self.runner.order_statistics(name, one, fractions, self.conn).get(period)
            except (MetricError, CompileError):
                bounds = None
            low, high = bounds if bounds else (None, None)
            return noise.percentile(value, n, low, high, level)
        return from_row(metric, row, level)
