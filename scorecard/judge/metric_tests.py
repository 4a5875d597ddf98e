"""Run the metric tests declared in metrics.yaml (`tests:`) against a database.

What dbt tests do for models, here for values: each test computes one metric for one
week (under its filters) through the same engine as every page, and compares it with a
number, two bounds, another metric, or the sum of its own values by a dimension. A test
that cannot run (the database refuses, the metric cannot take the filter) is an error,
never a pass. `python -m scorecard test` and the definitions editor both call `run`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from scorecard.catalog.load import Catalog
from scorecard.engine.runner import MetricError, Runner
from scorecard.language import periods as cal
from scorecard.language.definitions import MetricTest
from scorecard.language.formatting import format_value
from scorecard.language.settings import Locale
from scorecard.sql.query import Query
from scorecard.sql.resolve import CompileError
from scorecard.store.db import Database

Outcome = Literal["pass", "fail", "error"]
Progress = Callable[[str, float], None]
"""A progress callback: (test being run, fraction done in 0..1)."""

REL_TOLERANCE = 1e-9
"""Float rounding allowed on top of a test's own absolute `tolerance`."""


@dataclass(frozen=True)
class TestResult:
    """The outcome of one metric test: what was expected, what the data gave, and the difference."""

    __test__ = False  # not a pytest class

    name: str
    metric: str
    week: str
    outcome: Outcome
    expected: str
    actual: str
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"

    def __str__(self) -> str:
        head = f"{self.outcome.upper():<5} {self.name} ({self.metric}, {self.week})"
        if self.outcome == "pass":
            return f"{head}: {self.actual}"
        lines = [head, f"      expected: {self.expected}", f"      actual:   {self.actual}"]
        if self.detail:
            lines += [f"      {line}" for line in self.detail.splitlines()]
        return "\n".join(lines)


def test_week(catalog: Catalog, test: MetricTest, default: cal.Period | None = None) -> cal.Period:
    """The week a test judges: its own `week`, else `weeks_ago` before the default (the last complete week)."""
    if test.week is not None:
        return cal.parse_week(catalog.calendar, test.week)
    base = default or cal.last_complete_week(catalog.calendar)
    return cal.shift_weeks(catalog.calendar, base, -test.weeks_ago)


def run(
    db: Database,
    catalog: Catalog,
    names: Sequence[str] | None = None,
    week: cal.Period | None = None,
    progress: Progress | None = None,
) -> list[TestResult]:
    """Run the catalog's tests (or those named), in file order; `week` replaces the default week."""
    chosen = [t for t in catalog.tests if names is None or t.name in names]
    runner = Runner(db, catalog)
    results = []
    for i, test in enumerate(chosen):
        if progress is not None:
            progress(test.name, i / max(len(chosen), 1))
        results.append(run_one(runner, catalog, test, week))
    if progress is not None:
        progress("done", 1.0)
    return results


def run_one(runner: Runner, catalog: Catalog, test: MetricTest, default: cal.Period | None = None) -> TestResult:
    """One test; database and compile problems become an `error` result, not an exception."""
    try:
        period = test_week(catalog, test, default)
    except cal.PeriodError as exc:
        expected = _expected(test, locale=catalog.locale)
        return TestResult(test.name, test.metric, test.week or "?", "error", expected, "-", str(exc))
    fmt = catalog.metrics[test.metric].format if test.metric in catalog.metrics else "number"
    locale = catalog.locale
    result = TestResult(test.name, test.metric, period.label, "error", _expected(test, fmt, locale=catalog.locale), "-")
    try:
        unsupported = runner.supports(test.metric, list(test.filters))
        if unsupported:
            return _with(result, detail=f"the metric cannot take these filters: {unsupported}")
        query = Query.build([period], filters=test.filters)
        value = _value(runner.run(test.metric, query))
        actual = _show(value, fmt, locale)
        if test.equals is not None:
            ok = value is not None and _close(value, test.equals, test.tolerance)
            detail = "" if ok or value is None else f"difference: {_show(value - test.equals, fmt, locale)}"
            return _with(result, "pass" if ok else "fail", actual, detail or _none(value))
        if test.between is not None:
            low, high = test.between
            ok = value is not None and low - test.tolerance <= value <= high + test.tolerance
            side = "" if ok or value is None else ("below the low bound" if value < low else "above the high bound")
            return _with(result, "pass" if ok else "fail", actual, side or _none(value))
        if test.equals_metric is not None:
            other = _value(runner.run(test.equals_metric, query))
            ok = value is not None and other is not None and _close(value, other, test.tolerance)
            expected = f"{test.equals_metric} = {_show(other, fmt, locale)}"
            detail = (
                ""
                if ok
                else _none(value)
                or _none(other, test.equals_metric)
                or (
                    f"difference: {_show(value - other, fmt, locale)}"
                    if value is not None and other is not None
                    else ""
                )
            )
            return _with(result, "pass" if ok else "fail", actual, detail, expected=expected)
        assert test.sum_over is not None
        by = runner.run(test.metric, Query.build([period], group_by=[test.sum_over], filters=test.filters))
        parts = pd.to_numeric(by["value"], errors="coerce").dropna()
        total = float(parts.sum())
        ok = value is not None and _close(total, value, test.tolerance)
        shown = f"total {actual}; {len(parts)} {test.sum_over} value(s) add up to {_show(total, fmt, locale)}"
        detail = "" if ok else _none(value) or f"difference: {_show(total - (value or 0.0), fmt, locale)}"
        return _with(result, "pass" if ok else "fail", shown, detail)
    except (MetricError, CompileError, KeyError) as exc:
        return _with(result, detail=str(exc).strip("'\""))


def summary(results: Sequence[TestResult]) -> str:
    """One line: how many passed, failed, could not run."""
    counts = {o: sum(1 for r in results if r.outcome == o) for o in ("pass", "fail", "error")}
    return f"{counts['pass']} passed, {counts['fail']} failed, {counts['error']} could not run ({len(results)} tests)"


def _with(
    result: TestResult,
    outcome: Outcome = "error",
    actual: str | None = None,
    detail: str = "",
    expected: str | None = None,
) -> TestResult:
    return TestResult(
        result.name,
        result.metric,
        result.week,
        outcome,
        expected if expected is not None else result.expected,
        actual if actual is not None else result.actual,
        detail,
    )


def _expected(test: MetricTest, fmt: str = "number", *, locale: Locale) -> str:
    tol = f" ± {_show(test.tolerance, fmt, locale)}" if test.tolerance else ""
    if test.equals is not None:
        return f"= {_show(test.equals, fmt, locale)}{tol}"
    if test.between is not None:
        return f"between {_show(test.between[0], fmt, locale)} and {_show(test.between[1], fmt, locale)}{tol}"
    if test.equals_metric is not None:
        return f"= {test.equals_metric}{tol}"
    return f"the values by {test.sum_over} add up to the total{tol}"


def _value(frame: pd.DataFrame) -> float | None:
    if frame.empty:
        return None
    value = frame["value"].iloc[-1]
    return None if value is None or pd.isna(value) else float(value)


def _close(a: float, b: float, tolerance: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=tolerance + 1e-12)


def _none(value: float | None, what: str = "the metric") -> str:
    return f"{what} has no value for this week (no rows, or a ratio over zero)" if value is None else ""


def _show(value: float | None, fmt: str, locale: Locale) -> str:
    if value is None:
        return "no value"
    exact = f"{value:.6g}"
    shown = format_value(value, fmt, locale=locale)
    return exact if shown == exact else f"{shown} ({exact})"
