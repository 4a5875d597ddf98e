"""The canonical CRM data model as SQLAlchemy Core tables.

Every engine (DuckDB, SQLite, PostgreSQL, any SQLAlchemy dialect) gets the same
schema from this one declaration. Tables are declared in code, never reflected
(duckdb-engine cannot reflect on SQLAlchemy 2.1). Ids are strings because CRM ids
usually are ("00Q5g00000AbCdE"), which also makes imports upsert by source id.

Timestamps are naive and mean UTC; `calendar.timezone` in metrics.yaml decides
which local week an instant falls in. Money is NUMERIC(18, 2) in the account's
currency. `quotas.period_end` and `campaigns.end_date` are inclusive dates, as CRMs
show them.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

metadata: Final = sa.MetaData()

Money = sa.Numeric(18, 2)


def _id(name: str = "id") -> sa.Column[str]:
    return sa.Column(name, sa.String(64), primary_key=True, autoincrement=False)


def _ref(name: str, target: str, nullable: bool = True) -> sa.Column[str]:
    # No ForeignKey constraints: CRM exports arrive out of order and partially, and
    # references are checked by the importer (with a quarantine), not by the engine.
    # The relationships metrics follow are declared in metrics.yaml.
    del target
    return sa.Column(name, sa.String(64), nullable=nullable)


products = sa.Table(
    "products",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("family", sa.String(100)),
    sa.Column("margin_rate", sa.Float, comment="gross margin as a share of amount, 0..1"),
    comment="What is sold; margin_rate turns an amount into margin.",
)

reps = sa.Table(
    "reps",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320)),
    sa.Column("team", sa.String(20), nullable=False, comment="sales | marketing | partner"),
    sa.Column("role", sa.String(50), comment="ae | sdr | manager | marketer | partner_manager"),
    sa.Column("region", sa.String(50)),
    sa.Column(
        "sales_segment",
        sa.String(50),
        comment="customer segment the rep sells to (enterprise, commercial...): the ranking's peer group",
    ),
    _ref("manager_id", "reps"),
    sa.Column("hire_date", sa.Date),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    comment="People who own leads, deals, activities and quotas.",
)

accounts = sa.Table(
    "accounts",
    metadata,
    _id(),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("region", sa.String(50)),
    sa.Column("segment", sa.String(50), comment="smb | mid_market | enterprise"),
    sa.Column("industry", sa.String(100)),
    sa.Column("ownership", sa.String(20), comment="direct | partner | shared"),
    comment="Companies sold to.",
)

partners = sa.Table(
    "partners",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("tier", sa.String(20), comment="gold | silver | registered"),
    sa.Column("commission_rate", sa.Float),
    comment="Resellers and referral partners.",
)

campaigns = sa.Table(
    "campaigns",
    metadata,
    _id(),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column(
        "channel",
        sa.String(30),
        comment="trade_show | webinar | paid_search | content | partner | outbound | referral",
    ),
    sa.Column("region", sa.String(50)),
    _ref("product_id", "products"),
    sa.Column("start_date", sa.Date),
    sa.Column("end_date", sa.Date, comment="inclusive"),
    sa.Column("cost", Money),
    comment="Marketing programs; cost is spread over start_date..end_date.",
)

leads = sa.Table(
    "leads",
    metadata,
    _id(),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(50), comment="how the lead arrived, e.g. trade_show"),
    _ref("campaign_id", "campaigns"),
    _ref("account_id", "accounts"),
    sa.Column("region", sa.String(50)),
    _ref("product_id", "products"),
    sa.Column("segment", sa.String(50)),
    _ref("owner_rep_id", "reps"),
    sa.Column("mql_at", sa.DateTime, comment="marketing qualified"),
    sa.Column("accepted_at", sa.DateTime, comment="accepted by sales"),
    sa.Column("rejected_at", sa.DateTime),
    sa.Column("reject_reason", sa.String(200)),
    sa.Column("converted_at", sa.DateTime, comment="became an opportunity"),
    _ref("opportunity_id", "opportunities"),
    sa.Column(
        "first_touch_at",
        sa.DateTime,
        comment="first activity logged on the lead; maintained by every load, never imported",
    ),
    comment="People or companies marketing hands to sales.",
)

opportunities = sa.Table(
    "opportunities",
    metadata,
    _id(),
    _ref("lead_id", "leads"),
    _ref("account_id", "accounts"),
    _ref("owner_rep_id", "reps"),
    sa.Column("channel", sa.String(20), nullable=False, comment="direct | partner"),
    _ref("partner_id", "partners"),
    _ref("product_id", "products"),
    sa.Column("region", sa.String(50)),
    sa.Column("segment", sa.String(50)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("closed_at", sa.DateTime, comment="null while open"),
    sa.Column(
        "expected_close_at",
        sa.Date,
        comment="the day the owner expects the deal to close (the CRM's close date); pipeline coverage reads it",
    ),
    sa.Column(
        "stage",
        sa.String(30),
        nullable=False,
        comment="prospecting | qualification | proposal | negotiation | won | lost",
    ),
    sa.Column("is_won", sa.Boolean, nullable=False, default=False),
    sa.Column("amount", Money, comment="what the customer pays"),
    sa.Column("list_amount", Money, comment="list price before discount"),
    sa.Column("cost_of_sale", Money, comment="cost to win and deliver the deal"),
    comment="Deals; lead_id is null when sales sourced the deal.",
)

activities = sa.Table(
    "activities",
    metadata,
    _id(),
    _ref("rep_id", "reps"),
    _ref("lead_id", "leads"),
    _ref("opportunity_id", "opportunities"),
    sa.Column("type", sa.String(20), nullable=False, comment="call | email | meeting | demo"),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("duration_s", sa.Integer),
    sa.Column(
        "outcome",
        sa.String(30),
        comment="connected | no_answer | voicemail | replied | held | no_show",
    ),
    comment="Calls, emails, meetings and demos logged against a lead or a deal.",
)

quotas = sa.Table(
    "quotas",
    metadata,
    sa.Column("rep_id", sa.String(64), primary_key=True, autoincrement=False),
    sa.Column("period_start", sa.Date, primary_key=True),
    sa.Column("period_end", sa.Date, nullable=False, comment="inclusive"),
    sa.Column("amount", Money, nullable=False),
    comment="Bookings target per rep and period; spread evenly over the period's days.",
)

loads = sa.Table(
    "loads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("loaded_at", sa.DateTime, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False, comment="demo | import"),
    sa.Column("user_name", sa.String(200)),
    sa.Column("detail", sa.Text, comment="JSON: files, hashes, counts"),
    sa.Column("accepted", sa.Integer),
    sa.Column("quarantined", sa.Integer),
    comment="One row per data load; the latest id is the database's data version.",
)

notes = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True, autoincrement=False),
    sa.Column("week", sa.String(10), nullable=False, comment="the week's label, e.g. 2026-W48"),
    sa.Column("week_start", sa.Date, nullable=False),
    sa.Column("metric", sa.String(64), comment="null: a note on the whole week"),
    sa.Column("text", sa.String(500), nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False, comment="UTC"),
    comment="Notes on a week or on one metric's week (scorecard.notes); never change a number.",
)

# Indexes for the filters and joins metrics run: time anchors and references.
for _table, _columns in {
    leads: ("created_at", "mql_at", "campaign_id", "account_id", "owner_rep_id", "opportunity_id"),
    opportunities: ("created_at", "closed_at", "account_id", "owner_rep_id", "lead_id"),
    activities: ("occurred_at", "lead_id", "opportunity_id", "rep_id"),
    campaigns: ("start_date",),
    quotas: ("period_start",),
    notes: ("week_start",),
}.items():
    for _column in _columns:
        sa.Index(f"ix_{_table.name}_{_column}", _table.c[_column])

MAINTAINED: Final[dict[str, tuple[str, ...]]] = {"leads": ("first_touch_at",)}
"""Columns every load recomputes from other tables (db.refresh_maintained); imports never fill them.

leads.first_touch_at is min(activities.occurred_at) per lead: speed to lead, follow-up and
unworked leads read it as a column instead of aggregating five million activities per query
(measured on the 1M-lead demo: about 150 ms per metric down to 5 ms).
"""

CRM_TABLES: Final[tuple[sa.Table, ...]] = (
    products,
    reps,
    accounts,
    partners,
    campaigns,
    leads,
    opportunities,
    activities,
    quotas,
)
"""The data tables, in an order where every referenced table comes first."""

TABLES: Final[dict[str, sa.Table]] = {t.name: t for t in (*CRM_TABLES, loads)}
