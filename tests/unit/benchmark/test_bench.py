"""The benchmark's baselines compute the scorecard's numbers independently of the engine;
here they are checked against it on a small demo, unfiltered and under region + product.

A correctness test: nothing here is timed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from scorecard.benchmark import frames, handsql, run
from scorecard.benchmark.numbers import Point, disagreements
from scorecard.catalog.load import load_catalog
from scorecard.demo import generate as demo
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> run.Setup:
    db = Database.open(Path(tmp_path_factory.mktemp("bench")) / "demo.duckdb")
    demo.build(db, leads=4000)
    prepared, _ = run.prepare(db, load_catalog(DEFAULT_METRICS))
    return prepared


def test_the_three_approaches_agree_on_every_number(setup: run.Setup) -> None:
    checked = run.check(setup)
    assert checked > 400  # every scorecard metric, each with a trend of 12 or more periods


def test_every_scorecard_metric_has_a_baseline(setup: run.Setup) -> None:
    assert set(setup.shown["unfiltered"]) <= set(handsql.METRICS)
    numbers = run.run_handsql(setup, "unfiltered")
    known = [p for series in numbers.values() if series for p in series.values() if p.value is not None]
    assert len(known) > 200  # the demo fills most weeks: the agreement above is not over empty weeks


def test_the_pandas_baseline_finds_first_touches_in_the_activities(setup: run.Setup) -> None:
    with setup.db.engine().connect() as conn:
        tables = frames.load(conn)
    assert "first_touch_at" not in tables["leads"].columns  # it is computed, never read


def test_a_changed_number_is_reported_with_metric_week_and_values(setup: run.Setup) -> None:
    good = run.run_handsql(setup, "region+product")
    bad = {name: (dict(series) if series else series) for name, series in good.items()}
    series = bad["win_rate"]
    assert series is not None
    week = sorted(series)[-1]
    series[week] = dataclasses.replace(series[week], value=(series[week].value or 0) + 0.01)
    series[sorted(series)[0]] = Point(series[sorted(series)[0]].value, series[sorted(series)[0]].n + 1)
    problems = disagreements(list(good), good, bad, "engine", "pandas")
    assert len(problems) == 2
    assert problems[1].startswith(f"win_rate week of {week}: engine ")
