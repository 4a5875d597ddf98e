"""The numbers all three approaches must agree on: per scorecard metric, per period shown,
the value and its sample n.

Which periods a metric shows (twelve weeks, more while recent weeks are still settling,
quarter-to-date windows, the newest mature cohorts) is the scorecard's calendar decision,
taken from `scorecard.scorecard`; the numbers in those periods are what the baselines
compute on their own.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scorecard.catalog.load import Catalog
from scorecard.judge import weekly
from scorecard.judge.readiness import Readiness
from scorecard.language.periods import Period


@dataclass(frozen=True)
class Point:
    """One metric in one period: its value (None: unknown, e.g. a ratio over nothing) and n."""

    value: float | None
    n: int


Series = dict[dt.date, Point]
Numbers = dict[str, Series | None]
"""Metric name -> period first day -> point; None when the metric does not apply under the filters."""

Filters = Mapping[str, Sequence[str]]

VALUE_TOLERANCE = 1e-6
"""Relative: DuckDB multiplies a DECIMAL amount by a FLOAT margin rate in single precision,
pandas in double; no number on the scorecard is shown to more than four significant digits."""


def periods_shown(catalog: Catalog, week: Period, filters: Filters, ready: Readiness) -> dict[str, tuple[Period, ...]]:
    """The periods of each scorecard metric's trend, exactly as `scorecard.build` lays them out."""
    out: dict[str, tuple[Period, ...]] = {}
    for metric in catalog.scorecard_metrics():
        out[metric.name] = weekly.planned_query(catalog, metric, week, filters, None, ready.data_end)[0].periods
    return out


def from_scorecard(card: weekly.Scorecard, shown: Mapping[str, tuple[Period, ...]]) -> Numbers:
    """The engine's numbers, read off a built scorecard's trends."""
    out: Numbers = {}
    for row in card.rows:
        if not row.trend:
            out[row.metric] = None
            continue
        periods = shown[row.metric]
        if len(periods) != len(row.trend):
            raise ValueError(f"{row.metric}: {len(row.trend)} trend points for {len(periods)} periods")
        out[row.metric] = {p.first: Point(t.value, t.n) for p, t in zip(periods, row.trend, strict=True)}
    return out


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=VALUE_TOLERANCE, abs_tol=1e-9)


def disagreements(
    names: Sequence[str], left: Numbers, right: Numbers, left_name: str, right_name: str, limit: int = 40
) -> list[str]:
    """Every metric, period and value where two sets of numbers differ, in plain lines."""
    problems: list[str] = []
    for name in names:
        a, b = left.get(name, "missing"), right.get(name, "missing")
        if a == "missing" or b == "missing":
            problems.append(f"{name}: missing from {left_name if a == 'missing' else right_name}")
            continue
        if a is None or b is None:
            if a is not b:
                applies = left_name if b is None else right_name
                problems.append(f"{name}: computed by {applies} only (the other says it does not apply)")
            continue
        assert isinstance(a, dict) and isinstance(b, dict)
        for first in sorted(set(a) | set(b)):
            pa, pb = a.get(first), b.get(first)
            if pa is None or pb is None:
                problems.append(f"{name} week of {first}: only in {left_name if pb is None else right_name}")
            elif not _same(pa.value, pb.value) or pa.n != pb.n:
                problems.append(
                    f"{name} week of {first}: {left_name} {pa.value!r} (n={pa.n}) vs {right_name} "
                    f"{pb.value!r} (n={pb.n})"
                )
    if len(problems) > limit:
        problems = [*problems[:limit], f"... and {len(problems) - limit} more"]
    return problems
