"""Forced ranking: ranks under each tie rule, tier sizes, minimum activity, periods in progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest

from scorecard import model, periods
from scorecard.catalog import load_catalog
from scorecard.config import DEFAULT_METRICS
from scorecard.db import Database, bulk_insert, create_schema
from scorecard.definitions import Tier
from scorecard.ranking import assign_tiers, forced_ranking, rank_values, tier_sizes
from tests.conftest import ENGINES, new_database

TIERS = (Tier(name="top", share=0.2), Tier(name="middle", share=0.7), Tier(name="bottom", share=0.1))

# rep: (region, won amount closed 2026-02-01, activities in Q1). Every quota: 100,000 for Q1 2026 (90 days).
REPS = {
    "E01": ("EMEA", 150_000, 25),
    "E02": ("EMEA", 120_000, 25),
    "E03": ("EMEA", 100_000, 25),
    "E04": ("EMEA", 100_000, 25),
    "E05": ("EMEA", 90_000, 25),
    "E06": ("EMEA", 80_000, 25),
    "E07": ("EMEA", 70_000, 25),
    "E08": ("EMEA", 60_000, 25),
    "E09": ("EMEA", 40_000, 25),
    "E10": ("EMEA", 10_000, 5),
    "N1": ("NA", 50_000, 25),
    "N2": ("NA", 50_000, 25),
    "N3": ("NA", 200_000, 25),
}


def test_rank_values_tie_rules():
    values = [1.5, 1.0, 1.0, 0.4]
    assert rank_values(values, True, "min") == [1, 2, 2, 4]
    assert rank_values(values, True, "dense") == [1, 2, 2, 3]
    assert rank_values(values, True, "average") == [1, 2.5, 2.5, 4]
    assert rank_values([3.0, 1.0, 2.0], False, "min") == [3, 1, 2]


def test_tier_sizes_round_cumulative_shares():
    assert tier_sizes(TIERS, 10) == [2, 7, 1]
    assert tier_sizes(TIERS, 9) == [2, 6, 1]  # 1.8 -> 2, 8.1 -> 8
    assert tier_sizes(TIERS, 7) == [1, 5, 1]  # 1.4 -> 1, 6.3 -> 6
    assert tier_sizes(TIERS, 3) == [1, 2, 0]


def test_tied_reps_share_the_better_tier():
    tiers = (Tier(name="top", share=0.5), Tier(name="middle", share=0.25), Tier(name="bottom", share=0.25))
    assert assign_tiers([5, 4, 4, 3], tiers) == ["top", "top", "top", "bottom"]


@pytest.fixture(scope="module", params=ENGINES)
def ranked_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    reps = pd.DataFrame(
        [
            {"id": r, "name": r, "team": "sales", "role": "ae", "region": reg, "active": True}
            for r, (reg, _, _) in REPS.items()
        ]
    )
    quotas = pd.DataFrame(
        [
            {"rep_id": r, "period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 3, 31), "amount": 100_000.0}
            for r in REPS
        ]
    )
    opps = pd.DataFrame(
        [
            {
                "id": f"O-{r}",
                "owner_rep_id": r,
                "channel": "direct",
                "region": reg,
                "created_at": pd.Timestamp("2026-01-10"),
                "closed_at": pd.Timestamp("2026-02-01 10:00"),
                "stage": "won",
                "is_won": True,
                "amount": float(won),
            }
            for r, (reg, won, _) in REPS.items()
        ]
    )
    acts = pd.DataFrame(
        [
            {
                "id": f"A-{r}-{i}",
                "rep_id": r,
                "opportunity_id": f"O-{r}",
                "type": "call",
                "occurred_at": pd.Timestamp("2026-01-15 09:00") + pd.Timedelta(hours=i),
            }
            for r, (_, _, count) in REPS.items()
            for i in range(count)
        ]
    )
    with new_database(str(request.param), tmp_path_factory.mktemp("rank")) as db:
        with db.writer() as conn:
            create_schema(conn)
            for table, frame in (
                (model.reps, reps),
                (model.quotas, quotas),
                (model.opportunities, opps),
                (model.activities, acts),
            ):
                bulk_insert(conn, table, frame)
        yield db


def test_forced_ranking_within_regions(ranked_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    q1 = periods.parse_period(catalog.calendar, "2026-Q1")
    ranking = forced_ranking(ranked_db, catalog, q1, today=dt.date(2026, 11, 28))
    rows = {r.rep: r for r in ranking.rows}
    # EMEA eligible (E10 has 5 < 20 activities): 1.5 1.2 1.0 1.0 0.9 0.8 0.7 0.6 0.4;
    # 9 reps -> 2 top, 6 middle, 1 bottom.
    expected = {
        "E01": (1.5, 1, "top", 1.0),
        "E02": (1.2, 2, "top", 7 / 8),
        "E03": (1.0, 3, "middle", 5 / 8),
        "E04": (1.0, 3, "middle", 5 / 8),
        "E05": (0.9, 5, "middle", 4 / 8),
        "E06": (0.8, 6, "middle", 3 / 8),
        "E07": (0.7, 7, "middle", 2 / 8),
        "E08": (0.6, 8, "middle", 1 / 8),
        "E09": (0.4, 9, "bottom", 0.0),
        # NA: 2.0, 0.5, 0.5; 3 reps -> 1 top, 2 middle, 0 bottom.
        "N3": (2.0, 1, "top", 1.0),
        "N1": (0.5, 2, "middle", 0.0),
        "N2": (0.5, 2, "middle", 0.0),
    }
    for rep, (value, rank, tier, percentile) in expected.items():
        row = rows[rep]
        assert (row.value, row.rank, row.tier, row.percentile) == (
            pytest.approx(value),
            rank,
            tier,
            pytest.approx(percentile),
        ), rep
        assert row.group == REPS[rep][0]
    assert rows["E10"].tier == "not ranked" and "minimum activity" in (rows["E10"].reason or "")
    assert rows["E10"].value == pytest.approx(0.1)


def test_ranking_everyone_together_and_in_progress_period(ranked_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    q1 = periods.parse_period(catalog.calendar, "2026-Q1")
    # On Feb 14 the quarter is 45 of 90 days old: quota to date is 50,000, so E01 stands at 150,000 / 50,000.
    ranking = forced_ranking(ranked_db, catalog, q1, group=None, today=dt.date(2026, 2, 14))
    rows = {r.rep: r for r in ranking.rows}
    assert ranking.period.last == dt.date(2026, 2, 14)
    assert rows["N3"].value == pytest.approx(4.0) and rows["N3"].rank == 1
    assert rows["E01"].value == pytest.approx(3.0) and rows["E01"].rank == 2
    # 12 eligible reps -> top round(2.4) = 2: N3, E01.
    assert [r.rep for r in ranking.rows if r.tier == "top"] == ["N3", "E01"]
