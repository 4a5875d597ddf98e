"""Every default metric on the tiny hand-made CRM, on DuckDB, SQLite and PostgreSQL.

Each expected number is worked out by hand from tests/fixtures/tiny.py in the comment
beside it. W02 = 2026-01-05..11, W03 = 2026-01-12..18; "EMEA" is the filter region=EMEA.
"""

from __future__ import annotations

import datetime as dt

import pytest

from scorecard.catalog.load import Catalog
from scorecard.engine.runner import Runner
from scorecard.language import periods
from scorecard.language.formatting import DEFAULT_LOCALE as USD
from scorecard.sql.query import Query
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database

NONE = None  # no value: nothing to divide by, or no rows for an average/ratio

# metric: (W02, W03, W02 EMEA, W03 EMEA)
EXPECTED: dict[str, tuple[float | None, float | None, float | None, float | None]] = {
    # L1-L4 created in W02, L5-L7 in W03; EMEA: L3 | L5.
    "leads_created": (4, 3, 1, 1),
    # Marketing-qualified leads only. Cohort W02 (L1-L4, all MQL): L1->O1 won Jan 9, L3->O2 won
    # Jan 15 => 2/4. W03: L5 and L7 are MQL (L6 never qualified): O3 lost => 0/2.
    # EMEA: L3 won => 1/1; L5 lost => 0/1.
    "lead_to_close": (0.5, 0.0, 1.0, 0.0),
    # (O1 1000 + O2 5000) / 4 = 1500; 0/2. EMEA: 5000/1; 0/1.
    "revenue_per_lead": (1500, 0, 5000, 0),
    # By MQL week, accepted and a deal created within 30 days of qualifying. W02 MQL L1-L4:
    # L1 (MQL Jan 5 10:00, O1 created Jan 6) and L3 (Jan 7 08:00, O2 Jan 8) => 2/4; L2 rejected,
    # L4 accepted without a deal. W03 MQL L5 (Jan 12 09:00, O3 Jan 13) and L7 (no deal) => 1/2.
    # EMEA: L3 1/1; L5 1/1.
    "lead_to_opportunity": (0.5, 0.5, 1.0, 1.0),
    # MQL in W02: L1-L4, accepted L1 L3 L4 => 3/4. W03: L5 L7, accepted L5 => 1/2. EMEA: L3 1/1; L5 1/1.
    "sales_accept_rate": (0.75, 0.5, 1.0, 1.0),
    # Opps created with a lead: W02 O1 1000 + O2 5000; W03 O3 2000. EMEA: O2 5000; O3 2000.
    "marketing_sourced_pipeline": (6000, 2000, 5000, 2000),
    # Hours MQL -> first touch: W02 L1 1h, L2 24h, L3 2h (L4 untouched) => median 2. W03: L5 30h => 30.
    "speed_to_lead": (2, 30, 2, 30),
    # Touched within 24 h of MQL: W02 L1 L2 (exactly 24 h counts) L3 of 4 => 0.75; W03 none of L5 L7 => 0.
    "follow_up_sla": (0.75, 0.0, 1.0, 0.0),
    # Never touched: W02 L4 of 4; W03 L7 of 2. EMEA: 0/1, 0/1.
    "unworked_leads": (0.25, 0.5, 0.0, 0.0),
    # Closed W02: O1 won, O4 lost => 1/2. W03: O2 won, O3 lost, O5 won => 2/3. EMEA W02: nothing closed.
    "win_rate": (0.5, 2 / 3, NONE, 2 / 3),
    # Calls on the lead and on the deal, for deals won in the week / won deals.
    # W02: O1 won Jan 9: A1 (call on its lead L1) + A5 A6 (on O1) => 3/1.
    # W03: O2 won Jan 15: A3 (on lead L3) + A8 A9 A10; O5 (no lead): A11 A14 => 6/2 = 3.
    # (A4 is a call on L5, whose deal O3 was lost: not counted.)
    # EMEA (calls by EMEA reps, EMEA won deals): W02 no won deal; W03 R1 made all 6 => 3.
    "calls_per_close": (3.0, 3.0, NONE, 3.0),
    # Every touch, same journey: W02 A1 A5 A6 + demo A7 => 4/1. W03 A3 A8 A9 A10 A11 A14 => 6/2.
    # EMEA W03: all six by R1 => 3.
    "touches_per_close": (4.0, 3.0, NONE, 3.0),
    # Won days created->closed: W02 O1 3.5. W03 O2 7, O5 44 (Dec 1 -> Jan 14) => median 25.5.
    "cycle_days_median": (3.5, 25.5, NONE, 25.5),
    # p90 (linear interpolation) of [7, 44] = 7 + 0.9 * 37 = 40.3.
    "cycle_days_p90": (3.5, 40.3, NONE, 40.3),
    # 1 - amount/list on won: O1 0.2; O2 0, O5 0.25 => 0.125.
    "discount_depth": (0.2, 0.125, NONE, 0.125),
    # Won amount: O1 1000; O2 5000 + O5 3000. EMEA W02: 0.
    "bookings": (1000, 8000, 0, 8000),
    # R1 1000/day + R2 500/day, 7 days => 10500; EMEA is R1 => 7000.
    "quota": (10500, 10500, 7000, 7000),
    # 1000/10500, 8000/10500; EMEA 0/7000, 8000/7000.
    "quota_attainment": (1000 / 10500, 8000 / 10500, 0.0, 8000 / 7000),
    # 9 activities Jan 5-11 (A1 A2 A3 A5 A6 A7 A8 A9 A13), 5 Jan 12-18. EMEA = by R1: A3 A8 A9 | A4 A10 A11 A12 A14.
    "activities_logged": (9, 5, 3, 5),
    # Open at Jan 12 00:00: O2 5000, O5 3000, O6 600 => 8600; at Jan 19: O6 600. EMEA: 8000; 0.
    "open_pipeline": (8600, 600, 8000, 0),
    # Open at the week's end and expected to close in the 91 days after the week. W02 (Jan 12..Apr 12):
    # open at Jan 12 00:00 are O2 (expected Jan 20) 5000, O6 (Mar 31) 600, O5 (Apr 20: too late) => 5600.
    # W03 (Jan 19..Apr 19): O6 600. EMEA: O2 5000; nothing.
    "pipeline_next_quarter": (5600, 600, 5000, 0),
    # Quota of the 91 days after the week, 1500 a day (R1 1000 + R2 500) until Mar 31, none after:
    # W02 Jan 12..Mar 31 = 20 + 28 + 31 = 79 days => 118500; W03 Jan 19..Mar 31 = 72 days => 108000.
    # EMEA (R1, 1000 a day): 79000; 72000.
    "quota_next_quarter": (118500, 108000, 79000, 72000),
    # pipeline_next_quarter / quota_next_quarter.
    "pipeline_coverage": (5600 / 118500, 600 / 108000, 5000 / 79000, 0.0),
    "won_deals": (1, 2, 0, 2),
    # C1 and C2 both cost 100 a day => 700 + 700 each week; EMEA = C2 only.
    "campaign_spend": (1400, 1400, 700, 700),
    # O1 300; O2 1000 + O5 900.
    "cost_of_sale_won": (300, 1900, 0, 1900),
    # O1 1000*0.8; O2 5000*0.8 + O5 3000*0.8.
    "margin_won": (800, 6400, 0, 6400),
    # Campaign cohorts, by the week the campaign ended: C1 "Expo booth" (NA) ends Sun Jan 18 (W03);
    # C2 "Referral program" ends Jan 31 (W05), outside these weeks. C1 cost 1400.
    "campaign_cost": (0, 1400, 0, 0),
    # Deals won from C1's leads within 220 days of the lead: L1 -> O1 (won Jan 9, 4.1 days) only;
    # L2 L4 L6 have no deal. O1 is an NA deal, so EMEA has none.
    "campaign_won_deals": (0, 1, 0, 0),
    "campaign_cost_of_sale": (0, 300, 0, 0),  # O1's cost of sale
    "campaign_margin": (0, 800, 0, 0),  # O1 1000 * 0.8
    # (campaign cost + cost of sale of its wins) / its wins: W03 (1400 + 300) / 1; W02 and EMEA 0/0 => none.
    "cost_per_won_deal": (NONE, 1700, NONE, NONE),
    "margin_per_won_deal": (NONE, 800, NONE, NONE),
    # (1400 + 300) / 800.
    "cost_to_margin": (NONE, 1700 / 800, NONE, NONE),
    # Created W02: O1 (vs partner O6 on A2), O2 (vs partner O3 on A1), O4 (alone on A3), O6 (vs O1) => 3/4.
    # W03: O3 (vs direct O2) => 1/1. EMEA: O2 1/1; O3 1/1.
    "channel_conflict_rate": (0.75, 1.0, 1.0, 1.0),
}




def _values(
    runner: Runner, catalog: Catalog, metric: str, filters: dict[str, list[str]]
) -> tuple[float | None, float | None]:
    w03 = periods.parse_week(catalog.calendar, "2026-W03")
    weeks = periods.weeks_ending(catalog.calendar, w03, 2)
    query = Query.build(weeks, filters=filters, as_of=dt.datetime(2026, 12, 1))
    frame = runner.run(metric, query)
    by_week = {p: v for p, v in zip(frame["period"], frame["value"], strict=True)}
    out = []
    for week in weeks:
        value = by_week.get(week.first)
        out.append(None if value is None or value != value else float(value))
    return out[0], out[1]


def test_every_default_metric_has_an_expectation(catalog: Catalog):
    scored = {name for name, m in catalog.metrics.items() if m.type != "rank"}  # type: ignore[attr-defined]
    assert scored == set(EXPECTED)


@pytest.mark.parametrize("metric", sorted(EXPECTED))
def test_metric_values_by_hand(tiny_db: Database, catalog: Catalog, metric: str):
    runner = Runner(tiny_db, catalog)
    w02, w03, emea02, emea03 = EXPECTED[metric]
    assert _values(runner, catalog, metric, {}) == (pytest.approx(w02), pytest.approx(w03))
    assert _values(runner, catalog, metric, {"region": ["EMEA"]}) == (pytest.approx(emea02), pytest.approx(emea03))


def test_cohort_counts_only_events_before_as_of(tiny_db: Database, catalog: Catalog):
    # As of the end of W02 (Jan 12), only L1's deal (won Jan 9) had closed: 1 of 4.
    w02 = periods.parse_week(catalog.calendar, "2026-W02")
    frame = Runner(tiny_db, catalog).run("lead_to_close", Query.build((w02,), as_of=w02.end))
    assert frame["value"].tolist() == [pytest.approx(0.25)]
    assert frame["n"].tolist() == [4]


def test_breakdown_by_dimension(tiny_db: Database, catalog: Catalog):
    # Leads created in W02 by source: trade_show L1 L2 L4, referral L3.
    w02 = periods.parse_week(catalog.calendar, "2026-W02")
    frame = Runner(tiny_db, catalog).run("leads_created", Query.build((w02,), group_by=["source"]))
    assert dict(zip(frame["d_source"], frame["value"], strict=True)) == {"referral": 1, "trade_show": 3}


def test_repeated_filter_values_mean_any_of_them(tiny_db: Database, catalog: Catalog):
    # W03 leads: L5 referral, L6 trade_show, L7 webinar.
    runner = Runner(tiny_db, catalog)
    assert _values(runner, catalog, "leads_created", {"source": ["referral", "webinar"]})[1] == 2
    assert _values(runner, catalog, "leads_created", {"source": ["webinar"]})[1] == 1


def test_lead_dimensions_keep_leads_without_a_deal(tiny_db: Database, catalog: Catalog):
    # No lead came from a partner, so every lead is direct by its own source, deal or no deal.
    # W02 direct MQL cohort: L1-L4, won L1 L3 => 2/4 (taking the channel from the deal alone
    # would keep only L1 and L3, the leads with a deal: 2/2). W03: L5 (referral, deal O3 is a
    # partner deal, but the lead arrived direct) and L7 => 0/2.
    runner = Runner(tiny_db, catalog)
    assert _values(runner, catalog, "lead_to_close", {"channel": ["direct"]}) == (0.5, 0.0)
    assert _values(runner, catalog, "leads_created", {"channel": ["direct"]}) == (4, 3)
    # Segment and product come from the lead: W02 smb leads L1 L2 (won L1) => 1/2; Addon leads: L4 | L5.
    assert _values(runner, catalog, "lead_to_close", {"segment": ["smb"]}) == (0.5, None)
    assert _values(runner, catalog, "leads_created", {"product": ["Addon"]}) == (1, 1)
    # Activities on a lead without a deal keep their lead's channel: A2 (email on L2) is direct.
    assert _values(runner, catalog, "activities_logged", {"channel": ["direct"]}) == (9, 4)


def test_filter_through_relationships(tiny_db: Database, catalog: Catalog):
    # Product lives on products, reached from opportunities through product_id: W03 Core won O2 + O5.
    runner = Runner(tiny_db, catalog)
    assert _values(runner, catalog, "bookings", {"product": ["Core"]}) == (1000, 8000)
    assert _values(runner, catalog, "bookings", {"product": ["Addon"]}) == (0, 0)
    # Campaign of an opportunity is its lead's campaign: O2 came from L3 (Referral program).
    assert _values(runner, catalog, "marketing_sourced_pipeline", {"campaign": ["Referral program"]}) == (5000, 2000)


def test_doctor_measures_each_cohort_windows_real_cycle(tiny_db: Database, catalog: Catalog):
    from scorecard.judge import readiness

    report = readiness.check(tiny_db, catalog, cycles=True)
    cycles = {c.metric: c for c in report.cycles}
    # The tiny data spans two weeks, far under 18 months: every event is measured, as a lower bound.
    close = cycles["lead_to_close"]
    assert close.young and close.events == 2 and close.covered == 1.0
    # Lead created -> won close: L1 Jan 5 09:00 -> Jan 9 12:00 = 4.125 days; L3 Jan 7 08:00 -> Jan 15
    # = 7.6667 days. p90 (linear) = 4.125 + 0.9 * 3.5417 = 7.3125.
    assert close.days == pytest.approx(7.3125, abs=1e-6)
    # MQL -> deal created: L1 14 h, L3 16 h, L5 (Jan 12 09:00 -> Jan 13) 15 h = 0.5833, 0.6667, 0.625 days;
    # p90 of [0.5833, 0.625, 0.6667] = 0.625 + 0.8 * 0.0417 = 0.6583.
    early = cycles["lead_to_opportunity"]
    assert early.events == 3 and early.days == pytest.approx(0.658333, abs=1e-5)
    assert "lower bound" in close.text()


def test_projection_of_a_young_cohort_from_a_mature_one(tiny_db: Database, catalog: Catalog):
    from scorecard.catalog.load import check_text
    from scorecard.judge import projection
    from scorecard.language.definitions import CohortMetric

    # Lead-to-close with an 8-day window, so the W02 cohort is mature and can be projected from.
    window = "window_days: 220\n    format: percent"
    text = DEFAULT_METRICS.read_text().replace(window, window.replace("220", "8"), 1)
    short, issues = check_text(text, "m.yaml")
    assert short is not None, issues
    metric = short.metric("lead_to_close")
    assert isinstance(metric, CohortMetric)
    w02, w03 = (periods.parse_week(short.calendar, w) for w in ("2026-W02", "2026-W03"))
    # Mature W02 cohort (MQL L1-L4, 4 members): L1 won 4.1 days after creation (week 0), L3 7.7 days
    # after (week 1), both within 8 days. W03 cohort: L5 and L7 (2 members), nothing won.
    with tiny_db.engine().connect() as conn:
        # As of Jan 26, W03 is 1 week old: 0 won in week 0; W02 won 1 of 4 after week 1 => 0 + 0.25.
        (p,) = projection.project(conn, short, metric, w02, [w03], as_of=dt.datetime(2026, 1, 26), min_basis=1)
        assert (p.age_weeks, p.members, p.so_far, p.basis) == (1, 2, 0.0, 1)
        assert (p.low, p.mid, p.high) == (pytest.approx(0.25), pytest.approx(0.25), pytest.approx(0.25))
        # As of Jan 19 it is 0 weeks old: W02 won 2 of 4 from week 0 on => 0.5.
        (p,) = projection.project(conn, short, metric, w02, [w03], as_of=dt.datetime(2026, 1, 19), min_basis=1)
        assert (p.age_weeks, p.mid) == (0, pytest.approx(0.5))
        # Never coloured; with fewer mature cohorts than the minimum there is no range at all.
        assert p.flags == ("projection",) and p.status == "none" and not p.judgeable
        (p,) = projection.project(conn, short, metric, w02, [w03], as_of=dt.datetime(2026, 1, 19))
        assert p.mid is None and "too few mature cohorts" in p.text("percent", locale=USD)


def test_cost_of_winning_follows_the_campaign_cohort(tiny_db: Database, catalog: Catalog):
    # C2 "Referral program" ends Sat Jan 31 (W05): cost 3100 (spread over January, but charged whole to
    # its cohort). Its leads L3 -> O2 won Jan 15 (cost of sale 1000, 5000 * 0.8 = 4000 margin) and
    # L5 -> O3 lost. Cost per won deal (3100 + 1000) / 1 = 4100 against 4000 margin: ratio 1.025.
    # O5, won the same week by sales with no lead, never enters a campaign's cohort.
    runner = Runner(tiny_db, catalog)
    w05 = periods.parse_week(catalog.calendar, "2026-W05")
    query = Query.build((w05,), group_by=["campaign"], as_of=dt.datetime(2026, 12, 1))
    values = {
        name: dict(zip(frame["d_campaign"], frame["value"], strict=True))
        for name in ("cost_per_won_deal", "margin_per_won_deal", "cost_to_margin")
        for frame in [runner.run(name, query)]
    }
    assert values["cost_per_won_deal"]["Referral program"] == pytest.approx(4100)
    assert values["margin_per_won_deal"]["Referral program"] == pytest.approx(4000)
    assert values["cost_to_margin"]["Referral program"] == pytest.approx(4100 / 4000)
