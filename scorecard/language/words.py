"""The users' words for the tables of the data model, for messages a sales manager reads."""

from __future__ import annotations

from collections.abc import Iterable

NOUNS: dict[str, tuple[str, str]] = {
    "leads": ("lead", "leads"),
    "opportunities": ("deal", "deals"),
    "activities": ("activity", "activities"),
    "quotas": ("quota", "quotas"),
    "campaigns": ("campaign", "campaigns"),
    "reps": ("rep", "reps"),
    "accounts": ("account", "accounts"),
    "products": ("product", "products"),
    "partners": ("partner", "partners"),
}

HOW_SET: dict[str, str] = {
    "quotas": "quotas are set per rep and period",
    "campaigns": "campaign spend is set per campaign",
}
"""Why a table carries no value of most dimensions, where a reason is known."""


def singular(table: str) -> str:
    return NOUNS.get(table, (table, table))[0]


def plural(table: str) -> str:
    return NOUNS.get(table, (table, table))[1]


def either(tables: Iterable[str]) -> str:
    """'lead, deal or rep' for a list of tables."""
    names = [singular(t) for t in tables]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} or {names[-1]}"


def cannot_split(metric_label: str, dimension_label: str, tables: Iterable[str]) -> str:
    """Why a metric cannot be filtered or broken down by a dimension, in plain words."""
    tables = list(tables)
    dim = dimension_label.lower()
    reasons = [HOW_SET[t] for t in tables if t in HOW_SET]
    reason = "; ".join(reasons) if reasons else f"{' and '.join(plural(t) for t in tables)} carry no {dim}"
    return f"{metric_label} can't be split by {dim}: {reason}"
