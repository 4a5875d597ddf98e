"""The dashboard's view helpers (scorecard.views): pure functions, checked on hand-made inputs."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from scorecard.catalog.load import load_catalog
from scorecard.judge.ranking import RankedRep, Ranking
from scorecard.language import periods as cal
from scorecard.language.formatting import DEFAULT_LOCALE as USD
from scorecard.language.settings import Calendar
from scorecard.present import frames, views
from scorecard.store.config import DEFAULT_METRICS

CALENDAR = Calendar()
NOW = dt.datetime(2026, 11, 25, 15, 0)  # a Wednesday; the last complete week is 2026-W47 (16-22 Nov)

YAML = """\
metrics:
  # ---- first section
  - name: one
    label: One
    description: >
      Two lines of
      description.
    owners: [sales]

  # ---- second section
  - name: two
    label: Two
"""


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog(DEFAULT_METRICS)


def test_yaml_block_stops_before_the_next_item_and_its_comments() -> None:
    assert views.yaml_block(YAML, 3) == (
        "- name: one\n  label: One\n  description: >\n    Two lines of\n    description.\n  owners: [sales]"
    )
    assert views.yaml_block(YAML, 11) == "- name: two\n  label: Two"
    assert views.yaml_block(YAML, 99) == ""


def test_yaml_block_of_every_catalog_metric_starts_with_its_name(catalog) -> None:  # type: ignore[no-untyped-def]
    for name, line in catalog.lines.items():
        block = views.yaml_block(catalog.text, line)
        assert block.startswith(f"- name: {name}\n"), name
        assert "\n- name:" not in block


def test_filter_key_is_canonical() -> None:
    assert views.filter_key({"region": ["NA", "EMEA", "NA"], "rep": [], "product": ["Core"]}) == (
        ("product", ("Core",)),
        ("region", ("EMEA", "NA")),
    )
    assert views.filter_key(None) == ()


def test_filters_text(catalog) -> None:  # type: ignore[no-untyped-def]
    assert views.filters_text({}, catalog) == "all data"
    assert views.filters_text({"region": ["NA", "EMEA"]}, catalog) == "Region: EMEA, NA"


def test_owners_and_target_words() -> None:
    assert views.owners_text(("sales", "marketing")) == "both"
    assert views.owners_text(("marketing",)) == "marketing"
    assert views.target_text(0.05, "percent", "higher_is_better", locale=USD) == "target ≥ 5.0%"
    assert views.target_text(8, "hours", "lower_is_better", locale=USD) == "target ≤ 8.0 h"
    assert views.target_text(None, "hours", "lower_is_better", locale=USD) == ""


def test_week_text_within_and_across_months() -> None:
    assert views.week_text(cal.parse_week(CALENDAR, "2026-W47")) == "2026-W47 · 16–22 Nov 2026"
    assert views.week_text(cal.parse_week(CALENDAR, "2026-W40")) == "2026-W40 · 28 Sep – 4 Oct 2026"


def test_period_choices() -> None:
    weeks = views.week_choices(CALENDAR, NOW, count=3)
    assert [w.label for w in weeks] == ["2026-W47", "2026-W46", "2026-W45"]
    quarters = views.quarter_choices(CALENDAR, NOW, count=3)
    assert [q.label for q in quarters] == ["2026-Q4", "2026-Q3", "2026-Q2"]
    assert views.last_complete_quarter(CALENDAR, NOW).label == "2026-Q3"
    assert views.default_range(CALENDAR, NOW) == (dt.date(2025, 11, 24), dt.date(2026, 11, 22))


def test_judgeable_range_ends_with_the_newest_mature_cohort(catalog) -> None:  # type: ignore[no-untyped-def]
    first, last = views.judgeable_range(catalog, NOW)
    # lead_to_close has a 220-day window: W47 ends 22 Nov; 220 days earlier is 16 Apr (a Thursday),
    # so the newest cohort week wholly before it is 6-12 Apr (2026-W15).
    assert last == dt.date(2026, 4, 12)
    assert first == dt.date(2025, 4, 14)  # 52 weeks


def test_as_of_is_the_end_of_the_range_or_the_start_of_today() -> None:
    assert views.as_of(CALENDAR, dt.date(2026, 6, 30), NOW) == dt.datetime(2026, 7, 1)
    assert views.as_of(CALENDAR, dt.date(2026, 12, 31), NOW) == dt.datetime(2026, 11, 25)


def test_trend_frame_fills_missing_periods_and_flags_maturity(catalog) -> None:  # type: ignore[no-untyped-def]
    weeks = cal.weeks_ending(CALENDAR, cal.parse_week(CALENDAR, "2026-W47"), 3)
    frame = pd.DataFrame(
        {"period": [weeks[0].first, weeks[2].first], "value": [0.04, 0.02], "n": [100, 10]}
    )
    metric = catalog.metric("lead_to_close")  # min_sample 30, window 220 days
    trend = frames.trend_frame(frame, weeks, metric, NOW)
    assert trend["period"].tolist() == ["2026-W45", "2026-W46", "2026-W47"]
    assert trend["value"].tolist()[0] == 0.04 and trend["value"].isna().tolist() == [False, True, False]
    assert trend["value_text"].tolist() == ["4.0%", "–", "2.0%"]
    assert trend["low_sample"].tolist() == [False, True, True]
    assert trend["mature"].tolist() == [False, False, False]
    assert frames.has_data(trend)
    assert not frames.has_data(trend.assign(n=0))


def test_breakdown_frame_orders_best_first_and_judges_each_value(catalog) -> None:  # type: ignore[no-untyped-def]
    period = cal.parse_week(CALENDAR, "2026-W47")
    frame = pd.DataFrame(
        {"period": [period.first] * 3, "d_region": ["NA", "EMEA", None], "value": [0.5, 0.1, 0.3], "n": [20, 40, 5]}
    )
    # Unworked leads: lower is better.
    unworked = frames.breakdown_frame(frame, "region", catalog.metric("unworked_leads"), period, catalog=catalog)
    assert unworked["group"].tolist() == ["EMEA", "NA"]
    assert unworked["status"].tolist() == ["green", "red"]  # green <= 10%, amber <= 20%
    wins = frames.breakdown_frame(frame, "region", catalog.metric("win_rate"), period, catalog=catalog)
    assert wins["group"].tolist() == ["NA", "EMEA"]
    # Unworked leads in NA rest on 20 leads (min_sample 20): judged. With 19 it is not coloured.
    thin = frames.breakdown_frame(frame.assign(n=[19, 40, 5]), "region", catalog.metric("unworked_leads"), period,
                                 catalog=catalog)
    assert thin["status"].tolist() == ["green", "none"]


def test_ranking_frame_carries_tenure_and_context_by_rep() -> None:
    period = cal.parse_period(CALENDAR, "2026-Q3")
    ranking = Ranking(
        "attainment_rank",
        "quota_attainment",
        period,
        "region",
        (
            RankedRep("Ana", "EMEA", 1.2, 1.0, 1.0, "top", 40.0, tenure_months=30, peers=2,
                      context={"win_rate": 0.4, "deals_closed": 3.0}),
            RankedRep("Ben", "EMEA", 0.5, None, None, "not ranked", 3.0, "below minimum activity", tenure_months=7,
                      context={"win_rate": 0.1, "deals_closed": 0.0}),
            RankedRep("Cy", "NA", 0.9, 1.0, 1.0, "not tiered", 30.0, "1 reps ranked together, fewer than 8",
                      tenure_months=12, peers=1, context={"win_rate": None, "deals_closed": 1.0}),
        ),
        context={"deals_closed": "won_deals", "win_rate": "win_rate"},
    )
    frame = frames.ranking_frame(ranking)
    columns = ["rep", "attainment", "tier", "tenure_months", "deals_closed", "win_rate", "note"]
    assert frame[columns].values.tolist()[:2] == [
        ["Ana", 1.2, "top", 30, 3.0, 0.4, ""],
        ["Ben", 0.5, "not ranked", 7, 0.0, 0.1, "below minimum activity"],
    ]
    # A small group's reason is said once per group on the page; the detail view keeps it.
    assert frame["note"][2] == "" and "fewer than 8" in frame["reason"][2]
    bars = frames.attainment_frame(ranking, "percent", locale=USD)
    assert bars["value_text"].tolist() == ["120.0%", "90.0%", "50.0%"]


def test_quality_and_cost_margin_frames(catalog) -> None:  # type: ignore[no-untyped-def]
    period = cal.custom(CALENDAR, dt.date(2025, 1, 1), dt.date(2025, 12, 31))

    def one(values: dict[str, float], n: int = 50) -> pd.DataFrame:
        return pd.DataFrame(
            {"period": [period.first] * len(values), "d_campaign": list(values), "value": list(values.values()),
             "n": [n] * len(values)}
        )

    by_metric = {
        "leads_created": one({"Show": 200.0, "Referral": 20.0}),
        "campaign_won_deals": one({"Show": 2.0, "Referral": 4.0}),
        "cost_per_won_deal": one({"Show": 30_000.0, "Referral": 2_000.0}),
        "margin_per_won_deal": one({"Show": 10_000.0, "Referral": 12_000.0}),
        "cost_to_margin": one({"Show": 1.5, "Referral": 0.2}),
    }
    quality = frames.quality_frame(by_metric, "campaign", catalog, period)
    assert quality["group"].tolist() == ["Show", "Referral"]  # most leads first
    assert quality["cost_to_margin_status"].tolist() == ["red", "green"]
    assert quality["cost_per_won_deal_text"].tolist() == ["$30,000", "$2,000"]
    economics = frames.cost_margin_frame(quality)
    assert economics[["campaign", "won_deals", "status"]].values.tolist() == [
        ["Show", 2, "red"],
        ["Referral", 4, "green"],
    ]


def test_scorecard_query_matches_the_weeks_a_card_shows(catalog) -> None:  # type: ignore[no-untyped-def]
    week = cal.parse_week(CALENDAR, "2026-W47")
    plain = views.scorecard_query(catalog, "bookings", week, {"region": ["EMEA"]})
    assert [p.label for p in plain.periods][-1] == "2026-W47" and len(plain.periods) == 12
    assert plain.filters == (("region", ("EMEA",)),)
    cohort = views.scorecard_query(catalog, "lead_to_close", week)
    assert cohort.periods[-1].label == "2026-W15"  # 220 days before Nov 22 is Thu Apr 16: W15 (Apr 6-12)
    assert cohort.as_of == week.end


def test_short_names_stay_unique_and_keep_both_ends() -> None:
    names = [
        "Paid search: revenue analytics (NA) Q3 2025",
        "Paid search: revenue analytics (NA) Q1 2026",
        "Paid search: revenue analytics (EMEA) Q3 2025",
        "referral",
    ]
    short = frames.short_names(names, limit=30)
    assert short["referral"] == "referral"
    assert short["Paid search: revenue analytics (NA) Q3 2025"] == "Paid search: reve…(NA) Q3 2025"
    assert short["Paid search: revenue analytics (EMEA) Q3 2025"] == "Paid search: re…(EMEA) Q3 2025"
    assert len(set(short.values())) == len(names)
    # Two names that differ only in the middle get longer labels rather than the same one.
    twins = frames.short_names(["Alpha campaign one xx final", "Alpha campaign two xx final"], limit=12)
    assert len(set(twins.values())) == 2


def test_tables_show_a_dash_for_missing_values_and_format_numbers_like_the_cards() -> None:
    from scorecard.language.settings import Locale

    frame = pd.DataFrame(
        {
            "group": ["A", None, "C"],
            "won": [3.0, float("nan"), None],
            "cost": [1234.5, None, 20.0],
            "rate": [0.25, 0.5, float("nan")],
        }
    )
    columns = [("group", "Campaign", None), ("won", "Won deals", "count"), ("cost", "Cost", "currency"),
               ("rate", "Rate", "percent")]
    shown = frames.table_frame(frame, columns)
    assert list(shown.columns) == ["Campaign", "Won deals", "Cost", "Rate"]
    assert shown["Campaign"].tolist() == ["A", "–", "C"]
    assert shown["Won deals"].dtype == "float64"  # numbers stay numbers, so they sort
    html = frames.table_styler(frame, columns, locale=USD).to_html()
    for word in ("None", "nan", "NaN", "NaT"):
        assert f">{word}<" not in html
    assert ">$1,234<" in html and ">25.0%<" in html and ">3<" in html and ">–<" in html
    euro = Locale(code="EUR", symbol="€", symbol_position="after", thousands=".", decimal=",")
    html = frames.table_styler(frame, columns, locale=euro).to_html()
    assert ">1.234\u00a0€<" in html and ">25,0%<" in html


def test_freshness_is_one_latest_stamp_per_table() -> None:
    from types import SimpleNamespace

    tables = [
        SimpleNamespace(table="products", rows=5, latest={}),
        SimpleNamespace(table="leads", rows=30_000, latest={
            "created_at": dt.datetime(2026, 11, 30, 21, 46), "converted_at": dt.datetime(2026, 11, 30, 23, 44),
            "rejected_at": None}),
        # A planned end date after today is a plan, not news: the start date is the latest event.
        SimpleNamespace(table="campaigns", rows=283, latest={
            "start_date": dt.date(2026, 11, 10), "end_date": dt.date(2026, 12, 31)}),
        SimpleNamespace(table="quotas", rows=4, latest={"period_end": dt.date(2027, 3, 31)}),
    ]
    frame = frames.freshness_frame(tables, now=dt.datetime(2026, 12, 1))
    assert frame.to_dict("records") == [
        {"table": "products", "rows": 5, "latest": "–", "from": "–"},
        {"table": "leads", "rows": 30_000, "latest": "2026-11-30 23:44", "from": "converted_at"},
        {"table": "campaigns", "rows": 283, "latest": "2026-11-10", "from": "start_date"},
        {"table": "quotas", "rows": 4, "latest": "2027-03-31", "from": "period_end"},  # only a future date
    ]


def test_a_change_that_rounds_to_zero_is_neither_good_nor_bad() -> None:
    from scorecard.judge.noise import Change
    from scorecard.judge.weekly import ScorecardRow

    def row(delta: float, unit: str = "hours") -> ScorecardRow:
        return ScorecardRow(
            metric="speed_to_lead", label="Speed to lead", section="sales", owners=("sales",), format=unit,
            direction="lower_is_better", value=4.0, previous=4.0 - delta, delta=delta, target=8.0, status="green",
            n=40, low_sample=False, min_sample=20, trend=(), week="2026-W47", judgeable=True,
            change=Change(delta, delta - 0.5, delta + 0.5, True, "order-statistic z"),  # beyond its noise
        )

    assert views.change_tone(row(0.0004)) == "none" and views.delta_text(row(0.0004), locale=USD) == "no change"
    assert views.change_tone(row(-1.0)) == "good" and views.delta_text(row(-1.0), locale=USD) == "-1.0 h"
    assert views.change_tone(row(1.0)) == "bad"
    assert views.delta_text(row(-280_638.0, "currency"), compact=True, locale=USD) == "-$280.6k"
    # The same -1.0 h within its noise (its interval -3 h to +1 h holds no change) is neither.
    quiet = dataclasses.replace(row(-1.0), change=Change(-1.0, -3.0, 1.0, False, "order-statistic z"))
    assert views.change_tone(quiet) == "none" and quiet.improved is None
    assert views.noise_text(quiet, locale=USD) == "within noise (±2.0 h at this volume)"
    assert views.noise_text(row(-1.0), locale=USD) == "beyond noise"


def test_ends_of_keeps_the_best_and_the_worst() -> None:
    frame = pd.DataFrame({"group": [f"c{i}" for i in range(40)]})
    assert frames.ends_of(frame, 30)["group"].tolist() == [f"c{i}" for i in (*range(15), *range(25, 40))]
    assert len(frames.ends_of(frame.head(30), 30)) == 30
