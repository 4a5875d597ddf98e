"""The scorecard's numbers the way many Streamlit apps compute them: read the raw tables into
pandas, then filter, join and group in Python.

Written from metrics.yaml's definitions, independently of the engine and of `handsql`; in
particular a lead's first touch is the earliest activity on it, computed here from the
activities rather than read from the maintained `leads.first_touch_at` column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from scorecard.benchmark.handsql import METRICS, Unsupported
from scorecard.benchmark.numbers import Filters, Numbers, Point, Series
from scorecard.language.periods import Period

COLUMNS: dict[str, tuple[str, ...]] = {
    "reps": ("id", "region"),
    "products": ("id", "name", "margin_rate"),
    "campaigns": ("id", "region", "product_id", "end_date", "cost"),
    "leads": (
        "id", "created_at", "mql_at", "accepted_at", "region", "product_id", "owner_rep_id", "opportunity_id",
        "campaign_id",
    ),
    "opportunities": (
        "id", "lead_id", "account_id", "owner_rep_id", "channel", "product_id", "region", "created_at", "closed_at",
        "expected_close_at", "is_won", "amount", "list_amount", "cost_of_sale",
    ),
    "activities": ("lead_id", "opportunity_id", "rep_id", "type", "occurred_at"),
    "quotas": ("rep_id", "period_start", "period_end", "amount"),
}  # fmt: skip
"""The columns read: only those the metrics need (reading every column would be slower still)."""

DATES = {"campaigns": ("end_date",), "opportunities": ("expected_close_at",), "quotas": ("period_start", "period_end")}


@dataclass(frozen=True)
class Tables:
    """The raw tables, as pandas frames."""

    frames: Mapping[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def load(conn: sa.Connection) -> Tables:
    """Read the tables into pandas through DuckDB's own fast path to pandas (`.df()`)."""
    if conn.dialect.name != "duckdb":
        raise Unsupported(f"the pandas baseline reads DuckDB, not {conn.dialect.name}")
    driver = conn.connection.driver_connection
    assert driver is not None
    frames: dict[str, pd.DataFrame] = {}
    for table, columns in COLUMNS.items():
        frame = driver.execute(f"SELECT {', '.join(columns)} FROM {table}").df()
        for column in DATES.get(table, ()):
            frame[column] = pd.to_datetime(frame[column])
        for column in ("cost", "amount", "list_amount", "cost_of_sale", "margin_rate"):
            if column in frame:
                frame[column] = frame[column].astype("float64")
        frames[table] = frame
    return Tables(frames)


def _week(ts: pd.Series) -> pd.Series:
    """The Monday starting each timestamp's week (UTC)."""
    days = ts.dt.normalize()
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")


def _days(end: pd.Series, start: pd.Series) -> pd.Series:
    return (end - start).dt.total_seconds() / 86400.0


def _key(period: Period) -> pd.Timestamp:
    return pd.Timestamp(period.first)


def _keep(mask: pd.Series, filters: Filters, region: pd.Series | None, product: pd.Series | None) -> pd.Series:
    for dim, values in filters.items():
        if not values:
            continue
        column = {"region": region, "product": product}.get(dim)
        if column is None:
            raise Unsupported(f"the pandas baseline cannot filter this table by {dim}")
        mask = mask & column.isin(list(values))
    return mask


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 or pd.isna(den) else float(num) / float(den)


def _value(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _span(periods: Sequence[Period]) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(min(p.start for p in periods)), pd.Timestamp(max(p.end for p in periods))


def _in(ts: pd.Series, periods: Sequence[Period]) -> pd.Series:
    start, end = _span(periods)
    return (ts >= start) & (ts < end)


def compute(tables: Tables, shown: Mapping[str, Sequence[Period]], filters: Filters, as_of: dt.datetime) -> Numbers:
    """Every scorecard metric's numbers over the periods `shown`, under region/product filters."""
    unknown = sorted(set(shown) - set(METRICS))
    if unknown:
        raise Unsupported(f"no pandas version of {', '.join(unknown)}")
    cut = pd.Timestamp(as_of)
    reps, products = tables["reps"].set_index("id"), tables["products"].set_index("id")
    leads, opps, acts = tables["leads"], tables["opportunities"], tables["activities"]
    by_id = opps.set_index("id")
    rep_region, product_name = reps["region"], products["name"]
    deal_region = opps["region"].fillna(opps["owner_rep_id"].map(rep_region))
    deal_product = opps["product_id"].map(product_name)
    out: Numbers = {}

    # Leads, with their deal and their first touch (the earliest activity logged on them).
    first_touch = acts.groupby("lead_id")["occurred_at"].min()
    touched_at = leads["id"].map(first_touch)
    deal_of = {c: leads["opportunity_id"].map(by_id[c]) for c in ("created_at", "closed_at", "is_won", "amount")}
    lead_region = leads["region"].fillna(leads["owner_rep_id"].map(rep_region))
    lead_product = (
        leads["product_id"].map(product_name).fillna(leads["opportunity_id"].map(by_id["product_id"]).map(product_name))
    )
    kept = _keep(pd.Series(True, index=leads.index), filters, lead_region, lead_product)

    # By the week a lead was qualified.
    mql = leads["mql_at"]
    names = ["sales_accept_rate", "speed_to_lead", "follow_up_sla", "unworked_leads", "lead_to_opportunity"]
    rows = kept & mql.notna() & _in(mql, [p for n in names for p in shown[n]])
    hours = (touched_at - mql).dt.total_seconds() / 3600.0
    opened = deal_of["created_at"]
    frame = pd.DataFrame(
        {
            "week": _week(mql),
            "accepted": leads["accepted_at"].notna(),
            "unworked": touched_at.isna(),
            "followed_up": hours <= 24,
            "hours": hours.clip(lower=0),
            "in_30d": leads["accepted_at"].notna() & (opened >= mql) & (opened < cut) & (_days(opened, mql) <= 30),
        }
    )[rows]
    weekly = frame.groupby("week").agg(
        mqls=("accepted", "size"),
        accepted=("accepted", "sum"),
        unworked=("unworked", "sum"),
        followed_up=("followed_up", "sum"),
        in_30d=("in_30d", "sum"),
        speed=("hours", "median"),
        touched=("hours", "count"),
    )
    for name, column in (
        ("sales_accept_rate", "accepted"),
        ("follow_up_sla", "followed_up"),
        ("unworked_leads", "unworked"),
        ("lead_to_opportunity", "in_30d"),
    ):
        out[name] = {
            p.first: (
                Point(_ratio(weekly.at[_key(p), column], weekly.at[_key(p), "mqls"]), int(weekly.at[_key(p), "mqls"]))
                if _key(p) in weekly.index
                else Point(None, 0)
            )
            for p in shown[name]
        }
    out["speed_to_lead"] = {
        p.first: (
            Point(_value(weekly.at[_key(p), "speed"]), int(weekly.at[_key(p), "touched"]))
            if _key(p) in weekly.index
            else Point(None, 0)
        )
        for p in shown["speed_to_lead"]
    }

    # By the week a lead was created: volume, and the 220-day cohorts of qualified leads.
    created = leads["created_at"]
    rows = kept & _in(created, [p for n in ("leads_created", "lead_to_close") for p in shown[n]])
    closed = deal_of["closed_at"]
    won = (
        mql.notna()
        & (deal_of["is_won"] == True)  # noqa: E712 - a lead without a deal has NaN here
        & (closed >= created)
        & (closed < cut)
        & (_days(closed, created) <= 220)
    )
    frame = pd.DataFrame(
        {
            "week": _week(created),
            "mql": mql.notna(),
            "won": won,
            "revenue": deal_of["amount"].astype("float64").where(won, 0.0),
        }
    )[rows]
    weekly = frame.groupby("week").agg(leads=("mql", "size"), mqls=("mql", "sum"), won=("won", "sum"),
                                       revenue=("revenue", "sum"))  # fmt: skip
    counts = weekly["leads"].to_dict()
    out["leads_created"] = {
        p.first: Point(float(counts.get(_key(p), 0)), int(counts.get(_key(p), 0))) for p in shown["leads_created"]
    }
    for name, column in (("lead_to_close", "won"), ("revenue_per_lead", "revenue")):
        series: Series = {}
        for p in shown[name]:
            k = _key(p)
            mqls = int(weekly.at[k, "mqls"]) if k in weekly.index else 0
            series[p.first] = Point(_ratio(weekly.at[k, column], mqls), mqls) if mqls else Point(None, 0)
        out[name] = series

    # Deals by close week.
    deal_kept = _keep(pd.Series(True, index=opps.index), filters, deal_region, deal_product)
    closed = opps["closed_at"]
    names = ["bookings", "win_rate", "cycle_days_median", "cycle_days_p90", "discount_depth", "calls_per_close"]
    rows = deal_kept & closed.notna() & _in(closed, [p for n in names for p in shown[n]])
    is_won = opps["is_won"].astype(bool)
    discounted = is_won & (opps["list_amount"] > 0)
    frame = pd.DataFrame(
        {
            "week": _week(closed),
            "won": is_won,
            "bookings": opps["amount"].where(is_won, 0.0),
            "cycle": _days(closed, opps["created_at"]).where(is_won),
            "discount": (1 - opps["amount"] / opps["list_amount"]).where(discounted),
        }
    )[rows]
    weekly = frame.groupby("week").agg(
        closed=("won", "size"),
        won=("won", "sum"),
        bookings=("bookings", "sum"),
        discount=("discount", "mean"),
        discounted=("discount", "count"),
    )
    cycles = frame.dropna(subset=["cycle"]).groupby("week")["cycle"].quantile([0.5, 0.9]).unstack()

    def at(p: Period, column: str, default: float = 0) -> float:
        return float(weekly.at[_key(p), column]) if _key(p) in weekly.index else default

    out["bookings"] = {p.first: Point(at(p, "bookings"), int(at(p, "won"))) for p in shown["bookings"]}
    out["win_rate"] = {
        p.first: Point(_ratio(at(p, "won"), at(p, "closed")), int(at(p, "closed"))) for p in shown["win_rate"]
    }
    for name, q in (("cycle_days_median", 0.5), ("cycle_days_p90", 0.9)):
        out[name] = {
            p.first: (Point(float(cycles.at[_key(p), q]), int(at(p, "won"))) if at(p, "won") else Point(None, 0))
            for p in shown[name]
        }
    out["discount_depth"] = {
        p.first: Point(_value(at(p, "discount", np.nan)), int(at(p, "discounted"))) for p in shown["discount_depth"]
    }

    # Calls per close: calls on a won deal or on the lead that became it, in the deal's close week.
    calls = acts[acts["type"] == "call"]
    lead_deal = calls["lead_id"].map(leads.set_index("id")["opportunity_id"])
    call_won = calls["opportunity_id"].map(by_id["is_won"]).fillna(lead_deal.map(by_id["is_won"]))
    call_closed = calls["opportunity_id"].map(by_id["closed_at"]).fillna(lead_deal.map(by_id["closed_at"]))
    call_product = (
        calls["opportunity_id"].map(by_id["product_id"]).map(product_name)
        .fillna(calls["lead_id"].map(leads.set_index("id")["product_id"]).map(product_name))
    )  # fmt: skip
    call_rows = _keep(call_won == True, filters, calls["rep_id"].map(rep_region), call_product)  # noqa: E712
    call_rows &= _in(call_closed, shown["calls_per_close"])
    per_week = _week(call_closed[call_rows]).value_counts()
    series = {}
    for p in shown["calls_per_close"]:
        deals, n_calls = int(at(p, "won")), int(per_week.get(_key(p), 0))
        series[p.first] = Point(None, 0) if deals == 0 and n_calls == 0 else Point(_ratio(n_calls, deals), deals)
    out["calls_per_close"] = series

    # Deals by creation week: marketing-sourced pipeline and channel conflicts.
    created = opps["created_at"]
    names = ["marketing_sourced_pipeline", "channel_conflict_rate"]
    rows = deal_kept & _in(created, [p for n in names for p in shown[n]])
    mine = opps.loc[rows, ["id", "account_id", "channel", "created_at"]]
    others = opps[["account_id", "channel", "created_at"]]
    pairs = mine.merge(others, on="account_id", suffixes=("", "_other"))
    clash = (pairs["channel"] != pairs["channel_other"]) & (
        _days(pairs["created_at_other"], pairs["created_at"]).abs() <= 90
    )
    conflicted = opps["id"].isin(pairs.loc[clash, "id"].unique())
    sourced = opps["lead_id"].notna()
    frame = pd.DataFrame(
        {"week": _week(created), "sourced": sourced, "amount": opps["amount"].where(sourced, 0.0),
         "conflicted": conflicted}
    )[rows]  # fmt: skip
    weekly = frame.groupby("week").agg(
        deals=("sourced", "size"),
        sourced=("sourced", "sum"),
        amount=("amount", "sum"),
        conflicted=("conflicted", "sum"),
    )
    out["marketing_sourced_pipeline"] = {
        p.first: Point(at(p, "amount"), int(at(p, "sourced"))) for p in shown["marketing_sourced_pipeline"]
    }
    out["channel_conflict_rate"] = {
        p.first: Point(_ratio(at(p, "conflicted"), at(p, "deals")), int(at(p, "deals")))
        for p in shown["channel_conflict_rate"]
    }

    # Quota: each rep's quota spread evenly over its period's days.
    quotas = tables["quotas"]
    quota_kept = _keep(pd.Series(True, index=quotas.index), {k: v for k, v in filters.items() if k != "product"},
                       quotas["rep_id"].map(rep_region), None)  # fmt: skip
    quotas = quotas[quota_kept]
    spread_days = (quotas["period_end"] - quotas["period_start"]).dt.days + 1

    def quota_over(first: dt.date, last: dt.date) -> tuple[float, int]:
        begin, end = pd.Timestamp(first), pd.Timestamp(last)
        overlap = quotas["period_start"].le(end) & quotas["period_end"].ge(begin)
        days = (quotas["period_end"].clip(upper=end) - quotas["period_start"].clip(lower=begin)).dt.days + 1
        return float((quotas["amount"] * days / spread_days)[overlap].sum()), int(overlap.sum())

    if filters.get("product"):  # quotas are set per rep, not per product
        out["quota_attainment"] = None
        out["pipeline_coverage"] = None
    else:
        series = {}
        won_deals = opps[deal_kept & is_won]
        for p in shown["quota_attainment"]:
            inside = won_deals[(won_deals["closed_at"] >= pd.Timestamp(p.start)) &
                               (won_deals["closed_at"] < pd.Timestamp(p.end))]  # fmt: skip
            quota, quota_rows = quota_over(p.first, p.last)
            if inside.empty and quota_rows == 0:
                series[p.first] = Point(None, 0)
            else:
                series[p.first] = Point(_ratio(inside["amount"].sum(), quota) if quota_rows else None, len(inside))
        out["quota_attainment"] = series
        series = {}
        open_deals = opps[deal_kept]
        for p in shown["pipeline_coverage"]:
            end = pd.Timestamp(p.end)
            ahead_first, ahead_last = p.last + dt.timedelta(days=1), p.last + dt.timedelta(days=91)
            due = open_deals[
                (open_deals["created_at"] < end)
                & (open_deals["closed_at"].isna() | (open_deals["closed_at"] >= end))
                & open_deals["expected_close_at"].between(pd.Timestamp(ahead_first), pd.Timestamp(ahead_last))
            ]
            quota, quota_rows = quota_over(ahead_first, ahead_last)
            series[p.first] = Point(_ratio(due["amount"].sum(), quota), min(len(due), quota_rows))
        out["pipeline_coverage"] = series

    # Campaign cohorts: campaigns ended in each 13-week window, and the deals their leads became.
    campaigns = tables["campaigns"]
    campaign_kept = _keep(pd.Series(True, index=campaigns.index), filters, campaigns["region"],
                          campaigns["product_id"].map(product_name))  # fmt: skip
    campaigns_kept = campaigns[campaign_kept]
    lead_by_id = leads.set_index("id")
    campaign_of = opps["lead_id"].map(lead_by_id["campaign_id"])
    ended = campaign_of.map(campaigns.set_index("id")["end_date"])
    lead_created = opps["lead_id"].map(lead_by_id["created_at"])
    cohort = opps[deal_kept & is_won & ended.notna() & (_days(opps["closed_at"], lead_created) <= 220)]
    cohort_ended = ended[cohort.index]
    margin = cohort["amount"] * cohort["product_id"].map(products["margin_rate"])
    cost_per: Series = {}
    margin_per: Series = {}
    cost_to: Series = {}
    for p in shown["cost_per_won_deal"]:
        first, last = pd.Timestamp(p.first), pd.Timestamp(p.last)
        ended_in = campaigns_kept["end_date"].between(first, last)
        cost, n_campaigns = float(campaigns_kept.loc[ended_in, "cost"].sum()), int(ended_in.sum())
        mine_in = cohort_ended.between(first, last)
        deals = int(mine_in.sum())
        cost_of_sale = float(cohort.loc[mine_in, "cost_of_sale"].sum())
        gross = float(margin[mine_in].sum())
        cost_per[p.first] = Point(_ratio(cost + cost_of_sale, deals), min(n_campaigns, deals))
        margin_per[p.first] = Point(_ratio(gross, deals), deals)
        cost_to[p.first] = Point(_ratio(cost + cost_of_sale, gross), min(n_campaigns, deals))
    out.update(cost_per_won_deal=cost_per, margin_per_won_deal=margin_per, cost_to_margin=cost_to)
    return {name: out[name] for name in shown}
