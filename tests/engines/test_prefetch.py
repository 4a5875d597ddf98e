"""Merged scans (`Runner.prefetch`) give every metric exactly the frame its own statement gives.

The expected frames come from each metric's own statement (`Runner.run` with nothing
remembered), whose numbers the rest of the suite checks by hand on all three engines; here
the same metrics are read the merged way on the demo data and compared number by number:
the scorecard's queries (each row's trend, under no filter and under region + product, per
window) and what moved's (the pair of weeks, whole and by region).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest

from scorecard.catalog.load import Catalog
from scorecard.demo import generate as demo
from scorecard.engine.runner import Runner
from scorecard.judge import drivers, readiness, weekly
from scorecard.judge.coverage import coverage
from scorecard.language.definitions import RankMetric
from scorecard.sql.query import Query
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database
from tests.conftest import ENGINES, new_database

TODAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="module", params=ENGINES)
def demo_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with new_database(str(request.param), tmp_path_factory.mktemp("prefetch")) as db:
        demo.build(db, leads=3_000, seed=11, today=TODAY)
        yield db



def _queries(
    db: Database, catalog: Catalog, filters: dict[str, list[str]], window: str | None
) -> list[tuple[str, Query]]:
    ready = readiness.check(db, catalog)
    week = coverage(db, catalog).last_week
    out = []
    for metric in catalog.metrics.values():
        if isinstance(metric, RankMetric):
            continue
        query, _ = weekly.planned_query(catalog, metric, week, filters, window, ready.data_end)
        out.append((metric.name, query))
        before, after, _ = drivers.compared_periods(catalog, metric, week, filters, window, ready.data_end)
        base = Query.build((before, after), filters=query.filter_map, as_of=query.as_of)
        grouped = Query.build((before, after), group_by=("region",), filters=query.filter_map, as_of=query.as_of)
        out += [(metric.name, base), (metric.name, grouped)]
    return out


def _alone(db: Database, catalog: Catalog, name: str, query: Query) -> pd.DataFrame | None:
    runner = Runner(db, catalog)
    if runner.supports(name, [*query.filter_map, *query.group_by]):
        return None
    return runner.run(name, query)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in frame.columns if c == "period" or c.startswith("d_")]
    return frame.sort_values(keys, key=lambda s: s.astype(str), na_position="last").reset_index(drop=True)


@pytest.mark.parametrize(
    ("filters", "window"),
    [
        ({}, None),
        ({"region": ["EMEA"], "product": ["Pipeline Analytics"]}, None),
        ({}, "4w"),
        ({"region": ["NA"]}, "qtd"),
    ],
    ids=["unfiltered", "region+product", "4w", "na-qtd"],
)
def test_merged_scans_match_each_metrics_own_statement(
    demo_db: Database, catalog: Catalog, filters: dict[str, list[str]], window: str | None
) -> None:
    wanted = [(n, q) for n, q in _queries(demo_db, catalog, filters, window)
              if not Runner(demo_db, catalog).supports(n, [*q.filter_map, *q.group_by])]
    merged = Runner(demo_db, catalog)
    with demo_db.engine().connect() as conn:
        merged.prefetch(wanted, conn)
    remembered = set(merged._memo)
    # Most of the catalog is read merged: far fewer statements than metrics and queries.
    assert len(remembered) >= len(wanted) // 2, (len(remembered), len(wanted))
    assert merged.statements_run < len(remembered) // 3, (merged.statements_run, len(remembered))
    compared = 0
    for name, query in remembered:  # the queries asked for, and the parts of derived metrics among them
        expected = _alone(demo_db, catalog, name, query)
        assert expected is not None
        got = merged._memo[(name, query)]
        assert list(got.columns) == list(expected.columns), name
        assert list(got.dtypes) == list(expected.dtypes), name
        got_s, expected_s = _sorted(got), _sorted(expected)
        assert len(got_s) == len(expected_s), (name, query.group_by, got_s, expected_s)
        pd.testing.assert_frame_equal(got_s, expected_s, check_exact=False, rtol=1e-9, atol=0, obj=name)
        compared += 1
    assert compared == len(remembered)


def test_a_scorecard_reads_merged_and_gives_the_same_card(demo_db: Database, catalog: Catalog) -> None:
    """The whole build, merged (the product path) against every row run alone."""
    ready = readiness.check(demo_db, catalog)
    week = coverage(demo_db, catalog).last_week
    filters = {"region": ["EMEA"]}
    card = weekly.build(demo_db, catalog, week, filters, ready=ready)
    single = Runner(demo_db, catalog)
    single.prefetch = lambda wanted, conn: None  # type: ignore[method-assign]  # each row its own statement
    alone = weekly.build(demo_db, catalog, week, filters, ready=ready, runner=single)
    assert card.statements < alone.statements
    for row, other in zip(card.rows, alone.rows, strict=True):
        assert row.metric == other.metric
        assert [p.n for p in row.trend] == [p.n for p in other.trend], row.metric
        for mine, theirs in zip(row.trend, other.trend, strict=True):
            assert (mine.value is None) == (theirs.value is None), (row.metric, mine, theirs)
            if mine.value is not None:
                assert mine.value == pytest.approx(theirs.value, rel=1e-9), (row.metric, mine, theirs)
        assert (row.status, row.flags, row.reason) == (other.status, other.flags, other.reason), row.metric


def test_what_moved_from_the_cards_frames_matches_reading_everything_alone(
    demo_db: Database, catalog: Catalog
) -> None:
    """What moved reuses the card's trends for each row's two weeks and reads its breakdowns
    merged; the movements are those of a Runner that reads every statement alone."""
    ready = readiness.check(demo_db, catalog)
    week = coverage(demo_db, catalog).last_week
    card = weekly.build(demo_db, catalog, week, {"product": ["Pipeline Analytics"]}, ready=ready)
    assert card.frames, "the card keeps the frames it was built from"
    reused = Runner(demo_db, catalog)
    reused.remember(card.frames)
    fast = drivers.for_card(demo_db, catalog, card, ["region", "source"], runner=reused)
    single = Runner(demo_db, catalog)
    single.prefetch = lambda wanted, conn: None  # type: ignore[method-assign]
    slow = drivers.for_card(demo_db, catalog, card, ["region", "source"], runner=single)
    assert reused.statements_run < single.statements_run / 3, (reused.statements_run, single.statements_run)
    decomposed = 0
    for metric, by_dimension in slow.items():
        for dimension, expected in by_dimension.items():
            got = fast[metric][dimension]
            assert (got.method, got.reason) == (expected.method, expected.reason), (metric, dimension)
            assert _close([got.before, got.after], [expected.before, expected.after]), (metric, dimension)
            assert [(s.value, s.status, s.n_before, s.n_after) for s in got.slices] == [
                (s.value, s.status, s.n_before, s.n_after) for s in expected.slices
            ], (metric, dimension)
            for mine, theirs in zip(got.slices, expected.slices, strict=True):
                numbers = ("before", "after", "weight_before", "weight_after", "mix", "rate", "total")
                assert _close([getattr(mine, f) for f in numbers], [getattr(theirs, f) for f in numbers]), (
                    metric, dimension, mine, theirs
                )
            decomposed += bool(expected.slices)
    assert decomposed >= 10, decomposed


def _close(got: list[float | None], expected: list[float | None]) -> bool:
    """Equal to a relative 1e-9, None only where None is expected."""
    return all(
        (a is None and b is None) or (a is not None and b is not None and a == pytest.approx(b, rel=1e-9, abs=1e-12))
        for a, b in zip(got, expected, strict=True)
    )


EXTRA = """
  - name: leads_with_a_source
    label: Leads with a source
    description: Leads created that name their source.
    owner: marketing
    type: count
    of: leads
    filter: "source is not null"
    time: created_at
    format: count
    direction: higher_is_better
  - name: leads_refused_by_the_database
    label: Leads refused by the database
    description: A filter that compiles but that the database refuses to run (text compared with a number).
    owner: marketing
    type: count
    of: leads
    filter: "source = 1"
    time: created_at
    format: count
    direction: higher_is_better
"""


def test_a_statement_the_database_refuses_changes_no_other_metric(any_db: Database) -> None:
    """A merged scan the database refuses is dropped: every metric then gets exactly what its own
    statement gives, a value or the database's refusal (PostgreSQL included, whose transaction
    the refusal would otherwise poison)."""
    from scorecard.catalog.load import check_text
    from scorecard.engine.runner import MetricError
    from scorecard.language import periods
    from tests.fixtures import tiny

    catalog, issues = check_text(DEFAULT_METRICS.read_text() + EXTRA, "m.yaml")
    assert catalog is not None, issues
    tiny.load(any_db)
    w03 = periods.parse_week(catalog.calendar, "2026-W03")
    query = Query.build(periods.weeks_ending(catalog.calendar, w03, 2))
    names = ["leads_created", "leads_with_a_source", "leads_refused_by_the_database", "lead_to_close"]

    def outcome(runner: Runner, name: str) -> object:
        try:
            return runner.run(name, query)[["period", "value", "n"]].to_dict("records")
        except MetricError as exc:
            return f"refused: {str(exc).split(':')[0]}"

    merged = Runner(any_db, catalog)
    with any_db.engine().connect() as conn:
        merged.prefetch([(n, query) for n in names], conn)
        got = {n: outcome(merged, n) for n in names}
    alone = {n: outcome(Runner(any_db, catalog), n) for n in names}
    assert got == alone
    # tiny (tests/fixtures/tiny.py): L1..L4 created Jan 5-8 (W02), L5..L7 Jan 12-14 (W03), each with a source
    assert [r["value"] for r in got["leads_with_a_source"]] == [4.0, 3.0]  # type: ignore[union-attr]
