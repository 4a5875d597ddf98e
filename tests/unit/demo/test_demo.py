"""The demo data: deterministic, loads on every engine, and tells the product's stories.

Every expected property is measured here by SQL written in this file against a built
database, never read from scorecard.demo's internals.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from scorecard.cli.main import main
from scorecard.demo import generate as demo
from scorecard.store import model
from scorecard.store.db import Database, table_counts

TODAY = dt.date(2026, 5, 13)  # a Wednesday
WEEK_START = TODAY - dt.timedelta(days=TODAY.weekday())
END_OF_TODAY = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time())
STORY_LEADS = 40_000
SMALL_LEADS = 3_000


@pytest.fixture(scope="module")
def story_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A 40,000-lead DuckDB demo database, built once for the module."""
    db = Database.open(tmp_path_factory.mktemp("demo") / "story.duckdb")
    demo.build(db, leads=STORY_LEADS, today=TODAY)
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def story(story_db: Database) -> Iterator[sa.Connection]:
    """A read connection to the story database."""
    with story_db.engine().connect() as conn:
        yield conn


def one(conn: sa.Connection, sql: str, **params: Any) -> sa.Row[Any]:
    return conn.execute(sa.text(sql), params).one()


def value(conn: sa.Connection, sql: str, **params: Any) -> Any:
    return conn.execute(sa.text(sql), params).scalar_one()


def by_key(conn: sa.Connection, sql: str, **params: Any) -> dict[str, Any]:
    """First column -> second column, for grouped queries."""
    return {row[0]: row[1] for row in conn.execute(sa.text(sql), params)}


# --- generation ----------------------------------------------------------------------


def test_same_seed_and_day_give_identical_frames_and_another_seed_does_not() -> None:
    first = demo.generate(SMALL_LEADS, 11, TODAY)
    second = demo.generate(SMALL_LEADS, 11, TODAY)
    other = demo.generate(SMALL_LEADS, 12, TODAY)
    assert list(first) == [t.name for t in model.CRM_TABLES]
    for name, frame in first.items():
        maintained = model.MAINTAINED.get(name, ())  # computed by the load, not generated
        assert list(frame.columns) == [c.name for c in model.TABLES[name].c if c.name not in maintained], name
        pd.testing.assert_frame_equal(frame, second[name], obj=name)
    assert len(first["leads"]) == SMALL_LEADS
    assert not first["leads"]["created_at"].equals(other["leads"]["created_at"])
    assert not first["reps"]["name"].equals(other["reps"]["name"])


def test_too_few_leads_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        demo.generate(10, 1, TODAY)


def test_progress_runs_forward_to_one() -> None:
    seen: list[tuple[str, float]] = []
    demo.generate(SMALL_LEADS, 1, TODAY, progress=lambda step, fraction: seen.append((step, fraction)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(step for step, _ in seen)


def test_terminal_progress_draws_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    demo.terminal_progress("Loading leads", 0.5)
    demo.terminal_progress("Done", 1.0)
    err = capsys.readouterr().err
    first, last = err.split("\r")[1:]
    assert "Loading leads" in first and "50%" in first and "\n" not in first
    assert "100%" in last and last.endswith("\n")


# --- loading -------------------------------------------------------------------------


def test_build_loads_every_row_and_replaces_the_previous_demo(any_db: Database) -> None:
    summary = demo.build(any_db, leads=SMALL_LEADS, seed=5, today=TODAY)
    frames = demo.generate(SMALL_LEADS, 5, TODAY)
    with any_db.engine().connect() as conn:
        counts = table_counts(conn)
        detail = json.loads(value(conn, "select detail from loads where id = 1 and kind = 'demo'"))
    assert {name: counts[name] for name in frames} == {name: len(f) for name, f in frames.items()}
    assert dict(summary.rows) == {name: len(f) for name, f in frames.items()}
    assert detail["seed"] == 5 and detail["leads"] == SMALL_LEADS and detail["today"] == TODAY.isoformat()
    assert "3,000 leads" in str(summary) and "activities" in str(summary)

    demo.build(any_db, leads=2_000, seed=6, today=TODAY)
    with any_db.engine().connect() as conn:
        counts = table_counts(conn)
    assert counts["leads"] == 2_000 and counts["loads"] == 1
    assert counts["opportunities"] == len(demo.generate(2_000, 6, TODAY)["opportunities"])


def test_cli_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = str(tmp_path / "demo.duckdb")
    assert main(["demo", "--db", target, "--leads", "1000", "--seed", "1"]) == 0
    assert "1,000 leads" in capsys.readouterr().out

    assert main(["demo", "--db", target, "--leads", "1000", "--seed", "2"]) == 1
    err = capsys.readouterr().err
    assert "already holds data" in err and "--force" in err and "Traceback" not in err

    assert main(["demo", "--db", target, "--leads", "1200", "--seed", "2", "--force"]) == 0
    capsys.readouterr()
    with Database.open(target).engine().connect() as conn:
        assert value(conn, "select count(*) from leads") == 1_200
        assert json.loads(value(conn, "select detail from loads"))["seed"] == 2

    assert main(["demo", "--db", str(tmp_path / "tiny.duckdb"), "--leads", "5"]) == 1
    assert "at least" in capsys.readouterr().err


# --- shape of the history ------------------------------------------------------------


def test_history_spans_two_years_and_ends_this_week(story: sa.Connection) -> None:
    first_lead = value(story, "select min(created_at) from leads")
    assert first_lead <= dt.datetime.combine(TODAY.replace(year=TODAY.year - 2), dt.time())
    latest = one(
        story,
        """select max(created_at), max(mql_at), max(accepted_at), max(rejected_at), max(converted_at),
                  (select max(created_at) from opportunities), (select max(closed_at) from opportunities),
                  (select max(occurred_at) from activities)
           from leads""",
    )
    assert all(moment < END_OF_TODAY for moment in latest), "nothing may happen after today"
    assert max(latest) >= dt.datetime.combine(WEEK_START, dt.time())
    assert value(story, "select max(created_at) from leads") >= dt.datetime.combine(TODAY, dt.time())


def test_lifecycle_is_consistent(story: sa.Connection) -> None:
    problems = one(
        story,
        """select
             (select count(*) from leads where mql_at < created_at or accepted_at < mql_at
                or rejected_at < mql_at or converted_at < accepted_at
                or (accepted_at is not null and rejected_at is not null)
                or (converted_at is null) <> (opportunity_id is null)),
             (select count(*) from leads l join opportunities o on o.id = l.opportunity_id
               where o.lead_id <> l.id or o.created_at < l.converted_at),
             (select count(*) from opportunities o where o.lead_id is not null
                and not exists (select 1 from leads l where l.opportunity_id = o.id)),
             (select count(*) from opportunities where closed_at < created_at or amount > list_amount
                or (closed_at is null) <> (stage in ('prospecting', 'qualification', 'proposal', 'negotiation'))
                or is_won <> (stage = 'won') or (channel = 'partner') <> (partner_id is not null)),
             (select count(*) from activities a join leads l on l.id = a.lead_id
               where a.occurred_at < l.mql_at or a.occurred_at > l.converted_at),
             (select count(*) from activities a join opportunities o on o.id = a.opportunity_id
               where a.occurred_at < o.created_at or a.occurred_at > o.closed_at)""",
    )
    assert tuple(problems) == (0, 0, 0, 0, 0, 0)


def test_reference_data_looks_like_a_company(story: sa.Connection) -> None:
    assert value(story, "select count(*) from products where margin_rate between 0.45 and 0.85") >= 4
    assert set(by_key(story, "select distinct region, 1 from reps where role = 'ae'")) >= {
        "NA",
        "EMEA",
        "APAC",
        "LATAM",
    }
    roles = by_key(story, "select role, count(*) from reps group by 1")
    assert {"ae", "sdr", "manager", "marketer", "partner_manager"} <= set(roles)
    assert set(by_key(story, "select team, 1 from reps group by 1")) == {"sales", "marketing", "partner"}
    orphans = value(
        story,
        """select count(*) from reps r left join reps m on m.id = r.manager_id
           where r.role in ('ae', 'sdr') and (m.role is distinct from 'manager' or r.hire_date is null)""",
    )
    assert orphans == 0
    assert value(story, "select count(*) from reps where name not like '% %'") == 0
    channels = set(by_key(story, "select channel, 1 from campaigns group by 1"))
    assert {"trade_show", "webinar", "paid_search", "content", "partner", "outbound", "referral"} <= channels
    assert value(story, "select count(*) from campaigns where channel = 'trade_show' and name like '% booth'") > 0
    assert set(by_key(story, "select segment, 1 from accounts group by 1")) == {"smb", "mid_market", "enterprise"}
    sales_sourced = value(story, "select avg(case when lead_id is null then 1.0 else 0 end) from opportunities")
    assert 0.15 < sales_sourced < 0.4


def test_every_ae_has_a_quota_for_each_quarter_employed(story: sa.Connection) -> None:
    quarters = value(
        story,
        "select count(distinct period_start) from quotas where period_start >= "
        "(select date_trunc('quarter', min(created_at)) from leads)",
    )
    assert quarters >= 8
    gaps = value(
        story,
        """select count(*) from reps r
           where r.role = 'ae' and (select count(*) from quotas q where q.rep_id = r.id
                  and q.period_end >= r.hire_date) <> :quarters
             and r.hire_date < (select min(created_at) from leads)""",
        quarters=quarters,
    )
    assert gaps == 0
    bad_periods = value(
        story,
        """select count(*) from quotas where period_start <> date_trunc('quarter', period_start)
             or period_end <> period_start + interval 3 month - interval 1 day or amount <= 0""",
    )
    assert bad_periods == 0


# --- the stories ---------------------------------------------------------------------


def test_trade_shows_bring_the_most_leads_and_referrals_the_best(story: sa.Connection) -> None:
    per_source = story.execute(
        sa.text(
            """select l.source, count(*) as leads,
                      avg(case when o.is_won then 1.0 else 0.0 end) as lead_to_close
               from leads l left join opportunities o on o.id = l.opportunity_id
               group by 1 order by leads desc"""
        )
    ).all()
    sources = {row.source: row for row in per_source}
    assert per_source[0].source == "trade_show"
    assert {"trade_show", "webinar", "paid_search", "content", "partner", "outbound", "referral"} <= set(sources)
    best = max(per_source, key=lambda row: row.lead_to_close)
    assert best.source == "referral"
    assert sources["trade_show"].lead_to_close < sources["referral"].lead_to_close / 3
    assert sources["referral"].leads < sources["trade_show"].leads / 4


def test_sales_cycles_run_from_weeks_to_a_year(story: sa.Connection) -> None:
    cycles = {
        row.segment: row
        for row in story.execute(
            sa.text(
                """select segment,
                          median(date_diff('second', created_at, closed_at) / 86400.0) as median,
                          quantile_cont(date_diff('second', created_at, closed_at) / 86400.0, 0.9) as p90
                   from opportunities where is_won group by 1"""
            )
        )
    }
    assert 20 <= cycles["smb"].median <= 45
    assert 200 <= cycles["enterprise"].median <= 300
    assert 300 <= cycles["enterprise"].p90 <= 370
    assert cycles["enterprise"].median > 150 > cycles["smb"].median * 3
    assert cycles["smb"].median < cycles["mid_market"].median < cycles["enterprise"].median


def test_reps_differ_in_attainment_win_rate_and_calls_per_close(story: sa.Connection) -> None:
    attainment = [
        row[0]
        for row in story.execute(
            sa.text(
                """with recent as (select distinct period_start from quotas where period_end < :today
                                   order by period_start desc limit 4)
                   select coalesce(sum(o.amount), 0) / q.amount
                   from quotas q join recent using (period_start)
                   join reps r on r.id = q.rep_id and r.hire_date <= q.period_start - interval 1 year
                   left join opportunities o on o.owner_rep_id = q.rep_id and o.is_won
                        and o.closed_at >= q.period_start and o.closed_at < q.period_end + interval 1 day
                   group by q.rep_id, q.period_start, q.amount"""
            ),
            {"today": TODAY},
        )
    ]
    spread = pd.Series(attainment, dtype=float)  # seasoned AEs, last four complete quarters
    assert len(spread) >= 4 * 12
    assert spread.quantile(0.1) < 0.6 and spread.quantile(0.9) > 1.3
    assert 0.7 < spread.median() < 1.2

    per_rep = story.execute(
        sa.text(
            """select o.owner_rep_id,
                      avg(case when o.is_won then 1.0 else 0.0 end) as win_rate,
                      count(*) filter (where o.is_won) as won,
                      (select count(*) from activities a join opportunities w on w.id = a.opportunity_id
                        where w.owner_rep_id = o.owner_rep_id and w.is_won and a.type = 'call') as won_calls
               from opportunities o where o.closed_at is not null
               group by 1 having count(*) >= 30"""
        )
    ).all()
    win_rates = [row.win_rate for row in per_rep]
    calls_per_close = [row.won_calls / row.won for row in per_rep if row.won >= 10]
    assert max(win_rates) > 2 * min(win_rates)
    assert max(calls_per_close) > 2 * min(calls_per_close)


def test_flexible_terms_deals_cost_more_than_they_earn(story: sa.Connection) -> None:
    per_group = {
        row.flexible: row
        for row in story.execute(
            sa.text(
                """select c.name like '%Flexible terms%' as flexible, count(*) as won,
                          sum(o.cost_of_sale) / count(*) as cost_per_won,
                          sum(o.amount * p.margin_rate) / count(*) as margin_per_won
                   from opportunities o
                   join leads l on l.id = o.lead_id
                   join campaigns c on c.id = l.campaign_id
                   join products p on p.id = o.product_id
                   where o.is_won group by 1"""
            )
        )
    }
    flexible, others = per_group[True], per_group[False]
    assert flexible.won >= 20
    assert flexible.cost_per_won > flexible.margin_per_won
    assert others.cost_per_won < 0.5 * others.margin_per_won


def test_partner_deals_collide_with_direct_deals_on_shared_accounts(story: sa.Connection) -> None:
    counts = one(
        story,
        """with conflicts as (
             select p.id, a.ownership from opportunities p join accounts a on a.id = p.account_id
             where p.channel = 'partner' and exists (
               select 1 from opportunities d where d.account_id = p.account_id and d.channel = 'direct'
                 and d.created_at between p.created_at - interval 90 day and p.created_at + interval 90 day))
           select (select count(*) from opportunities where channel = 'partner') as partner_deals,
                  count(*) as conflicts, count(*) filter (where ownership = 'shared') as on_shared
           from conflicts""",
    )
    assert 0.08 <= counts.conflicts / counts.partner_deals <= 0.25
    assert counts.on_shared > 0.6 * counts.conflicts


def test_many_qualified_leads_go_unworked_and_one_region_is_slow(story: sa.Connection) -> None:
    unworked = value(
        story,
        """select avg(case when exists (select 1 from activities a where a.lead_id = l.id) then 0.0 else 1.0 end)
           from leads l where l.mql_at is not null""",
    )
    assert 0.15 <= unworked <= 0.25
    hours = by_key(
        story,
        """select l.region, median(date_diff('second', l.mql_at, f.first_touch) / 3600.0)
           from leads l join (select lead_id, min(occurred_at) as first_touch from activities
                              where lead_id is not null group by 1) f on f.lead_id = l.id
           group by 1""",
    )
    slow = [region for region, h in hours.items() if h > 48]
    assert len(slow) == 1 and len(hours) >= 4
    assert all(h < 8 for region, h in hours.items() if region not in slow)


def test_fewer_leads_at_weekends_late_december_and_august_and_growth(story: sa.Connection) -> None:
    per_weekday = by_key(story, "select isodow(created_at) >= 6, count(*) from leads group by 1")
    assert per_weekday[False] / 5 > 3 * per_weekday[True] / 2
    december = one(
        story,
        """select count(*) filter (where day(created_at) >= 20) / 12.0 as late,
                  count(*) filter (where day(created_at) < 20) / 19.0 as early
           from leads where month(created_at) = 12""",
    )
    assert december.late < 0.6 * december.early
    summer = by_key(story, "select month(created_at), count(*) from leads where month(created_at) in (7, 8) group by 1")
    assert summer[8] < 0.85 * summer[7]
    years = one(
        story,
        """select count(*) filter (where created_at >= :end - interval 364 day) as last_year,
                  count(*) filter (where created_at < :end - interval 364 day
                                   and created_at >= :end - interval 728 day) as year_before
           from leads""",
        end=END_OF_TODAY,
    )
    assert 1.15 < years.last_year / years.year_before < 1.5


def test_won_deals_take_many_calls(story: sa.Connection) -> None:
    calls = by_key(
        story,
        """select o.segment, count(a.id) * 1.0 / count(distinct o.id)
           from opportunities o left join activities a on a.opportunity_id = o.id and a.type = 'call'
           where o.is_won group by 1""",
    )
    assert 5 <= calls["smb"] < calls["mid_market"] < calls["enterprise"] <= 45
    assert calls["enterprise"] > 20


def test_lead_to_close_window_covers_nine_in_ten_won_cycles(story_db: Database, story: sa.Connection) -> None:
    """The default window follows the demo's own cycle, and `doctor` reports that cycle."""
    from scorecard.catalog.load import load_catalog
    from scorecard.judge import readiness
    from scorecard.store.config import DEFAULT_METRICS

    report = readiness.check(story_db, load_catalog(DEFAULT_METRICS), cycles=True)
    cycle = next(c for c in report.cycles if c.metric == "lead_to_close")
    assert not cycle.young and cycle.entered_before is not None
    measured = one(
        story,
        """select count(*) as won,
                  quantile_cont((epoch(o.closed_at) - epoch(l.created_at)) / 86400.0, 0.9) as p90,
                  avg(case when (epoch(o.closed_at) - epoch(l.created_at)) / 86400.0 <= 220 then 1.0 else 0.0 end)
                      as covered
           from leads l join opportunities o on o.id = l.opportunity_id
           where o.is_won and l.mql_at is not null and o.closed_at >= l.created_at and l.created_at < :before""",
        before=cycle.entered_before,
    )
    assert cycle.events == measured.won and cycle.days == pytest.approx(measured.p90)
    assert 0.85 <= measured.covered <= 0.95  # the 220-day window covers about 90% of won cycles


def test_flexible_terms_cost_more_than_they_earn_per_won_deal_by_campaign_cohort(
    story_db: Database, story: sa.Connection
) -> None:
    """The scorecard's cohort cost of winning tells the flexible-terms story; checked against plain SQL."""
    from scorecard.catalog.load import load_catalog
    from scorecard.engine.runner import Runner
    from scorecard.language import periods
    from scorecard.sql.query import Query
    from scorecard.store.config import DEFAULT_METRICS

    catalog = load_catalog(DEFAULT_METRICS)
    everything = periods.custom(catalog.calendar, dt.date(2023, 1, 1), dt.date(2027, 12, 31))
    query = Query.build((everything,), group_by=["campaign"], as_of=END_OF_TODAY)
    runner = Runner(story_db, catalog)
    cost, margin = (
        {r.d_campaign: r.value for r in runner.run(name, query).itertuples() if r.value == r.value}
        for name in ("cost_per_won_deal", "margin_per_won_deal")
    )
    expected = {
        row.name: row
        for row in story.execute(
            sa.text(
                """with won as (
                       select l.campaign_id, count(*) as won, sum(o.cost_of_sale) as cost_of_sale,
                              sum(o.amount * p.margin_rate) as margin
                       from opportunities o join leads l on l.id = o.lead_id
                       join products p on p.id = o.product_id
                       where o.is_won and l.campaign_id is not null and o.closed_at < :as_of
                         and (epoch(o.closed_at) - epoch(l.created_at)) / 86400.0 <= 220
                       group by 1)
                   select c.name, won.won, (c.cost + won.cost_of_sale) / won.won as cost_per_won,
                          won.margin / won.won as margin_per_won
                   from campaigns c join won on won.campaign_id = c.id"""
            ),
            {"as_of": END_OF_TODAY},
        )
    }
    flexible = [name for name in expected if "Flexible terms" in name]
    assert flexible and sum(expected[name].won for name in flexible) >= 20
    for name in flexible:
        assert cost[name] == pytest.approx(float(expected[name].cost_per_won))
        assert margin[name] == pytest.approx(float(expected[name].margin_per_won))
        assert cost[name] > margin[name]  # every flexible-terms win loses money
    others = [name for name in expected if name not in flexible and expected[name].won >= 5]
    losing = [name for name in others if cost[name] > margin[name]]
    assert len(losing) < len(others) / 4  # most campaigns earn more than their wins cost
