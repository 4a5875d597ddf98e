"""Weekly assembly: value, previous, delta, target overrides, status, low sample, cohorts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from scorecard.catalog.load import check_text, load_catalog
from scorecard.judge import weekly
from scorecard.language import periods
from scorecard.language.definitions import Target, TargetOverride
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database
from tests.conftest import new_database
from tests.fixtures import tiny


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with new_database("duckdb", tmp_path_factory.mktemp("card")) as db:
        yield tiny.load(db)


def test_week_row_values(tiny_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    card = weekly.build(tiny_db, catalog, periods.parse_week(catalog.calendar, "2026-W03"))
    bookings = card.row("bookings")
    # Won O1 1000 in W02; O2 5000 + O5 3000 in W03.
    assert (bookings.value, bookings.previous, bookings.delta, bookings.n) == (8000, 1000, 7000, 2)
    assert len(bookings.trend) == 12 and bookings.trend[-1].week == "2026-W03" and bookings.trend[-2].week == "2026-W02"
    assert [p.value for p in bookings.trend[:10]] == [0.0] * 10  # no deals before 2026 in the fixture
    win = card.row("win_rate")
    # 2/3 would be green against 0.30, but 3 closes < min_sample 10: flagged and not coloured.
    assert win.value == pytest.approx(2 / 3) and win.status == "none" and win.low_sample
    speed = card.row("speed_to_lead")
    # The data ends Jan 16 and speed to lead settles 7 days after a week: W03 and W02 are still
    # open, so the row judges the latest settled week, W01 (no leads), and shows W03 beside it.
    assert speed.settled == "2026-W01" and speed.value is None and speed.status == "none"
    # W03: L5 qualified Jan 12 09:00, first touched Jan 13 15:00 = 30 h (L7 never touched).
    assert speed.provisional == pytest.approx(30)
    assert "attainment_rank" not in [r.metric for r in card.rows]  # rankings are tables, not rows
    # 17 scorecard metrics that are not derived, plus the six components of the derived ones
    # (pipeline_next_quarter, quota_next_quarter, campaign_spend, cost_of_sale_won, won_deals,
    # margin_won), each computed once however many derived metrics use it ...
    assert len([m for m in catalog.scorecard_metrics() if m.type != "derived"]) == 17  # type: ignore[attr-defined]
    # ... read in merged scans, one per base table and time anchor that several of them share
    # (Runner.prefetch): leads by created_at (leads created, the two lead cohorts), leads by
    # mql_at (sales-accept rate's two sides, speed to lead, follow-up SLA, unworked leads, the
    # MQL cohort), deals by created_at (marketing-sourced pipeline, channel conflict's two
    # sides), deals by closed_at (win rate's two sides, bookings, cycle days median and p90,
    # discount depth) and deals by their campaign's end (campaign won deals, cost of sale and
    # margin of won deals): 5 statements; then one statement each for what shares its scan with
    # nothing (calls per close, whose calls side is alone on activities; quota attainment;
    # pipeline and quota next quarter; campaign cost): 5; plus one projection each for the two
    # 220-day cohort metrics (lead-to-close, revenue per lead): 2; plus the whole quarter's quota,
    # so quota attainment (quarter to date) reads "of the quarter's quota" beside its pace: 1.
    # (Medians and percentiles ask for their order statistics only with enough rows for an
    # interval, and slices are read for exceptions only under a green or amber total: none here.)
    assert card.statements == 5 + 5 + 2 + 1
    close = card.row("lead_to_close")
    # The cohort 4 weeks before W03 (2025-W51) is projected; the tiny data has no mature cohort to
    # project from, so there is no range, and a projection is never coloured.
    assert close.projection is not None and close.projection.cohort == "2025-W51"
    assert close.projection.mid is None and close.projection.flags == ("projection",)
    assert card.row("lead_to_opportunity").projection is None  # 30 days: its mature cohort is recent enough


def test_cohort_row_shows_newest_mature_cohort(tiny_db: Database):
    text = DEFAULT_METRICS.read_text().replace(
        "window_days: 220\n    format: percent", "window_days: 7\n    format: percent"
    )
    catalog, issues = check_text(text, "m.yaml")
    assert catalog is not None, issues
    week = periods.parse_week(catalog.calendar, "2026-W03")
    row = weekly.build(tiny_db, catalog, week, metrics=["lead_to_close"]).row("lead_to_close")
    # Cohort W02 has had 7 days by Jan 18. L1 won 4.1 days after creation; L3 won 7.7 days after: 1 of 4.
    assert row.cohort == "2026-W02"
    assert row.value == pytest.approx(0.25) and row.n == 4


def test_mature_cohort_week():
    catalog = load_catalog(DEFAULT_METRICS)
    metric = catalog.metric("lead_to_close")
    week = periods.parse_week(catalog.calendar, "2026-W03")  # ends Sun 2026-01-18; minus 220 days = Thu 2025-06-12
    mature = periods.mature_cohort_week(catalog.calendar, metric.window_days, week)  # type: ignore[attr-defined]
    assert mature.label == "2025-W23"  # Jun 2-8, complete by Jun 12


def test_filters_pick_the_matching_target_override():
    target = Target(
        green=0.3,
        amber=0.2,
        overrides=(
            TargetOverride(when={"region": "EMEA"}, green=0.25, amber=0.15),
            TargetOverride(**{"from": dt.date(2026, 7, 1)}, green=0.35, amber=0.25),
            TargetOverride(**{"when": {"region": "EMEA"}, "from": dt.date(2026, 7, 1)}, green=0.28, amber=0.18),
        ),
    )
    catalog = load_catalog(DEFAULT_METRICS)
    january = periods.parse_week(catalog.calendar, "2026-W03")
    august = periods.parse_week(catalog.calendar, "2026-W32")
    assert weekly.target_for(target, january, {}).green == 0.3  # type: ignore[union-attr]
    assert weekly.target_for(target, january, {"region": ("EMEA",)}).green == 0.25  # type: ignore[union-attr]
    assert weekly.target_for(target, january, {"region": ("EMEA", "NA")}).green == 0.3  # type: ignore[union-attr]
    assert weekly.target_for(target, august, {}).green == 0.35  # type: ignore[union-attr]
    assert weekly.target_for(target, august, {"region": ("EMEA",)}).green == 0.28  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "direction", "expected"),
    [
        (0.30, "higher_is_better", "green"),
        (0.25, "higher_is_better", "amber"),
        (0.10, "higher_is_better", "red"),
        (0.30, "lower_is_better", "amber"),
        (0.20, "lower_is_better", "green"),
        (None, "lower_is_better", "none"),
    ],
)
def test_status_reads_thresholds_in_the_metrics_direction(value, direction, expected):  # type: ignore[no-untyped-def]
    thresholds = Target(green=0.3, amber=0.2) if direction == "higher_is_better" else Target(green=0.2, amber=0.3)
    assert weekly.status_of(value, thresholds, direction) == expected


def test_metrics_that_a_filter_does_not_reach_say_so(tiny_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    card = weekly.build(tiny_db, catalog, periods.parse_week(catalog.calendar, "2026-W03"), {"rep": ["Ana Alves"]})
    spend = card.row("cost_per_won_deal")
    assert spend.value is None
    assert spend.note == "Cost per won deal can't be split by rep: campaign spend is set per campaign"
    # Ana (R1) won O2 + O5 in W03.
    assert card.row("bookings").value == 8000
