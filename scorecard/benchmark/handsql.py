"""The scorecard's numbers in SQL written by hand for DuckDB, as a careful engineer would:
one scan per base table and time anchor computing every metric that shares it (FILTER
clauses), weeks from date_trunc, bound parameters for every value.

Written from metrics.yaml's definitions, not from the compiler's output:
- a lead's region is its own, else its owner's; a deal's likewise; a call's is its rep's;
- a lead's product is its own, else its deal's; a call's is its deal's, else its lead's;
- a cohort counts the event only when it happened after entry, within the window and
  before the end of the week shown (`as_of`);
- quotas have no product, so quota attainment does not apply under a product filter.
DuckDB only for now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from scorecard.benchmark.numbers import Filters, Numbers, Point, Series
from scorecard.language.periods import Period

Row = Mapping[str, Any]


class Unsupported(RuntimeError):
    """The baseline has no hand-written version for this database or metric."""


# Region and product of each base table, as SQL over the aliases the queries below use.
LEAD_REGION = "coalesce(l.region, lr.region)"
LEAD_PRODUCT = "coalesce(lp.name, lop.name)"
DEAL_REGION = "coalesce(o.region, orp.region)"
DEAL_PRODUCT = "op.name"
CALL_REGION = "ar.region"
CALL_PRODUCT = "coalesce(aop.name, alp.name)"
QUOTA_REGION = "qr.region"
CAMPAIGN_REGION = "c.region"
CAMPAIGN_PRODUCT = "cp.name"

LEAD_JOINS = """
LEFT JOIN reps lr ON lr.id = l.owner_rep_id
LEFT JOIN products lp ON lp.id = l.product_id
LEFT JOIN products lop ON lop.id = o.product_id"""
DEAL_JOINS = """
LEFT JOIN reps orp ON orp.id = o.owner_rep_id
LEFT JOIN products op ON op.id = o.product_id"""

METRICS = (
    "leads_created", "lead_to_opportunity", "lead_to_close", "revenue_per_lead", "sales_accept_rate",
    "marketing_sourced_pipeline", "speed_to_lead", "follow_up_sla", "unworked_leads", "win_rate",
    "calls_per_close", "cycle_days_median", "cycle_days_p90", "discount_depth", "bookings", "quota_attainment",
    "pipeline_coverage", "cost_per_won_deal", "margin_per_won_deal", "cost_to_margin", "channel_conflict_rate",
)  # fmt: skip
"""The scorecard metrics this baseline knows; any other fails the run loudly."""


def _where(filters: Filters, region: str | None, product: str | None) -> tuple[str, list[Any]]:
    """AND clauses keeping the filtered regions and products, with their bound values."""
    sql, params = "", []
    for dim, column in (("region", region), ("product", product)):
        values = list(filters.get(dim, ()))
        if not values:
            continue
        if column is None:
            raise Unsupported(f"{dim} does not reach this table")
        sql += f" AND {column} IN ({', '.join('?' for _ in values)})"
        params += values
    for dim in filters:
        if dim not in ("region", "product") and filters[dim]:
            raise Unsupported(f"the hand-written baseline filters by region and product only, not {dim}")
    return sql, params


def _span(periods: Sequence[Period]) -> tuple[dt.datetime, dt.datetime]:
    return min(p.start for p in periods), max(p.end for p in periods)


def _union(shown: Mapping[str, Sequence[Period]], names: Sequence[str]) -> tuple[dt.datetime, dt.datetime]:
    return _span([p for name in names for p in shown[name]])


def _rows(conn: sa.Connection, sql: str, params: Sequence[Any]) -> list[Row]:
    return [dict(r) for r in conn.exec_driver_sql(sql, tuple(params)).mappings()]


def _by_week(rows: Sequence[Row]) -> dict[dt.date, Row]:
    return {(r["week"].date() if isinstance(r["week"], dt.datetime) else r["week"]): r for r in rows}


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _ratio(num: Any, den: Any) -> float | None:
    if den is None or float(den) == 0:
        return None
    return float(num or 0) / float(den)


def _weekly(periods: Sequence[Period], weeks: Mapping[dt.date, Row], point: Callable[[Row | None], Point]) -> Series:
    return {p.first: point(weeks.get(p.first)) for p in periods}


def compute(
    conn: sa.Connection, shown: Mapping[str, Sequence[Period]], filters: Filters, as_of: dt.datetime
) -> Numbers:
    """Every scorecard metric's numbers over the periods `shown`, under region/product filters."""
    if conn.dialect.name != "duckdb":
        raise Unsupported(f"the hand-written SQL baseline is written for DuckDB, not {conn.dialect.name}")
    unknown = sorted(set(shown) - set(METRICS))
    if unknown:
        raise Unsupported(f"no hand-written SQL for {', '.join(unknown)}")
    out: Numbers = {}
    out.update(_leads_by_mql(conn, shown, filters, as_of))
    out.update(_leads_by_creation(conn, shown, filters, as_of))
    out.update(_deals_by_close(conn, shown, filters))
    out.update(_deals_by_creation(conn, shown, filters))
    out.update(_calls_per_close(conn, shown, filters, out))
    out.update(_quota_attainment(conn, shown, filters))
    out.update(_campaign_cohorts(conn, shown, filters))
    out.update(_pipeline_coverage(conn, shown, filters))
    return {name: out[name] for name in shown}


def _leads_by_mql(conn: sa.Connection, shown: Mapping[str, Sequence[Period]], filters: Filters,
                  as_of: dt.datetime) -> Numbers:  # fmt: skip
    names = ["sales_accept_rate", "speed_to_lead", "follow_up_sla", "unworked_leads", "lead_to_opportunity"]
    start, end = _union(shown, names)
    where, params = _where(filters, LEAD_REGION, LEAD_PRODUCT)
    hours = "(epoch(l.first_touch_at) - epoch(l.mql_at)) / 3600.0"
    sql = f"""
SELECT CAST(date_trunc('week', l.mql_at) AS DATE) AS week,
       count(*) AS mqls,
       count(l.accepted_at) AS accepted,
       count(*) FILTER (WHERE l.first_touch_at IS NULL) AS unworked,
       count(*) FILTER (WHERE {hours} <= 24) AS followed_up,
       median(greatest({hours}, 0)) FILTER (WHERE l.first_touch_at IS NOT NULL) AS speed_hours,
       count(l.first_touch_at) AS touched,
       count(*) FILTER (WHERE l.accepted_at IS NOT NULL AND o.created_at >= l.mql_at AND o.created_at < ?
                          AND (epoch(o.created_at) - epoch(l.mql_at)) / 86400.0 <= 30) AS opportunity_in_30d
FROM leads l
LEFT JOIN opportunities o ON o.id = l.opportunity_id{LEAD_JOINS}
WHERE l.mql_at >= ? AND l.mql_at < ?{where}
GROUP BY 1"""
    weeks = _by_week(_rows(conn, sql, [as_of, start, end, *params]))

    def share(column: str) -> Callable[[Row | None], Point]:
        return lambda r: Point(None, 0) if r is None else Point(_ratio(r[column], r["mqls"]), r["mqls"])

    return {
        "sales_accept_rate": _weekly(shown["sales_accept_rate"], weeks, share("accepted")),
        "follow_up_sla": _weekly(shown["follow_up_sla"], weeks, share("followed_up")),
        "unworked_leads": _weekly(shown["unworked_leads"], weeks, share("unworked")),
        "lead_to_opportunity": _weekly(shown["lead_to_opportunity"], weeks, share("opportunity_in_30d")),
        "speed_to_lead": _weekly(
            shown["speed_to_lead"],
            weeks,
            lambda r: Point(None, 0) if r is None else Point(_num(r["speed_hours"]), r["touched"]),
        ),
    }


def _leads_by_creation(conn: sa.Connection, shown: Mapping[str, Sequence[Period]], filters: Filters,
                       as_of: dt.datetime) -> Numbers:  # fmt: skip
    start, end = _union(shown, ["leads_created", "lead_to_close", "revenue_per_lead"])
    where, params = _where(filters, LEAD_REGION, LEAD_PRODUCT)
    won = (
        "l.mql_at IS NOT NULL AND o.is_won AND o.closed_at >= l.created_at AND o.closed_at < ? "
        "AND (epoch(o.closed_at) - epoch(l.created_at)) / 86400.0 <= 220"
    )
    sql = f"""
SELECT CAST(date_trunc('week', l.created_at) AS DATE) AS week,
       count(*) AS leads,
       count(l.mql_at) AS mqls,
       count(*) FILTER (WHERE {won}) AS won_in_220d,
       coalesce(sum(o.amount) FILTER (WHERE {won}), 0) AS revenue_in_220d
FROM leads l
LEFT JOIN opportunities o ON o.id = l.opportunity_id{LEAD_JOINS}
WHERE l.created_at >= ? AND l.created_at < ?{where}
GROUP BY 1"""
    weeks = _by_week(_rows(conn, sql, [as_of, as_of, start, end, *params]))

    def cohort(column: str) -> Callable[[Row | None], Point]:
        def point(r: Row | None) -> Point:
            if r is None or r["mqls"] == 0:
                return Point(None, 0)
            return Point(_ratio(r[column], r["mqls"]), r["mqls"])

        return point

    return {
        "leads_created": _weekly(
            shown["leads_created"],
            weeks,
            lambda r: Point(0.0, 0) if r is None else Point(float(r["leads"]), r["leads"]),
        ),
        "lead_to_close": _weekly(shown["lead_to_close"], weeks, cohort("won_in_220d")),
        "revenue_per_lead": _weekly(shown["revenue_per_lead"], weeks, cohort("revenue_in_220d")),
    }


def _deals_by_close(conn: sa.Connection, shown: Mapping[str, Sequence[Period]], filters: Filters) -> Numbers:
    names = ["bookings", "win_rate", "cycle_days_median", "cycle_days_p90", "discount_depth", "calls_per_close"]
    start, end = _union(shown, names)
    where, params = _where(filters, DEAL_REGION, DEAL_PRODUCT)
    discounted = "o.is_won AND o.list_amount > 0"
    sql = f"""
SELECT CAST(date_trunc('week', o.closed_at) AS DATE) AS week,
       count(*) AS closed,
       count(*) FILTER (WHERE o.is_won) AS won,
       coalesce(sum(o.amount) FILTER (WHERE o.is_won), 0) AS bookings,
       quantile_cont((epoch(o.closed_at) - epoch(o.created_at)) / 86400.0, [0.5, 0.9])
           FILTER (WHERE o.is_won) AS cycle_days,
       avg(1 - CAST(o.amount AS DOUBLE) / CAST(o.list_amount AS DOUBLE)) FILTER (WHERE {discounted}) AS discount,
       count(o.amount) FILTER (WHERE {discounted}) AS discounted
FROM opportunities o{DEAL_JOINS}
WHERE o.closed_at >= ? AND o.closed_at < ?{where}
GROUP BY 1"""
    weeks = _by_week(_rows(conn, sql, [start, end, *params]))

    def cycle(i: int) -> Callable[[Row | None], Point]:
        def point(r: Row | None) -> Point:
            if r is None or not r["won"]:
                return Point(None, 0)
            return Point(float(r["cycle_days"][i]), r["won"])

        return point

    def discount(r: Row | None) -> Point:
        if r is None or not r["discounted"]:
            return Point(None, 0)
        return Point(_num(r["discount"]), r["discounted"])

    return {
        "bookings": _weekly(
            shown["bookings"], weeks, lambda r: Point(0.0, 0) if r is None else Point(float(r["bookings"]), r["won"])
        ),
        "win_rate": _weekly(
            shown["win_rate"],
            weeks,
            lambda r: Point(None, 0) if r is None else Point(_ratio(r["won"], r["closed"]), r["closed"]),
        ),
        "cycle_days_median": _weekly(shown["cycle_days_median"], weeks, cycle(0)),
        "cycle_days_p90": _weekly(shown["cycle_days_p90"], weeks, cycle(1)),
        "discount_depth": _weekly(shown["discount_depth"], weeks, discount),
        # Not a scorecard row: the won deals of calls_per_close's weeks, read by _calls_per_close.
        "_won_deals": _weekly(
            shown["calls_per_close"], weeks, lambda r: Point(None, 0) if r is None else Point(None, r["won"])
        ),
    }


def _deals_by_creation(conn: sa.Connection, shown: Mapping[str, Sequence[Period]], filters: Filters) -> Numbers:
    start, end = _union(shown, ["marketing_sourced_pipeline", "channel_conflict_rate"])
    where, params = _where(filters, DEAL_REGION, DEAL_PRODUCT)
    sql = f"""
WITH deals AS (
    SELECT o.account_id, o.channel, o.created_at, o.lead_id, o.amount
    FROM opportunities o{DEAL_JOINS}
    WHERE o.created_at >= ? AND o.created_at < ?{where}
)
SELECT CAST(date_trunc('week', d.created_at) AS DATE) AS week,
       count(*) AS deals,
       count(*) FILTER (WHERE d.lead_id IS NOT NULL) AS sourced,
       coalesce(sum(d.amount) FILTER (WHERE d.lead_id IS NOT NULL), 0) AS sourced_amount,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM opportunities x
           WHERE x.account_id = d.account_id AND x.channel <> d.channel
             AND abs(epoch(x.created_at) - epoch(d.created_at)) / 86400.0 <= 90)) AS conflicted
FROM deals d
GROUP BY 1"""
    weeks = _by_week(_rows(conn, sql, [start, end, *params]))
    return {
        "marketing_sourced_pipeline": _weekly(
            shown["marketing_sourced_pipeline"],
            weeks,
            lambda r: Point(0.0, 0) if r is None else Point(float(r["sourced_amount"]), r["sourced"]),
        ),
        "channel_conflict_rate": _weekly(
            shown["channel_conflict_rate"],
            weeks,
            lambda r: Point(None, 0) if r is None else Point(_ratio(r["conflicted"], r["deals"]), r["deals"]),
        ),
    }


def _calls_per_close(conn: sa.Connection, shown: Mapping[str, Sequence[Period]], filters: Filters,
                     found: Numbers) -> Numbers:  # fmt: skip
    """Calls on a won deal or on the lead behind it, in the deal's close week, over won deals."""
    start, end = _union(shown, ["calls_per_close"])
    where, params = _where(filters, CALL_REGION, CALL_PRODUCT)
    sql = f"""
SELECT CAST(date_trunc('week', coalesce(ao.closed_at, lo.closed_at)) AS DATE) AS week, count(*) AS calls
FROM activities a
LEFT JOIN opportunities ao ON ao.id = a.opportunity_id
LEFT JOIN leads al ON al.id = a.lead_id
LEFT JOIN opportunities lo ON lo.id = al.opportunity_id
LEFT JOIN reps ar ON ar.id = a.rep_id
LEFT JOIN products aop ON aop.id = ao.product_id
LEFT JOIN products alp ON alp.id = al.product_id
WHERE a.type = 'call' AND coalesce(ao.is_won, lo.is_won)
  AND coalesce(ao.closed_at, lo.closed_at) >= ? AND coalesce(ao.closed_at, lo.closed_at) < ?{where}
GROUP BY 1"""
    weeks = _by_week(_rows(conn, sql, [start, end, *params]))
    won = found.pop("_won_deals")
    assert won is not None
    series: Series = {}
    for p in shown["calls_per_close"]:
        calls, deals = weeks.get(p.first), won[p.first].n
        if calls is None and deals == 0:
            series[p.first] = Point(None, 0)
        else:
            series[p.first] = Point(_ratio(calls["calls"] if calls else 0, deals), deals)
    return {"calls_per_close": series}


def _window_params(periods: Sequence[Period]) -> list[Any]:
    return [[p.first for p in periods], [p.last for p in periods]]


WINDOWS = "SELECT unnest(?::DATE[]) AS p_first, unnest(?::DATE[]) AS p_last"


def _quota_attainment(conn: sa.Connection, shown: Mapping[str, Sequence[Period]], filters: Filters) -> Numbers:
    """Won amount closed in the quarter to date over each rep's quota spread evenly over its days."""
    if filters.get("product"):
        return {"quota_attainment": None}  # quotas are set per rep, not per product
    periods = shown["quota_attainment"]
    won_where, won_params = _where(filters, DEAL_REGION, None)
    quota_where, quota_params = _where(filters, QUOTA_REGION, None)
    sql = f"""
WITH w AS ({WINDOWS}),
won AS (
    SELECT w.p_first, sum(o.amount) AS amount, count(*) AS deals
    FROM w JOIN opportunities o ON o.closed_at >= w.p_first AND o.closed_at < w.p_last + INTERVAL 1 DAY{DEAL_JOINS}
    WHERE o.is_won{won_where}
    GROUP BY 1
),
quota AS (
    SELECT w.p_first,
           sum(q.amount * (date_diff('day', greatest(q.period_start, w.p_first), least(q.period_end, w.p_last)) + 1)
               / (date_diff('day', q.period_start, q.period_end) + 1)) AS amount
    FROM w JOIN quotas q ON q.period_start <= w.p_last AND q.period_end >= w.p_first
    LEFT JOIN reps qr ON qr.id = q.rep_id
    WHERE true{quota_where}
    GROUP BY 1
)
SELECT coalesce(won.p_first, quota.p_first) AS week, won.amount AS won, won.deals, quota.amount AS quota
FROM won FULL OUTER JOIN quota ON quota.p_first = won.p_first"""
    rows = _by_week(_rows(conn, sql, [*_window_params(periods), *won_params, *quota_params]))
    series: Series = {}
    for p in periods:
        r = rows.get(p.first)
        series[p.first] = Point(None, 0) if r is None else Point(_ratio(r["won"], r["quota"]), int(r["deals"] or 0))
    return {"quota_attainment": series}


def _campaign_cohorts(conn: sa.Connection, shown: Mapping[str, Sequence[Period]], filters: Filters) -> Numbers:
    """Campaigns that ended in each 13-week window: their cost, and the deals their leads became
    (won within 220 days of the lead arriving), with those deals' cost of sale and margin."""
    names = ["cost_per_won_deal", "margin_per_won_deal", "cost_to_margin"]
    periods = shown[names[0]]
    if any(shown[n] != periods for n in names):
        raise Unsupported("the campaign cohort metrics are expected to share their windows")
    cost_where, cost_params = _where(filters, CAMPAIGN_REGION, CAMPAIGN_PRODUCT)
    won_where, won_params = _where(filters, DEAL_REGION, DEAL_PRODUCT)
    sql = f"""
WITH w AS ({WINDOWS}),
cost AS (
    SELECT w.p_first, sum(c.cost) AS cost, count(*) AS campaigns
    FROM w JOIN campaigns c ON c.end_date BETWEEN w.p_first AND w.p_last
    LEFT JOIN products cp ON cp.id = c.product_id
    WHERE true{cost_where}
    GROUP BY 1
),
won AS (
    SELECT w.p_first, count(*) AS deals, sum(o.cost_of_sale) AS cost_of_sale,
           sum(o.amount * op.margin_rate) AS margin
    FROM opportunities o
    JOIN leads l ON l.id = o.lead_id
    JOIN campaigns c ON c.id = l.campaign_id
    JOIN w ON c.end_date BETWEEN w.p_first AND w.p_last{DEAL_JOINS}
    WHERE o.is_won AND (epoch(o.closed_at) - epoch(l.created_at)) / 86400.0 <= 220{won_where}
    GROUP BY 1
)
SELECT w.p_first AS week, coalesce(cost.cost, 0) AS cost, coalesce(cost.campaigns, 0) AS campaigns,
       coalesce(won.deals, 0) AS deals, coalesce(won.cost_of_sale, 0) AS cost_of_sale,
       coalesce(won.margin, 0) AS margin
FROM w LEFT JOIN cost ON cost.p_first = w.p_first LEFT JOIN won ON won.p_first = w.p_first"""
    rows = _by_week(_rows(conn, sql, [*_window_params(periods), *cost_params, *won_params]))
    cost_per, margin_per, cost_to = {}, {}, {}
    for p in periods:
        r = rows[p.first]
        cost, cost_of_sale, margin = float(r["cost"]), float(r["cost_of_sale"]), float(r["margin"])
        deals, campaigns = int(r["deals"]), int(r["campaigns"])
        cost_per[p.first] = Point(_ratio(cost + cost_of_sale, deals), min(campaigns, deals))
        margin_per[p.first] = Point(_ratio(margin, deals), deals)
        cost_to[p.first] = Point(_ratio(cost + cost_of_sale, margin), min(campaigns, deals))
    return {"cost_per_won_deal": cost_per, "margin_per_won_deal": margin_per, "cost_to_margin": cost_to}


def _pipeline_coverage(conn: sa.Connection, shown: Mapping[str, Sequence[Period]], filters: Filters) -> Numbers:
    """Deals open at the end of the week and expected to close in the 91 days after it, over the
    quota of those 91 days (each rep's quota spread evenly over its period's days)."""
    if filters.get("product"):
        return {"pipeline_coverage": None}  # quotas are set per rep, not per product
    periods = shown["pipeline_coverage"]
    deal_where, deal_params = _where(filters, DEAL_REGION, None)
    quota_where, quota_params = _where(filters, QUOTA_REGION, None)
    sql = f"""
WITH w AS (SELECT p_first, p_last, p_last + 1 AS ahead_first, p_last + 91 AS ahead_last FROM ({WINDOWS})),
due AS (
    SELECT w.p_first, sum(o.amount) AS amount, count(*) AS deals
    FROM w JOIN opportunities o
      ON o.created_at < w.p_last + INTERVAL 1 DAY
     AND (o.closed_at IS NULL OR o.closed_at >= w.p_last + INTERVAL 1 DAY)
     AND o.expected_close_at BETWEEN w.ahead_first AND w.ahead_last{DEAL_JOINS}
    WHERE true{deal_where}
    GROUP BY 1
),
quota AS (
    SELECT w.p_first, count(*) AS quotas,
           sum(q.amount * (date_diff('day', greatest(q.period_start, w.ahead_first),
                                     least(q.period_end, w.ahead_last)) + 1)
               / (date_diff('day', q.period_start, q.period_end) + 1)) AS amount
    FROM w JOIN quotas q ON q.period_start <= w.ahead_last AND q.period_end >= w.ahead_first
    LEFT JOIN reps qr ON qr.id = q.rep_id
    WHERE true{quota_where}
    GROUP BY 1
)
SELECT w.p_first AS week, coalesce(due.amount, 0) AS due, coalesce(due.deals, 0) AS deals,
       coalesce(quota.amount, 0) AS quota, coalesce(quota.quotas, 0) AS quotas
FROM w LEFT JOIN due ON due.p_first = w.p_first LEFT JOIN quota ON quota.p_first = w.p_first"""
    rows = _by_week(_rows(conn, sql, [*_window_params(periods), *deal_params, *quota_params]))
    series: Series = {}
    for p in periods:
        r = rows[p.first]
        series[p.first] = Point(_ratio(r["due"], r["quota"]), min(int(r["deals"]), int(r["quotas"])))
    return {"pipeline_coverage": series}
