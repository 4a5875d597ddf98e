"""What moved: every split below is worked out by hand from tests/fixtures/movers.py.

Weeks: W02 = Jan 5-11 2026 (before), W03 = Jan 12-18 (after). Regions: EMEA and NA close
deals in both weeks, LATAM only in W02 (disappears), APAC only in W03 (appears).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from scorecard.catalog.load import Catalog, check_text, load_catalog
from scorecard.engine.runner import Runner
from scorecard.judge import drivers
from scorecard.language import periods
from scorecard.language.formatting import DEFAULT_LOCALE as USD
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database
from tests.fixtures import movers, tiny


@pytest.fixture
def catalog() -> Catalog:
    found, issues = check_text(movers.CATALOG, "movers.yaml")
    assert found is not None, issues
    return found


@pytest.fixture
def deals_db(any_db: Database) -> Database:
    return movers.load(any_db)


def _split(db: Database, catalog: Catalog, metric: str, dimension: str = "region") -> drivers.Movement:
    week = periods.parse_week(catalog.calendar, "2026-W03")
    return drivers.decompose(Runner(db, catalog), catalog, metric, week, dimension)


def _by_value(movement: drivers.Movement) -> dict[str, drivers.Slice]:
    return {s.value: s for s in movement.slices}


def test_ratio_mix_and_rate(deals_db: Database, catalog: Catalog):
    m = _split(deals_db, catalog, "win_rate")
    # W02: 4 won of 8 closed = 0.5; W03: 5 of 8 = 0.625.
    assert (m.before_period, m.after_period) == ("2026-W02", "2026-W03")
    assert m.before == pytest.approx(0.5) and m.after == pytest.approx(0.625) and m.method == "shift-share"
    s = _by_value(m)
    assert set(s) == {"EMEA", "NA", "LATAM", "APAC"}
    # EMEA: weight 4/8 -> 2/8, rate 1/2 -> 1/2: mix (0.25-0.5)*(0.5+0.5)/2 = -0.125, rate 0.
    assert (s["EMEA"].mix, s["EMEA"].rate) == (pytest.approx(-0.125), pytest.approx(0.0))
    # NA: weight 0.25 -> 0.5, rate 0.5 -> 0.75: mix 0.25*1.25/2 = 0.15625, rate 0.25*0.75/2 = 0.09375.
    assert (s["NA"].mix, s["NA"].rate) == (pytest.approx(0.15625), pytest.approx(0.09375))
    assert s["NA"].total == pytest.approx(0.25) and s["NA"].status == "both"
    # LATAM disappears: its part 0.25 * 0.5 = 0.125 leaves as mix.
    assert (s["LATAM"].mix, s["LATAM"].rate, s["LATAM"].status) == (pytest.approx(-0.125), 0.0, "disappeared")
    assert s["LATAM"].after is None and s["LATAM"].weight_after == 0
    # APAC appears: its part 0.25 * 0.5 = 0.125 arrives as mix.
    assert (s["APAC"].mix, s["APAC"].rate, s["APAC"].status) == (pytest.approx(0.125), 0.0, "appeared")
    # -0.125 + 0.25 - 0.125 + 0.125 = 0.125, the change, exactly.
    assert sum(x.total for x in m.slices) == pytest.approx(0.125) and m.change == pytest.approx(0.125)
    assert abs(m.residual()) < 1e-12
    top = m.top(2)
    assert [(d.value, d.effect) for d in top] == [("NA", "mix"), ("APAC", "mix")]
    assert drivers.drivers_line(m, "percent", locale=USD) == "+12.5 pts: NA +15.6 pts (mix), APAC +12.5 pts (mix)"


def test_sum_and_count_contributions(deals_db: Database, catalog: Catalog):
    m = _split(deals_db, catalog, "bookings")
    # W02: EMEA 100+300, NA 200, LATAM 400 = 1000; W03: EMEA 500, NA 100+300+200, APAC 600 = 1700.
    assert (m.before, m.after, m.method) == (1000, 1700, "additive")
    assert {s.value: s.total for s in m.slices} == {"EMEA": 100, "NA": 400, "LATAM": -400, "APAC": 600}
    assert all(d.effect == "total" for d in m.drivers)
    assert [d.value for d in m.drivers] == ["APAC", "LATAM", "NA", "EMEA"]  # by size; ties by name
    won = _split(deals_db, catalog, "won_deals")
    assert {s.value: s.total for s in won.slices} == {"EMEA": -1, "NA": 2, "LATAM": -1, "APAC": 1}
    assert _by_value(won)["LATAM"].status == "disappeared"


def test_rows_without_a_value_are_their_own_slice(deals_db: Database, catalog: Catalog):
    m = _split(deals_db, catalog, "pipeline_created")
    # W02: O1 EMEA 1000; W03: O2 (no region) 700 + O3 EMEA 400.
    assert (m.before, m.after) == (1000, 1100)
    assert {s.value: s.total for s in m.slices} == {"EMEA": -600, drivers.NO_VALUE: 700}


def test_average_splits_into_mix_and_rate(deals_db: Database, catalog: Catalog):
    m = _split(deals_db, catalog, "discount_depth")
    # W02 discounts: EMEA 0.5, 0; NA 0.2; LATAM 0 -> 0.7/4 = 0.175. W03: EMEA 0.5; NA 0, 0.25, 0; APAC 0.25 -> 0.2.
    assert m.before == pytest.approx(0.175) and m.after == pytest.approx(0.2)
    s = _by_value(m)
    # EMEA: weight 2/4 -> 1/5, average 0.25 -> 0.5: mix -0.3*0.375 = -0.1125, rate 0.25*0.35 = 0.0875.
    assert (s["EMEA"].mix, s["EMEA"].rate) == (pytest.approx(-0.1125), pytest.approx(0.0875))
    # NA: weight 1/4 -> 3/5, average 0.2 -> 1/12: mix 0.35*(17/60)/2, rate -(7/60)*0.425; they cancel.
    assert s["NA"].mix == pytest.approx(0.35 * 17 / 120) and s["NA"].rate == pytest.approx(-7 / 60 * 0.425)
    assert s["NA"].total == pytest.approx(0.0)
    assert s["APAC"].mix == pytest.approx(0.05) and s["LATAM"].mix == pytest.approx(0.0)
    assert sum(x.total for x in m.slices) == pytest.approx(0.025)


def test_numerator_without_denominator_is_a_total(deals_db: Database, catalog: Catalog):
    m = _split(deals_db, catalog, "wins_per_big_loss")
    # Big losses (>= 500): W02 E3 (EMEA), L2 (LATAM) -> 4 wins / 2 = 2.0; W03 E6 (EMEA), N6 (NA) -> 5 / 2 = 2.5.
    assert (m.before, m.after) == (pytest.approx(2.0), pytest.approx(2.5))
    s = _by_value(m)
    # EMEA: 2/1 -> 1/1 at weight 1/2 both weeks: all rate, -0.5.
    assert (s["EMEA"].mix, s["EMEA"].rate) == (pytest.approx(0.0), pytest.approx(-0.5))
    # NA: 1 win and no big loss in W02, so no rate then: its part 1/2 -> 3/2 changes as a whole.
    assert (s["NA"].mix, s["NA"].rate, s["NA"].total) == (None, None, pytest.approx(1.0))
    # APAC: a win but no big loss in W03: part 0 -> 1/2, as a whole.
    assert (s["APAC"].mix, s["APAC"].total) == (None, pytest.approx(0.5))
    assert s["LATAM"].mix == pytest.approx(-0.5)
    effects = {(d.value, d.effect): d.contribution for d in m.drivers}
    assert effects[("NA", "total")] == pytest.approx(1.0) and ("NA", "mix") not in effects
    assert sum(x.total for x in m.slices) == pytest.approx(0.5)


def test_medians_and_derived_metrics_are_not_decomposed(deals_db: Database, catalog: Catalog):
    median = _split(deals_db, catalog, "deal_size_median")
    # Won amounts W02: 100, 200, 300, 400 -> 250; W03: 100, 200, 300, 500, 600 -> 300.
    assert (median.before, median.after) == (pytest.approx(250), pytest.approx(300))
    assert not median.decomposed and "median of the whole" in (median.reason or "") and median.slices == ()
    assert drivers.drivers_line(median, "currency", locale=USD) == "+$50"
    derived = _split(deals_db, catalog, "average_won_deal")
    assert not derived.decomposed and "bookings, won_deals" in (derived.reason or "")


def test_a_dimension_with_one_value_gives_one_slice(deals_db: Database, catalog: Catalog):
    m = _split(deals_db, catalog, "bookings", "segment")  # no deal has a segment
    assert [(s.value, s.total) for s in m.slices] == [(drivers.NO_VALUE, 700)]


def test_slices_that_do_not_add_up_are_refused():
    week2, week3 = (periods.parse_week(load_catalog(DEFAULT_METRICS).calendar, w) for w in ("2026-W02", "2026-W03"))
    totals = pd.DataFrame({"period": [week2.first, week3.first], "value": [10.0, 12.0]})
    parts = pd.DataFrame(
        {"period": [week2.first, week3.first], "value": [10.0, 13.0], "n": [1, 1], "slice": ["A", "A"]}
    )
    slices, problem = drivers._additive(parts, totals, week2, week3)
    assert slices == [] and problem == "add up to 13 in 2026-W03, not the total 12"


def test_tiny_win_rate_regions_swap(make_db: Callable[[str], Database]):
    """The default catalog on the tiny CRM: W02 closes only NA deals (1 of 2 won), W03 only EMEA (2 of 3)."""
    catalog = load_catalog(DEFAULT_METRICS)
    db = tiny.load(make_db("duckdb"))
    week = periods.parse_week(catalog.calendar, "2026-W03")
    m = drivers.decompose(Runner(db, catalog), catalog, "win_rate", week, "region")
    s = _by_value(m)
    assert (s["NA"].status, s["EMEA"].status) == ("disappeared", "appeared")
    assert s["NA"].mix == pytest.approx(-0.5) and s["EMEA"].mix == pytest.approx(2 / 3)
    assert m.change == pytest.approx(2 / 3 - 1 / 2)


def test_waterfall_steps_from_before_to_after(deals_db: Database, catalog: Catalog):
    m = _split(deals_db, catalog, "bookings")
    frame = drivers.waterfall_frame(m, limit=2)
    assert list(frame["step"]) == ["2026-W02", "APAC (total)", "LATAM (total)", "2 others", "2026-W03"]
    # 1000 -> +600 -> 1600 -> -400 -> 1200 -> +500 (NA 400 + EMEA 100) -> 1700.
    assert list(frame["low"]) == [0, 1000, 1200, 1200, 0]
    assert list(frame["high"]) == [1000, 1600, 1600, 1700, 1700]
