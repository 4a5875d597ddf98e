"""The schema creates, loads and reads back the same on DuckDB, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa

from scorecard.store import model
from scorecard.store.db import Database, bulk_insert, create_schema, resolve_url, table_counts


def test_resolve_url_picks_engine_by_path_or_url(tmp_path):
    assert resolve_url(tmp_path / "a.duckdb").get_backend_name() == "duckdb"
    assert resolve_url(tmp_path / "a.anything").get_backend_name() == "duckdb"
    assert resolve_url(tmp_path / "a.sqlite").get_backend_name() == "sqlite"
    assert resolve_url(tmp_path / "a.db").get_backend_name() == "sqlite"
    assert resolve_url("postgresql+psycopg://u@h:5432/x").get_backend_name() == "postgresql"


def test_schema_round_trip(any_db: Database):
    with any_db.writer() as conn:
        create_schema(conn)
        leads = pd.DataFrame(
            {
                "id": ["L1", "L2"],
                "created_at": pd.to_datetime(["2026-01-05 09:30:00", "2026-01-06 17:00:00"]),
                "source": ["trade_show", "referral"],
                "mql_at": pd.to_datetime(["2026-01-05 10:00:00", None]),
                "opportunity_id": ["O1", None],
            }
        )
        opps = pd.DataFrame(
            {
                "id": ["O1"],
                "lead_id": ["L1"],
                "channel": ["direct"],
                "created_at": pd.to_datetime(["2026-01-10 00:00:00"]),
                "closed_at": pd.to_datetime(["2026-03-01 12:00:00"]),
                "stage": ["won"],
                "is_won": [True],
                "amount": [1234.5],
                "list_amount": [1500.0],
                "cost_of_sale": [100.25],
            }
        )
        quotas = pd.DataFrame(
            {
                "rep_id": ["R1"],
                "period_start": [dt.date(2026, 1, 1)],
                "period_end": [dt.date(2026, 3, 31)],
                "amount": [250000.0],
            }
        )
        assert bulk_insert(conn, model.leads, leads) == 2
        assert bulk_insert(conn, model.opportunities, opps) == 1
        assert bulk_insert(conn, model.quotas, quotas) == 1

    with any_db.engine().connect() as conn:
        counts = table_counts(conn)
        assert counts["leads"] == 2 and counts["opportunities"] == 1 and counts["activities"] == 0
        rows = conn.execute(sa.select(model.leads).order_by(model.leads.c.id)).mappings().all()
        assert rows[0]["created_at"] == dt.datetime(2026, 1, 5, 9, 30)
        assert rows[0]["mql_at"] == dt.datetime(2026, 1, 5, 10, 0)
        assert rows[1]["mql_at"] is None and rows[1]["opportunity_id"] is None
        opp = conn.execute(sa.select(model.opportunities)).mappings().one()
        assert opp["is_won"] is True
        assert Decimal(str(opp["amount"])) == Decimal("1234.50")
        assert Decimal(str(opp["cost_of_sale"])) == Decimal("100.25")
        quota = conn.execute(sa.select(model.quotas)).mappings().one()
        assert quota["period_end"] == dt.date(2026, 3, 31)


def test_failed_write_leaves_previous_state_whole(any_db: Database):
    with any_db.writer() as conn:
        create_schema(conn)
        bulk_insert(
            conn, model.reps, pd.DataFrame({"id": ["R1"], "name": ["Ana"], "team": ["sales"], "active": [True]})
        )
    try:
        with any_db.writer() as conn:
            bulk_insert(
                conn, model.reps, pd.DataFrame({"id": ["R2"], "name": ["Bo"], "team": ["sales"], "active": [True]})
            )
            raise RuntimeError("import failed midway")
    except RuntimeError:
        pass
    with any_db.engine().connect() as conn:
        assert conn.execute(sa.select(model.reps.c.id)).scalars().all() == ["R1"]


def test_every_table_has_indexes_for_time_anchors():
    indexed = {(ix.table.name, col.name) for t in model.CRM_TABLES for ix in t.indexes for col in ix.columns}
    for pair in [
        ("leads", "created_at"),
        ("opportunities", "closed_at"),
        ("activities", "occurred_at"),
        ("activities", "opportunity_id"),
        ("leads", "campaign_id"),
    ]:
        assert pair in indexed


def test_secondary_indexes_everywhere_but_duckdb(any_db: Database):
    with any_db.writer() as conn:
        create_schema(conn)
        create_schema(conn)  # a second call changes nothing
    with any_db.engine().connect() as conn:
        if any_db.dialect == "duckdb":
            names = conn.execute(sa.text("select index_name from duckdb_indexes()")).scalars().all()
            assert names == []  # zone maps serve DuckDB's range filters
        elif any_db.dialect == "sqlite":
            names = (
                conn.execute(sa.text("select name from sqlite_master where type = 'index' and name like 'ix_%'"))
                .scalars()
                .all()
            )
            assert "ix_leads_created_at" in names and "ix_activities_lead_id" in names
        else:
            names = (
                conn.execute(sa.text("select indexname from pg_indexes where indexname like 'ix_%'")).scalars().all()
            )
            assert "ix_leads_created_at" in names and "ix_activities_lead_id" in names


def test_data_version_changes_with_every_load(any_db: Database):
    from scorecard.demo import generate as demo

    assert any_db.data_version() == "missing"
    demo.build(any_db, leads=1_000, seed=1)
    first = any_db.data_version()
    assert first == any_db.data_version()  # stable while nothing changes
    demo.build(any_db, leads=1_000, seed=2)  # a rebuilt demo reuses load id 1: the time tells it apart
    assert any_db.data_version() != first
