"""A loaded catalog holds its expressions parsed: compiling, readiness and coverage never parse text."""

from __future__ import annotations

import datetime as dt

import pytest

from scorecard.catalog.load import load_catalog
from scorecard.judge import coverage, readiness
from scorecard.language import expressions as ex
from scorecard.language import periods as cal
from scorecard.language.definitions import RankMetric
from scorecard.sql.compiler import Compiler
from scorecard.sql.query import Query
from scorecard.sql.resolve import NotApplicable
from scorecard.store.config import DEFAULT_METRICS


def test_nothing_is_parsed_after_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = load_catalog(DEFAULT_METRICS)
    calls: list[str] = []
    real = ex.parse

    def counting(text: str) -> ex.Node:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(ex, "parse", counting)
    compiler = Compiler(catalog)
    weeks = cal.weeks_ending(catalog.calendar, cal.week(catalog.calendar, dt.date(2026, 11, 30)), 4)
    compiled = 0
    for metric in catalog.metrics.values():
        if isinstance(metric, RankMetric) or metric.type == "derived":
            continue
        for dimension in catalog.dimensions:
            try:
                compiler.compile(metric, Query.build(weeks, group_by=[dimension]))
            except NotApplicable:
                continue
            compiled += 1
        readiness.inputs_of(catalog, metric)
    coverage.anchor_columns(catalog)
    assert compiled > 100  # every metric by most dimensions: the check ran over real statements
    assert calls == []
