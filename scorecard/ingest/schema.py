"""What the importer needs to know about the canonical model beyond its column types:
which columns reference which table, which values a closed vocabulary allows, and
which natural keys a reference may be given by.
"""

from __future__ import annotations

import datetime as dt
import math
from types import MappingProxyType
from typing import Any, Final, Literal

import sqlalchemy as sa

from scorecard.store import model

Kind = Literal["text", "datetime", "date", "money", "number", "integer", "boolean"]

IMPORTABLE: Final[tuple[str, ...]] = tuple(t.name for t in model.CRM_TABLES)
"""Tables an import may fill, in an order where referenced tables come first."""

REFERENCES: Final = MappingProxyType(
    {
        ("reps", "manager_id"): "reps",
        ("campaigns", "product_id"): "products",
        ("leads", "campaign_id"): "campaigns",
        ("leads", "account_id"): "accounts",
        ("leads", "product_id"): "products",
        ("leads", "owner_rep_id"): "reps",
        ("leads", "opportunity_id"): "opportunities",
        ("opportunities", "lead_id"): "leads",
        ("opportunities", "account_id"): "accounts",
        ("opportunities", "owner_rep_id"): "reps",
        ("opportunities", "partner_id"): "partners",
        ("opportunities", "product_id"): "products",
        ("activities", "rep_id"): "reps",
        ("activities", "lead_id"): "leads",
        ("activities", "opportunity_id"): "opportunities",
        ("quotas", "rep_id"): "reps",
    }
)
"""(table, column) -> the table whose id the column holds."""

NATURAL_KEYS: Final = MappingProxyType(
    {
        "reps": ("name", "email"),
        "accounts": ("name",),
        "products": ("name",),
        "partners": ("name",),
        "campaigns": ("name",),
        "leads": (),
        "opportunities": (),
    }
)
"""Columns a reference may name a row by instead of its id."""

CREATABLE: Final[frozenset[str]] = frozenset({"reps", "accounts", "products", "partners", "campaigns"})
"""Tables whose missing rows an import may create from a name (they need only a name)."""

ID_PREFIX: Final = MappingProxyType(
    {"reps": "rep", "accounts": "acct", "products": "prod", "partners": "ptnr", "campaigns": "camp"}
)

STAGES: Final[tuple[str, ...]] = ("prospecting", "qualification", "proposal", "negotiation", "won", "lost")

VOCABULARIES: Final = MappingProxyType(
    {
        ("opportunities", "stage"): STAGES,
        ("opportunities", "channel"): ("direct", "partner"),
        ("reps", "team"): ("sales", "marketing", "partner"),
        ("accounts", "ownership"): ("direct", "partner", "shared"),
        ("activities", "type"): ("call", "email", "meeting", "demo"),
        ("activities", "outcome"): ("connected", "no_answer", "voicemail", "replied", "held", "no_show"),
    }
)
"""Closed vocabularies: metrics filter on these exact values, so others are quarantined."""

ORDERED_PAIRS: Final = MappingProxyType(
    {
        "opportunities": (("created_at", "closed_at", "closed before it was created"),),
        "campaigns": (("start_date", "end_date", "ends before it starts"),),
        "quotas": (("period_start", "period_end", "ends before it starts"),),
    }
)
"""(earlier, later, reason): a row whose later date falls on an earlier day is quarantined."""

NON_NEGATIVE: Final = MappingProxyType(
    {
        "opportunities": ("amount", "list_amount", "cost_of_sale"),
        "campaigns": ("cost",),
        "quotas": ("amount",),
        "activities": ("duration_s",),
        "products": ("margin_rate",),
        "partners": ("commission_rate",),
    }
)
"""Columns that cannot be negative (money, durations, rates)."""

CREATED_DEFAULTS: Final = MappingProxyType({"reps": MappingProxyType({"team": "sales", "active": True})})
"""Values of required columns for rows created from a name, unless the mapping sets them."""


def table(name: str) -> sa.Table:
    return model.TABLES[name]


def key_columns(name: str) -> tuple[str, ...]:
    """The columns an import upserts by: the primary key (the source id)."""
    return tuple(c.name for c in table(name).primary_key.columns)


def kind_of(column: sa.Column[object]) -> Kind:
    """How the importer reads a column's text, from its SQL type."""
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return "datetime"
    if isinstance(kind, sa.Date):
        return "date"
    if isinstance(kind, sa.Boolean):
        return "boolean"
    if isinstance(kind, sa.Integer):
        return "integer"
    if isinstance(kind, sa.Float):
        return "number"
    if isinstance(kind, sa.Numeric):
        return "money"
    return "text"


EARLIEST: Final = dt.date(1900, 1, 1)
LATEST: Final = dt.date(2199, 12, 31)
"""Dates outside these are typing errors (0026 for 2026), not CRM events: quarantined."""

INT_LIMITS: Final = MappingProxyType({"integer": 2**31, "bigint": 2**63})


def value_range(column: sa.Column[object]) -> tuple[Any, Any, str] | None:
    """(lowest, highest, reason) a column can hold; None for text and booleans.

    Money is NUMERIC(precision, scale): below 10**(precision - scale). Integers fit
    PostgreSQL's INTEGER or BIGINT. Dates lie between EARLIEST and LATEST.
    """
    kind = kind_of(column)
    if kind in ("date", "datetime"):
        return (
            EARLIEST,
            dt.datetime.combine(LATEST, dt.time.max),
            f"date outside {EARLIEST.isoformat()} .. {LATEST.isoformat()}; is the year right?",
        )
    if kind == "money":
        precision = getattr(column.type, "precision", None) or 18
        scale = getattr(column.type, "scale", None) or 0
        limit = 10 ** (precision - scale)
        return -limit, limit, f"too large for an amount (must be below {limit:,})"
    if kind == "integer":
        limit = INT_LIMITS["bigint" if isinstance(column.type, sa.BigInteger) else "integer"]
        return -limit, limit, f"too large for a whole number (at most {limit - 1:,})"
    if kind == "number":
        return -math.inf, math.inf, "not a finite number"
    return None


def max_length(column: sa.Column[object]) -> int | None:
    length = getattr(column.type, "length", None)
    return int(length) if length else None


def required_columns(name: str) -> tuple[str, ...]:
    """NOT NULL columns an import must fill (the key and those without a default)."""
    return tuple(c.name for c in table(name).columns if not c.nullable)


def has_default(name: str, column: str) -> bool:
    col = table(name).c[column]
    return col.default is not None or (name, column) == ("opportunities", "is_won")
