"""Forced ranking: ranks under each tie rule, tier sizes, minimum activity, periods in progress."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from scorecard.catalog.load import Catalog, check_text, load_catalog
from scorecard.cli.main import main
from scorecard.judge.ranking import assign_tiers, forced_ranking, rank_values, tenure_months, tier_sizes
from scorecard.language import periods
from scorecard.language.definitions import Tier
from scorecard.store import model
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database, bulk_insert, create_schema
from tests.conftest import ENGINES, new_database

Q1_2026 = periods.make_period(periods.Calendar(), dt.date(2026, 1, 1), dt.date(2026, 3, 31), "quarter", "2026-Q1")
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
    # These reps have no segment, so the peer group is the region alone (and the ranking says so).
    assert ranking.group_by == "region" and any("rep segment" in note for note in ranking.notes)
    # Nor a hire date: tenure is unknown, nobody is flagged as new, and the ranking says so.
    assert any("tenure is unknown" in note for note in ranking.notes)
    assert all(r.tenure_months is None and not r.new_rep for r in ranking.rows)
    # EMEA eligible (E10 has 5 < 20 activities): 1.5 1.2 1.0 1.0 0.9 0.8 0.7 0.6 0.4;
    # 9 reps (not fewer than 8) -> 2 top, 6 middle, 1 bottom.
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
        # NA: 2.0, 0.5, 0.5; 3 reps, fewer than the default catalog's small-group size 8, and no other
        # small group to pool with (these reps have no segment, so the pool is every small group): ranked,
        # not tiered.
        "N3": (2.0, 1, "not tiered", 1.0),
        "N1": (0.5, 2, "not tiered", 0.0),
        "N2": (0.5, 2, "not tiered", 0.0),
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
    # 12 eligible reps, one group (not small) -> top round(2.4) = 2: N3, E01.
    assert [r.rep for r in ranking.rows if r.tier == "top"] == ["N3", "E01"]


# --- peer groups by region and segment, the small-group rule, tenure, per-AE lead quality ---------------
# Q1 2026 (90 days), every quota 100,000; each rep's won deals close 2026-02-01 and each rep logs 25 calls.
# rep: (region, rep segment, hire date, won amounts)
AES = {
    "C1": ("EMEA", "commercial", dt.date(2020, 1, 31), (150_000,)),
    "C2": ("EMEA", "commercial", dt.date(2025, 12, 31), (120_000,)),  # exactly 3 months on Mar 31: ranked
    "C3": ("EMEA", "commercial", dt.date(2020, 1, 31), (50_000, 50_000)),
    "C4": ("EMEA", "commercial", dt.date(2020, 1, 31), (80_000,)),
    "C5": ("EMEA", "commercial", dt.date(2020, 1, 31), (60_000,)),
    "C6": ("EMEA", "commercial", dt.date(2020, 1, 31), (49_000,)),
    "N1": ("NA", "commercial", dt.date(2020, 1, 31), (140_000,)),
    "N2": ("NA", "commercial", dt.date(2020, 1, 31), (110_000,)),
    "N3": ("NA", "commercial", dt.date(2020, 1, 31), (90_000,)),
    "N4": ("NA", "commercial", dt.date(2020, 1, 31), (70_000,)),
    "N5": ("NA", "commercial", dt.date(2020, 1, 31), (27_000,)),
    "X1": ("EMEA", "enterprise", dt.date(2020, 1, 31), (200_000,)),
    "X2": ("EMEA", "enterprise", dt.date(2020, 1, 31), (50_000,)),
    "Y1": ("NA", "enterprise", dt.date(2020, 1, 31), (30_000,)),
    "Y2": ("NA", "enterprise", dt.date(2026, 1, 15), (300_000,)),  # 2 whole months on Mar 31: new
}


@pytest.fixture(scope="module", params=ENGINES)
def peers_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    reps = [
        {
            "id": r,
            "name": r,
            "team": "sales",
            "role": "ae",
            "region": reg,
            "sales_segment": seg,
            "hire_date": hired,
            "active": True,
        }
        for r, (reg, seg, hired, _) in AES.items()
    ] + [
        {
            "id": "S1",
            "name": "S1",
            "team": "sales",
            "role": "sdr",
            "region": "EMEA",
            "hire_date": dt.date(2020, 1, 1),
            "active": True,
        }
    ]
    quotas = [
        {"rep_id": r, "period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 3, 31), "amount": 100_000.0}
        for r in AES
    ]
    opps = [
        {
            "id": f"O-{r}-{i}",
            "owner_rep_id": r,
            "channel": "direct",
            "region": "EMEA" if r == "N4" else reg,  # N4 (an NA rep) won a deal in EMEA
            "segment": "smb" if seg == "commercial" else "enterprise",
            "created_at": pd.Timestamp("2026-01-10"),
            "closed_at": pd.Timestamp("2026-02-01 10:00"),
            "stage": "won",
            "is_won": True,
            "amount": float(won),
        }
        for r, (reg, seg, _, amounts) in AES.items()
        for i, won in enumerate(amounts)
    ]
    # C1 also lost a deal; C1's won deal and lost deal came from leads L1 and L2, C2's won deal from L3.
    # L4 never became a deal. All four leads were created on Jan 5 and worked by the SDR S1.
    opps.append(
        {
            "id": "O-C1-lost",
            "owner_rep_id": "C1",
            "channel": "direct",
            "region": "EMEA",
            "segment": "smb",
            "created_at": pd.Timestamp("2026-01-10"),
            "closed_at": pd.Timestamp("2026-02-15 10:00"),
            "stage": "lost",
            "is_won": False,
            "amount": 10_000.0,
        }
    )
    lead_deal = {"L1": "O-C1-0", "L2": "O-C1-lost", "L3": "O-C2-0", "L4": None}
    for opp in opps:
        opp["lead_id"] = next((lead for lead, deal in lead_deal.items() if deal == opp["id"]), None)
    leads = [
        {
            "id": lead,
            "created_at": pd.Timestamp("2026-01-05 09:00"),
            "source": "webinar",
            "region": "EMEA",
            "segment": "smb",
            "owner_rep_id": "S1",
            "mql_at": pd.Timestamp("2026-01-05 10:00"),
            "accepted_at": pd.Timestamp("2026-01-06 10:00"),
            "converted_at": pd.Timestamp("2026-01-10") if deal else None,
            "opportunity_id": deal,
        }
        for lead, deal in lead_deal.items()
    ]
    acts = [
        {
            "id": f"A-{r}-{i}",
            "rep_id": r,
            "opportunity_id": f"O-{r}-0",
            "type": "call",
            "occurred_at": pd.Timestamp("2026-01-15 09:00") + pd.Timedelta(hours=i),
        }
        for r in AES
        for i in range(25)
    ]
    with new_database(str(request.param), tmp_path_factory.mktemp("peers")) as db:
        with db.writer() as conn:
            create_schema(conn)
            for table, rows in (
                (model.reps, reps),
                (model.quotas, quotas),
                (model.leads, leads),
                (model.opportunities, opps),
                (model.activities, acts),
            ):
                bulk_insert(conn, table, pd.DataFrame(rows))
        yield db


def _catalog_without_small_groups() -> Catalog:
    text = Path(DEFAULT_METRICS).read_text(encoding="utf-8")
    assert "    small_groups: {below: 8, pool: [rep_segment]}\n" in text
    catalog, issues = check_text(text.replace("    small_groups: {below: 8, pool: [rep_segment]}\n", ""))
    assert catalog is not None and not issues
    return catalog


def test_tenure_months_by_hand():
    assert tenure_months(dt.date(2026, 1, 31), dt.date(2026, 4, 30)) == 2  # Apr 30 is before the 31st
    assert tenure_months(dt.date(2026, 1, 31), dt.date(2026, 5, 1)) == 3
    assert tenure_months(dt.date(2025, 12, 31), dt.date(2026, 3, 31)) == 3
    assert tenure_months(dt.date(2020, 1, 31), dt.date(2026, 3, 31)) == 74  # 6 years + 2 months
    assert tenure_months(dt.date(2026, 5, 1), dt.date(2026, 3, 31)) == 0  # not yet hired


def test_without_a_small_group_rule_a_49_percent_rep_is_bottom_and_a_27_percent_rep_middle(peers_db: Database):
    """The problem the rule solves, shown by hand on region x segment groups of 6 and 5."""
    ranking = forced_ranking(
        peers_db, _catalog_without_small_groups(), Q1_2026, today=dt.date(2026, 11, 28), context=False
    )
    rows = {r.rep: r for r in ranking.rows}
    # EMEA · commercial, 6 reps: top round(1.2) = 1, middle round(5.4) - 1 = 4, bottom 1 -> C6 (49%) bottom.
    assert rows["C6"].group == "EMEA · commercial" and rows["C6"].tier == "bottom"
    # NA · commercial, 5 reps: top round(1.0) = 1, middle round(4.5) - 1 = 4, bottom 0 -> N5 (27%) middle.
    assert rows["N5"].group == "NA · commercial" and rows["N5"].tier == "middle"
    # N4's deal was in EMEA, but the peer group is the rep's own region: ranked once, in NA, on 70,000.
    n4 = [r for r in ranking.rows if r.rep == "N4"]
    assert len(n4) == 1 and n4[0].group == "NA · commercial" and n4[0].value == pytest.approx(0.7)


def test_small_groups_pool_by_segment_and_tiny_pools_are_not_tiered(peers_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    ranking = forced_ranking(peers_db, catalog, Q1_2026, today=dt.date(2026, 11, 28), context=False)
    rows = {r.rep: r for r in ranking.rows}
    assert ranking.group_by == "region, rep_segment"
    # Both commercial groups (6 and 5) are under 8: pooled into 11 commercial reps.
    # 1.5 1.4 1.2 1.1 1.0 0.9 0.8 0.7 0.6 0.49 0.27 -> top round(2.2) = 2, middle round(9.9) - 2 = 8, bottom 1.
    commercial = "commercial (pooled: EMEA, NA)"
    expected = {
        "C1": (1.5, 1, "top", 10 / 10),
        "N1": (1.4, 2, "top", 9 / 10),
        "C2": (1.2, 3, "middle", 8 / 10),
        "N2": (1.1, 4, "middle", 7 / 10),
        "C3": (1.0, 5, "middle", 6 / 10),
        "N3": (0.9, 6, "middle", 5 / 10),
        "C4": (0.8, 7, "middle", 4 / 10),
        "N4": (0.7, 8, "middle", 3 / 10),
        "C5": (0.6, 9, "middle", 2 / 10),
        "C6": (0.49, 10, "middle", 1 / 10),
        "N5": (0.27, 11, "bottom", 0 / 10),
    }
    for rep, (value, rank, tier, percentile) in expected.items():
        row = rows[rep]
        assert (row.group, row.value, row.rank, row.tier, row.percentile, row.peers) == (
            commercial,
            pytest.approx(value),
            rank,
            tier,
            pytest.approx(percentile),
            11,
        ), rep
    # Enterprise: EMEA (X1, X2) and NA (Y1; Y2 is new) pool into 3 eligible reps, still under 8:
    # ranked 2.0, 0.5, 0.3 but not tiered. Enterprise and commercial reps never share a group.
    enterprise = "enterprise (pooled: EMEA, NA)"
    for rep, (value, rank, percentile) in {"X1": (2.0, 1, 1.0), "X2": (0.5, 2, 0.5), "Y1": (0.3, 3, 0.0)}.items():
        row = rows[rep]
        assert (row.group, row.value, row.rank, row.tier, row.percentile, row.peers) == (
            enterprise,
            pytest.approx(value),
            rank,
            "not tiered",
            pytest.approx(percentile),
            3,
        ), rep
        assert "fewer than 8" in (row.reason or "")
    # Y2 has the best attainment of all (300%) but two months' tenure: listed, flagged, not ranked.
    y2 = rows["Y2"]
    assert (y2.group, y2.value, y2.rank, y2.tier, y2.new_rep, y2.tenure_months) == (
        enterprise,
        pytest.approx(3.0),
        None,
        "not ranked",
        True,
        2,
    )
    assert rows["C2"].tenure_months == 3 and not rows["C2"].new_rep  # hired Dec 31: a full quarter by Mar 31
    assert rows["C1"].tenure_months == 74
    # No rep is in a worse tier than a rep with lower attainment in the same segment.
    tiered = [r for r in ranking.rows if r.tier in ("top", "middle", "bottom")]
    order = {"top": 0, "middle": 1, "bottom": 2}
    for a in tiered:
        for b in tiered:
            if a.group == b.group and (a.value or 0) > (b.value or 0):
                assert order[a.tier] <= order[b.tier], (a.rep, b.rep)


def test_context_counts_an_aes_leads_through_their_deals(peers_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    ranking = forced_ranking(peers_db, catalog, Q1_2026, today=dt.date(2026, 11, 28))
    rows = {r.rep: r for r in ranking.rows}
    assert {"deals_closed", "lead_to_close"} <= set(ranking.context)
    # Leads are owned by the SDR S1; C1's leads are L1 (won Feb 1, 27 days after creation) and L2 (lost): 1 / 2.
    assert rows["C1"].context["lead_to_close"] == pytest.approx(0.5)
    # C2's only lead, L3, became its won deal: 1 / 1. L4 has no deal, so it is no AE's lead.
    assert rows["C2"].context["lead_to_close"] == pytest.approx(1.0)
    # Reps whose deals were sourced by sales have no leads behind them: unknown, not 0%.
    assert rows["C4"].context["lead_to_close"] is None
    # Deals closed (won) in Q1: C3 won two deals of 50,000; C1 won one (its lost deal does not count).
    assert rows["C3"].context["deals_closed"] == 2
    assert rows["C1"].context["deals_closed"] == 1
    assert rows["Y2"].context["deals_closed"] == 1


def test_ranking_json_carries_tenure_deals_and_lead_quality(peers_db: Database, capsys: pytest.CaptureFixture[str]):
    if peers_db.dialect != "duckdb":
        pytest.skip("the command line is checked on one engine; the numbers above on all three")
    path = peers_db.path
    assert path is not None
    code = main(["ranking", "--db", str(path), "--period", "2026-Q1", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    rows = {r["rep"]: r for r in json.loads(out)}
    assert {"tenure_months", "deals_closed", "lead_to_close", "new_rep", "peers"} <= set(rows["C1"])
    assert (rows["C1"]["tenure_months"], rows["C1"]["deals_closed"], rows["C1"]["lead_to_close"]) == (74, 1, 0.5)
    assert rows["Y2"]["new_rep"] is True and rows["Y2"]["tier"] == "not ranked"
