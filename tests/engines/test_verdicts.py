"""Verdicts the data can support: no input, low sample, provisional, not applicable, windows,
multi-path dimensions and filters that match nothing, on DuckDB, SQLite and PostgreSQL.

Every expected value is worked out by hand from tests/fixtures/tiny.py (W02 = Jan 5-11,
W03 = Jan 12-18 2026; the latest event in the fixture is O3's close on Fri Jan 16).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from scorecard.catalog.load import Catalog, check_text, load_catalog
from scorecard.cli.main import main
from scorecard.judge import filters as filter_checks
from scorecard.judge import readiness, weekly
from scorecard.language import periods
from scorecard.store import model
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database, bulk_insert, create_schema, refresh_maintained
from tests.fixtures import tiny


def _catalog(*replacements: tuple[str, str]) -> Catalog:
    text = DEFAULT_METRICS.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    catalog, issues = check_text(text, "m.yaml")
    assert catalog is not None, issues
    return catalog


def _week(catalog: Catalog, label: str = "2026-W03") -> periods.Period:
    return periods.parse_week(catalog.calendar, label)


@pytest.fixture
def tiny_db(any_db: Database) -> Database:
    return tiny.load(any_db)


def _only_won(db: Database) -> Database:
    return tiny.load_only_won(db)


# --- judged or not -------------------------------------------------------------------------------


def test_low_sample_is_never_coloured(tiny_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    row = weekly.build(tiny_db, catalog, _week(catalog), metrics=["win_rate"]).row("win_rate")
    # W03 closes: O2 won (Jan 15), O5 won (Jan 14), O3 lost (Jan 16): 2 of 3, below min_sample 10.
    assert row.value == pytest.approx(2 / 3) and row.n == 3
    assert (row.judgeable, row.status, row.flags, row.verdict) == (False, "none", ("low_sample",), "not judged")
    assert row.reason == "only 3 deals in the week; at least 10 are needed to judge (read it over 4 or 13 weeks)"


def test_enough_sample_is_judged(tiny_db: Database):
    catalog = _catalog(
        (
            "    min_sample: 10\n    target: {green: 0.3, amber: 0.2, example: true}",
            "    min_sample: 3\n    target: {green: 0.3, amber: 0.2, example: true}",
        )
    )
    row = weekly.build(tiny_db, catalog, _week(catalog), metrics=["win_rate"]).row("win_rate")
    # 2/3 >= green 0.30, but on 3 deals its 95% Wilson interval (statsmodels: 20.8% to 93.9%)
    # reaches below 30%: judged, and near target within noise rather than green.
    low, high = proportion_confint(2, 3, alpha=0.05, method="wilson")
    assert row.interval == pytest.approx((low, high)) and low < 0.3 < high
    assert (row.judgeable, row.status, row.flags, row.verdict) == (True, "amber", ("within_noise",), "near target")
    assert row.reason is not None and row.reason.startswith("near target, within noise")


def test_metric_without_target_is_judgeable_but_uncoloured(tiny_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    row = weekly.build(tiny_db, catalog, _week(catalog), metrics=["bookings"]).row("bookings")
    # O2 5000 + O5 3000 won in W03.
    assert (row.value, row.judgeable, row.status, row.flags, row.verdict) == (
        8000,
        True,
        "none",
        ("no_target",),
        "no target",
    )


def test_filter_that_does_not_reach_a_metric_says_why_in_plain_words(tiny_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    card = weekly.build(
        tiny_db, catalog, _week(catalog), {"product": ["Core"]}, metrics=["quota_attainment", "bookings"]
    )
    row = card.row("quota_attainment")
    assert (row.value, row.status, row.judgeable, row.flags) == (None, "none", False, ("not_applicable",))
    assert row.reason == "Quota attainment can't be split by product: quotas are set per rep and period"
    # Core won deals in W03: O2 5000 + O5 3000.
    assert card.row("bookings").value == 8000


def test_an_export_missing_inputs_judges_nothing_that_needs_them(make_db: Callable[[str], Database], engine_kind: str):
    db = _only_won(make_db(engine_kind))
    catalog = load_catalog(DEFAULT_METRICS)
    ready = readiness.check(db, catalog)
    expect = {
        "win_rate": ["the data has no lost deals, so every closed deal would read as won"],
        "calls_per_close": ["no activities are in this data", "no calls are logged in this data"],
        "unworked_leads": ["no sales activity on leads is logged in this data"],
        "quota_attainment": ["no quotas are in this data"],
        "cycle_days_median": [
            "every won deal closed on the day it was created, so the data has no real creation dates"
        ],
        "channel_conflict_rate": ["the data has no partner deals, so there is no channel conflict to measure"],
    }
    for metric, reasons in expect.items():
        got = ready.of(metric)
        assert got is not None and not got.ready, metric
        for reason in reasons:
            assert reason in got.reasons, (metric, got.reasons)
    # first_touch_at is empty on every lead once no activity exists: the engine catches that undeclared.
    assert "no lead in this data has a logged sales activity" in ready.of("speed_to_lead").reasons  # type: ignore[union-attr]
    assert ready.of("bookings").ready and ready.of("leads_created").ready  # type: ignore[union-attr]
    card = weekly.build(db, catalog, _week(catalog), ready=ready)
    for row in card.rows:
        if not ready.of(row.metric).ready:  # type: ignore[union-attr]
            assert row.status == "none" and not row.judgeable and "no_input" in row.flags, row.metric
            assert row.reason and row.reason.startswith("not judged: "), row.metric
    win = card.row("win_rate")
    # Only won deals: 2 of 2 closed in W03 read 100%, and must not be green.
    assert win.value == 1.0 and win.status == "none"
    ready_count, total = ready.scorecard_counts()
    assert ready.summary() == f"your data supports {ready_count} of {total} scorecard metrics" and ready_count < total


# --- settled or provisional -----------------------------------------------------------------------


def test_a_week_that_can_still_change_is_not_judged_the_settled_one_is(tiny_db: Database):
    catalog = _catalog(
        (
            "    min_sample: 20\n    target: {green: 0.5, amber: 0.35, example: true}",
            "    min_sample: 0\n    target: {green: 0.5, amber: 0.35, example: true}",
        )
    )
    ready = readiness.check(tiny_db, catalog)
    assert ready.data_end == dt.datetime(2026, 1, 16)  # O3 closed, the latest event
    # As if the export had been taken on Jan 27: W02 ended Jan 12, +14 days = Jan 26, settled;
    # W03 ends Jan 19, +14 = Feb 2, still open to accepts and rejects.
    later = dataclasses.replace(ready, data_end=dt.datetime(2026, 1, 27))
    row = weekly.build(tiny_db, catalog, _week(catalog), metrics=["sales_accept_rate"], ready=later).row(
        "sales_accept_rate"
    )
    # W02 MQLs: L1 accepted, L2 rejected, L3 accepted, L4 accepted -> 3/4 >= 0.5, judged; on 4 leads
    # its Wilson interval (30% to 95%) reaches below 50%, so near target within noise.
    assert (row.value, row.n, row.settled, row.period, row.status) == (0.75, 4, "2026-W02", "2026-W02", "amber")
    assert row.judgeable and row.within_noise
    # W03 so far: L5 accepted, L7 not yet -> 1/2, shown beside, never judged.
    assert row.provisional == 0.5 and row.trend[-1].provisional and not row.trend[-2].provisional
    assert row.judgeable and row.flags == ("within_noise",)


def test_no_settled_week_in_reach_is_provisional_and_uncoloured(tiny_db: Database):
    catalog = _catalog(
        (
            "    min_sample: 20\n    target: {green: 0.5, amber: 0.35, example: true}",
            "    min_sample: 0\n    target: {green: 0.5, amber: 0.35, example: true}",
        ),
        ("    settles_after: 14 ", "    settles_after: 3000 "),
    )
    row = weekly.build(tiny_db, catalog, _week(catalog), metrics=["sales_accept_rate"]).row("sales_accept_rate")
    assert (row.value, row.status, row.judgeable, row.flags) == (0.5, "none", False, ("provisional",))
    assert row.reason is not None and "settles 3000 days after it ends" in row.reason


# --- windows --------------------------------------------------------------------------------------


def test_windows_widen_the_sample(tiny_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    card = weekly.build(tiny_db, catalog, _week(catalog), metrics=["win_rate", "bookings"], window="4w")
    win = card.row("win_rate")
    # Dec 22 - Jan 18: O1 won, O4 lost (Jan 11 23:00), O5 won, O2 won, O3 lost -> 3 of 5.
    assert (win.value, win.n, win.window, win.period) == (pytest.approx(0.6), 5, "4w", "2025-W52–2026-W03")
    assert win.previous is None  # Nov 24 - Dec 21: no closes
    assert card.row("bookings").value == 9000


def test_quota_attainment_reads_quarter_to_date_by_default(tiny_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    row = weekly.build(tiny_db, catalog, _week(catalog), metrics=["quota_attainment"]).row("quota_attainment")
    # Jan 1-18: won 1000 + 5000 + 3000 = 9000 over quota 18 days x (1000 + 500) = 27000.
    assert row.window == "qtd" and row.period == "2026-Q1 to 18 Jan"
    assert row.value == pytest.approx(1 / 3) and row.n == 3
    # 33% against green 100% / amber 80% -> red, judged on 3 wins (min_sample 3).
    assert row.status == "red" and row.judgeable
    # Same days of Q4 2025 (Oct 1-18): no quota was set then, so there is nothing to compare with.
    assert row.previous is None and row.delta is None


def test_window_periods():
    catalog = load_catalog(DEFAULT_METRICS)
    cal = catalog.calendar
    w = _week(catalog)
    assert [(p.first, p.last) for p in periods.windows_ending(cal, "13w", w, 2)] == [
        (dt.date(2025, 7, 21), dt.date(2025, 10, 19)),
        (dt.date(2025, 10, 20), dt.date(2026, 1, 18)),
    ]
    mtd = periods.windows_ending(cal, "mtd", w, 2)
    assert [(p.first, p.last, p.label) for p in mtd] == [
        (dt.date(2025, 12, 1), dt.date(2025, 12, 18), "2025-12 to 18 Dec"),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 18), "2026-01 to 18 Jan"),
    ]
    # A longer month before a shorter one: Mar 31 to date compares with Feb 1 to 28.
    march_end = periods.parse_week(cal, "2026-03-31")  # week Mar 30 - Apr 5
    feb = periods.window_ending(cal, "mtd", march_end, 2)
    assert (feb.first, feb.last) == (dt.date(2026, 2, 1), dt.date(2026, 2, 5))


# --- dimensions with more than one path -------------------------------------------------------------


def test_calls_on_deals_reach_the_lead_source_through_the_deals_lead(tiny_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    row = weekly.build(tiny_db, catalog, _week(catalog), {"source": ["referral"]}, metrics=["calls_per_close"]).row(
        "calls_per_close"
    )
    # W03 referral wins: O2 (lead L3, referral). Calls logged on O2 itself (no lead link): A8, A9, A10,
    # and the call on its lead L3 before it became a deal (A3): the whole journey => 4 calls.
    assert (row.value, row.n) == (4.0, 1)


def test_breakdown_by_source_puts_deal_calls_under_the_deals_source(tiny_db: Database):
    from scorecard.engine.runner import Runner
    from scorecard.sql.query import Query

    catalog = load_catalog(DEFAULT_METRICS)
    query = Query.build([_week(catalog)], group_by=["source"])
    frame = Runner(tiny_db, catalog).run("calls_per_close", query)
    got = {r.d_source: (r.numerator, r.denominator) for r in frame.itertuples()}
    # O2 (referral): A3 on its lead + A8 A9 A10 on the deal = 4 calls / 1 win; O5 (no lead): A11, A14 = 2 / 1.
    assert got == {"referral": (4.0, 1.0), None: (2.0, 1.0)}


# --- filters that match nothing -----------------------------------------------------------------


def test_filter_value_absent_from_the_data_is_named(tiny_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    problems = filter_checks.check(tiny_db, catalog, {"region": ["Eurpoe", "EMEA"], "source": ["referal"]})
    assert problems == [
        "no rep, account, campaign, lead or deal has region 'Eurpoe'; values: EMEA, NA",
        "no lead has lead source 'referal' (did you mean 'referral'?); values: referral, trade_show, webinar",
    ]


def test_cli_refuses_a_filter_that_matches_nothing(tmp_path, capsys):  # type: ignore[no-untyped-def]
    path = tmp_path / "tiny.duckdb"
    tiny.load(Database.open(path))
    code = main(["report", "--db", str(path), "--week", "2026-W03", "--filter", "region=Eurpoe"])
    _, err = capsys.readouterr()
    assert code == 1 and err.strip() == (
        "error: --filter: no rep, account, campaign, lead or deal has region 'Eurpoe'; values: EMEA, NA"
    )


def test_report_json_carries_the_verdict_contract(tmp_path, capsys):  # type: ignore[no-untyped-def]
    path = tmp_path / "won.duckdb"
    _only_won(Database.open(path))
    code = main(["report", "--db", str(path), "--week", "2026-W03", "--format", "json"])
    rows = {r["metric"]: r for r in json.loads(capsys.readouterr().out)}
    assert code == 0
    for row in rows.values():
        assert set(row["flags"]) <= {"no_input", "low_sample", "provisional", "not_applicable", "no_target"}
        assert row["status"] in ("green", "amber", "red", "none")
        if row["status"] != "none":
            assert row["judgeable"] is True and not set(row["flags"]) - {"no_target"}
        if not row["judgeable"]:
            assert row["status"] == "none" and row["reason"]
    assert rows["win_rate"]["flags"] == ["no_input", "low_sample"] and rows["win_rate"]["value"] == 1.0
    assert rows["quota_attainment"]["window"] == "qtd"


def test_doctor_lists_what_each_metric_needs(tmp_path, capsys):  # type: ignore[no-untyped-def]
    path = tmp_path / "won.duckdb"
    _only_won(Database.open(path))
    assert main(["doctor", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    shown = sum(1 for m in load_catalog(DEFAULT_METRICS).scorecard_metrics() if m.type != "rank")  # type: ignore[attr-defined]
    assert re.search(rf"^Your data supports \d+ of {shown} scorecard metrics\.$", out, re.M)
    assert re.search(r"^  Win rate +NOT READY\n +- the data has no lost deals", out, re.M)
    # opportunities: 3 won deals, every column the catalog reads filled except lead_id on O5.
    assert re.search(r"^  opportunities +3 rows  2026-01-09 to 2026-01-15$", out, re.M)
    assert re.search(r"^      lead_id +66\.6%$", out, re.M)
    assert main(["doctor", "--db", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_table = {t["table"]: t for t in data["tables"]}
    assert by_table["activities"]["rows"] == 0 and by_table["quotas"]["rows"] == 0
    assert {m["metric"]: m["ready"] for m in data["metrics"]}["bookings"] is True


def test_only_won_fixture_is_what_it_says():
    frames = tiny.frames()
    won = frames["opportunities"][frames["opportunities"]["is_won"].astype(bool)]
    assert list(won["id"]) == ["O1", "O2", "O5"] and pd.notna(won["closed_at"]).all()


def test_ranking_refuses_to_rank_on_data_that_is_not_there(tmp_path, capsys):  # type: ignore[no-untyped-def]
    # A leads-only export: no deals (so no bookings to fall back on) and no quotas.
    path = tmp_path / "leads.duckdb"
    db = Database.open(path)
    tables = tiny.frames()
    with db.writer() as conn:
        create_schema(conn)
        for name in ("reps", "campaigns", "leads"):
            bulk_insert(conn, model.TABLES[name], tables[name])
        refresh_maintained(conn)
    code = main(["ranking", "--db", str(path), "--period", "2026-Q1"])
    err = capsys.readouterr().err
    assert code == 1 and err.strip() == (
        "error: no forced ranking: no deals are in this data; no quotas are in this data; "
        "ranking reps on it would rank them on nothing"
    )
