"""The compiler: no fan-out through one-to-many joins, nothing pasted into SQL, SQL snapshots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from scorecard.catalog.load import Catalog, check_text, load_catalog
from scorecard.engine.runner import Runner, metric_sql
from scorecard.language import periods
from scorecard.sql.query import Query
from scorecard.sql.resolve import CompileError
from scorecard.store import model
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database
from tests.conftest import ENGINES

SNAPSHOTS = Path(__file__).parent / "snapshots"

EXTRA = """
  - {name: opps_with_calls, label: Deals with a call, description: closed deals with at least one call logged,
     owners: both, type: count, of: opportunities, filter: "activities.type = 'call'", time: closed_at}
  - {name: amount_with_calls, label: Amount with a call, description: closed amount of deals with a call logged,
     owners: both, type: sum, of: opportunities, value: amount, filter: "activities.type = 'call'", time: closed_at}
  - {name: opps_two_calls, label: Two calls or more, description: closed deals with at least two calls logged,
     owners: both, type: count, of: opportunities, filter: "count(activities, type = 'call') >= 2", time: closed_at}
  - {name: touches_per_won, label: Touches per won deal, description: activities logged per won deal on average,
     owners: both, type: average, of: opportunities, value: "count(activities)", filter: is_won, time: closed_at}
  - {name: evil_filter, label: Evil, description: a filter whose literal looks like an injection attempt,
     owners: both, type: count, of: leads, filter: "source = 'x''; DROP TABLE leads; --'", time: created_at}
"""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    text = DEFAULT_METRICS.read_text() + EXTRA
    found, issues = check_text(text, "metrics+extra.yaml")
    assert found is not None, [str(i) for i in issues]
    return found



def two_weeks(catalog: Catalog, **kwargs: object) -> Query:
    w03 = periods.parse_week(catalog.calendar, "2026-W03")
    return Query.build(periods.weeks_ending(catalog.calendar, w03, 2), **kwargs)  # type: ignore[arg-type]


def values(frame) -> list[float]:  # type: ignore[no-untyped-def]
    return [float(v) for v in frame["value"]]


def test_filter_through_one_to_many_counts_each_deal_once(tiny_db: Database, catalog: Catalog):
    runner = Runner(tiny_db, catalog)
    # Closed W02: O1 (2 calls) yes, O4 (a meeting) no => 1. W03: O2 (3 calls), O3 (1), O5 (2) => 3.
    # A join to activities would count 2 and 6.
    assert values(runner.run("opps_with_calls", two_weeks(catalog))) == [1, 3]
    # Amounts: O1 1000 | O2 5000 + O3 2000 + O5 3000 = 10000 (a join would give 23000 in W03).
    assert values(runner.run("amount_with_calls", two_weeks(catalog))) == [1000, 10000]
    # At least two calls: O1 (2) | O2 (3), O5 (2).
    assert values(runner.run("opps_two_calls", two_weeks(catalog))) == [1, 2]
    # Activities per won deal: O1 has A5 A6 A7 => 3 | O2 A8 A9 A10 => 3, O5 A11 A14 => 2: 2.5.
    assert values(runner.run("touches_per_won", two_weeks(catalog))) == [3, 2.5]


def test_injection_in_filter_values_is_bound_as_data(tiny_db: Database, catalog: Catalog):
    runner = Runner(tiny_db, catalog)
    evil = "x'; DROP TABLE leads; --"
    frame = runner.run("leads_created", two_weeks(catalog, filters={"source": [evil]}))
    assert values(frame) == [0, 0]
    frame = runner.run("evil_filter", two_weeks(catalog))
    assert values(frame) == [0, 0]
    with tiny_db.engine().connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(model.leads)).scalar_one() == 7


def test_injection_in_yaml_expression_is_rejected():
    _, issues = check_text(
        DEFAULT_METRICS.read_text()
        + "  - {name: evil, label: Evil, description: an injection attempt in a filter expression, owners: both,"
        + " type: count, of: leads, filter: \"source = 'a'; DROP TABLE leads\", time: created_at}\n",
        "m.yaml",
    )
    assert [i.message for i in issues] == [
        "unexpected character ';' (at column 13 of \"source = 'a'; DROP TABLE leads\")"
    ]


def test_rendered_sql_quotes_filter_values(catalog: Catalog):
    text = metric_sql(
        catalog, "leads_created", two_weeks(catalog, filters={"source": ["x'; DROP TABLE leads; --"]}), "duckdb"
    )
    assert "IN ('x''; DROP TABLE leads; --')" in text[0][1]


def test_unknown_dimension_filter_is_an_error(tiny_db: Database, catalog: Catalog):
    with pytest.raises(CompileError, match="unknown dimension 'regoin'"):
        Runner(tiny_db, catalog).run("leads_created", two_weeks(catalog, filters={"regoin": ["EMEA"]}))


def test_dimension_that_does_not_reach_a_table_is_reported(tiny_db: Database, catalog: Catalog):
    runner = Runner(tiny_db, catalog)
    assert runner.supports("leads_created", ["region"]) is None
    reason = runner.supports("campaign_spend", ["rep"])
    assert reason == "Campaign spend can't be split by rep: campaign spend is set per campaign"
    reason = runner.supports("activities_logged", ["source"])
    assert reason is None  # calls on deals reach the source through the deal's lead


SNAPSHOT_METRICS = ("calls_per_close", "lead_to_close", "quota_attainment", "channel_conflict_rate", "speed_to_lead")


@pytest.mark.parametrize("dialect", ENGINES)
@pytest.mark.parametrize("metric", SNAPSHOT_METRICS)
def test_sql_snapshot(metric: str, dialect: str, update_snapshots: bool):
    """Generated SQL per dialect; refresh with `pytest --update-snapshots` and review the diff."""
    catalog = load_catalog(DEFAULT_METRICS)
    week = periods.parse_week(catalog.calendar, "2026-W03")
    query = Query.build(periods.weeks_ending(catalog.calendar, week, 2), filters={"region": ["EMEA"]}, as_of=week.end)
    text = "\n".join(sql for _, sql in metric_sql(catalog, metric, query, dialect)) + "\n"
    path = SNAPSHOTS / f"{metric}.{dialect}.sql"
    if update_snapshots or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        if not update_snapshots:
            pytest.fail(f"wrote new snapshot {path.name}; review it and commit")
    assert text == path.read_text(), f"SQL changed for {metric} on {dialect}; if intended: pytest --update-snapshots"


def test_timezone_moves_week_boundaries(tiny_db: Database):
    # In America/New_York (UTC-5), L5 created 2026-01-12 09:00 UTC is still Jan 12 04:00 local (W03),
    # but an event at 2026-01-12 03:00 UTC would be Jan 11 local. Shift the catalog to Pacific/Kiritimati
    # (UTC+14): L4 created 2026-01-08 12:00 UTC is Jan 9 local (W02) and L1..L4 stay in W02, while
    # L7 (Jan 14 10:00 UTC) -> Jan 15 local (W03). Leads created near a boundary: none, so counts hold;
    # with UTC-12 (Etc/GMT+12), L5 (Jan 12 09:00 UTC) becomes Jan 11 21:00 local -> W02.
    text = DEFAULT_METRICS.read_text().replace("timezone: UTC", "timezone: Etc/GMT+12")
    catalog, issues = check_text(text, "m.yaml")
    assert catalog is not None, issues
    w03 = periods.parse_week(catalog.calendar, "2026-W03")
    assert w03.start == dt.datetime(2026, 1, 12, 12, 0)  # local midnight at UTC-12
    frame = Runner(tiny_db, catalog).run("leads_created", two_weeks(catalog))
    # W02 local = Jan 5 12:00 UTC .. Jan 12 12:00 UTC: L2 L3 L4 L5 (L1 at Jan 5 09:00 UTC falls in W01).
    assert values(frame) == [4, 2]


def test_greatest_and_least_are_null_when_any_argument_is_null(tiny_db: Database):
    from scorecard.language import expressions as ex
    from scorecard.sql.graph import Graph
    from scorecard.sql.resolve import Context, Scope, to_sql

    scope = Scope(Context(Graph(load_catalog(DEFAULT_METRICS).relationships)), "leads")
    # L4 was never touched (first_touch_at is null); L1 was touched one hour after it qualified.
    top = to_sql(ex.parse("greatest(hours_between(mql_at, first_touch_at), 0)"), scope)
    low = to_sql(ex.parse("least(hours_between(mql_at, first_touch_at), 100)"), scope)
    statement = (
        sa.select(scope.alias.c.id, sa.func.coalesce(top, -1) + sa.func.coalesce(low, -1))
        .select_from(scope.selectable())
        .where(scope.alias.c.id.in_(["L1", "L4"]))
    )
    with tiny_db.engine().connect() as conn:
        rows = dict(conn.execute(statement).all())
    assert rows == {"L1": pytest.approx(2.0), "L4": -2}


def test_crossing_beside_a_relation_aggregate_in_one_comparison(tiny_db: Database):
    # Deals with a demo if they have 3+ activities, else with a meeting; count() in the same comparison
    # counts the deal's own activities. Closed W02: O1 (call, call, demo: 3 -> has a demo) yes,
    # O4 (one meeting) yes. W03: O2 (3 calls) no, O3 (1 call) no, O5 (2 calls) no.
    text = DEFAULT_METRICS.read_text() + (
        "  - {name: odd, label: Odd, description: a comparison mixing a crossing and an aggregate, owners: both,"
        " type: count, of: opportunities, time: closed_at,"
        " filter: \"activities.type = if(count(activities) >= 3, 'demo', 'meeting')\"}\n"
    )
    catalog, issues = check_text(text, "m.yaml")
    assert catalog is not None, [str(i) for i in issues]
    assert values(Runner(tiny_db, catalog).run("odd", two_weeks(catalog))) == [2, 0]


SHOWN_DIALECT = {"duckdb": "duckdb", "sqlite": "sqlite", "postgresql": "postgresql"}


def test_the_sql_people_read_runs_and_gives_the_number(tiny_db: Database, catalog: Catalog):
    """The laid-out SQL of `scorecard sql` and the pages is display only, but a reader copies it into
    a console: run it as text on the engine and it gives the engine's own numbers, for every metric."""
    week = periods.parse_week(catalog.calendar, "2026-W03")
    query = Query.build(periods.weeks_ending(catalog.calendar, week, 3), as_of=week.end)
    runner = Runner(tiny_db, catalog)
    checked = 0
    for name, metric in catalog.metrics.items():
        if metric.type in ("rank", "derived"):
            continue
        (shown,) = metric_sql(catalog, name, query, SHOWN_DIALECT[tiny_db.dialect])
        assert "\n  " in shown[1] and "\n    UNION ALL SELECT " in shown[1]  # laid out, one period a line
        with tiny_db.engine().connect() as conn:
            rows = conn.exec_driver_sql(shown[1].rstrip(";")).mappings().all()
        expected = runner.run(name, query)
        got = {str(r["period"])[:10]: r["value"] for r in rows}
        for _, row in expected.iterrows():
            want = row["value"]
            # A count with no rows in a period has no row there; the engine fills in its zero.
            value = got.get(str(row["period"])[:10], 0.0 if want == 0 else None)
            if want is None or want != want:  # no value (NaN) where nothing happened
                assert value is None or value == 0 or value != value, (name, row["period"])
            else:
                assert value == pytest.approx(float(want), rel=1e-9), (name, row["period"])
        checked += 1
    assert checked >= 25
