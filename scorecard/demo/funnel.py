"""What marketing brings: the campaign plan, the leads it draws, and how far each lead gets with sales."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa

from scorecard.demo.arrays import (
    business_time,
    choose,
    choose_rows,
    dates,
    id_column,
    lognormal,
    money,
    pick_member,
    sample_days,
)
from scorecard.demo.company import Accounts, Staff, pick_accounts
from scorecard.demo.story import (
    CONTENT,
    CONTENT_TITLES,
    DAY,
    DIRECT,
    FLEXIBLE,
    FLEXIBLE_PRODUCT,
    FLEXIBLE_QUARTERS,
    FLEXIBLE_REGIONS,
    FLEXIBLE_SHARE_OF_PAID,
    GROWTH_PER_YEAR,
    HOUR,
    OUTBOUND,
    PAID_SEARCH,
    PARTNER,
    PARTNER_OWNED,
    PRODUCTS,
    REFERRAL,
    REGIONS,
    REJECT_WEIGHTS,
    SHARED,
    SOURCES,
    TRADE_SHOW,
    TRADE_SHOWS,
    WEBINAR,
    WEBINAR_TOPICS,
    WEBSITE,
    Calendar,
    month_index,
    month_start_day,
)


@dataclass(frozen=True)
class _Campaigns:
    """The campaign plan, and a lookup of the running campaign per channel, region and period."""

    channel: np.ndarray
    name: list[str]
    region: np.ndarray
    product: np.ndarray
    start_day: np.ndarray
    end_day: np.ndarray
    monthly: np.ndarray
    quarterly: np.ndarray
    yearly: np.ndarray
    flexible: np.ndarray
    show_day: np.ndarray
    show_weight: np.ndarray
    show_campaign: np.ndarray


_MONTH_NAMES: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_QUARTERLY: Final = (PAID_SEARCH, CONTENT, PARTNER, OUTBOUND)


def campaigns(rng: np.random.Generator, calendar: Calendar) -> _Campaigns:
    """Monthly webinars, quarterly paid search, content, partner and outbound programs, yearly
    referral programs and trade-show booths per region, plus the "Flexible terms" campaigns."""
    channel: list[int] = []
    name: list[str] = []
    region: list[int] = []
    product: list[int] = []
    start: list[int] = []
    end: list[int] = []
    n_regions = len(REGIONS)

    def add(ch: int, label: str, r: int, prod: int, first: int, last: int) -> int:
        channel.append(ch)
        name.append(label)
        region.append(r)
        product.append(prod)
        start.append(first)
        end.append(last)
        return len(channel) - 1

    monthly = np.zeros((n_regions, calendar.n_months), dtype=np.int64)
    for m in range(calendar.n_months):
        month_abs = calendar.start_month + m
        first, last = month_start_day(month_abs), month_start_day(month_abs + 1) - 1
        year, month = 1970 + month_abs // 12, month_abs % 12
        for r, reg in enumerate(REGIONS):
            topic, prod = WEBINAR_TOPICS[(m + 3 * r) % len(WEBINAR_TOPICS)]
            label = f"Webinar: {topic} ({reg.code}, {_MONTH_NAMES[month]} {year})"
            monthly[r, m] = add(WEBINAR, label, r, prod, first, last)
    quarterly = np.zeros((len(SOURCES), n_regions, calendar.n_quarters), dtype=np.int64)
    for q in range(calendar.n_quarters):
        month_abs = calendar.start_month + 3 * q
        first, last = month_start_day(month_abs), month_start_day(month_abs + 3) - 1
        tag = f"Q{month_abs % 12 // 3 + 1} {1970 + month_abs // 12}"
        for r, reg in enumerate(REGIONS):
            title = CONTENT_TITLES[(q + r) % len(CONTENT_TITLES)]
            focus = ("mid-market", "enterprise")[(q + r) % 2]
            plans = (
                (PAID_SEARCH, f"Paid search: revenue analytics ({reg.code}) {tag}", -1),
                (CONTENT, f"{title} ({reg.code}) {tag}", int(rng.integers(0, len(PRODUCTS)))),
                (PARTNER, f"Partner co-marketing {reg.code} {tag}", 3),
                (OUTBOUND, f"Outbound sequence: {focus} {reg.code} {tag}", 0),
            )
            for ch, label, prod in plans:
                quarterly[ch, r, q] = add(ch, label, r, prod, first, last)
    yearly = np.zeros((n_regions, calendar.n_years), dtype=np.int64)
    for y in range(calendar.n_years):
        year = calendar.start.year + y
        first = max(calendar.day0, (dt.date(year, 1, 1) - dt.date(1970, 1, 1)).days)
        last = (dt.date(year, 12, 31) - dt.date(1970, 1, 1)).days
        for r, reg in enumerate(REGIONS):
            yearly[r, y] = add(REFERRAL, f"Customer referral program {reg.code} {year}", r, -1, first, last)
    flexible_quarter = max(0, calendar.n_quarters - FLEXIBLE_QUARTERS)
    flexible_first = month_start_day(calendar.start_month + 3 * flexible_quarter)
    quarter_end = month_start_day(calendar.start_month + 3 * calendar.n_quarters) - 1
    flexible = np.full(n_regions, -1, dtype=np.int64)
    for r in FLEXIBLE_REGIONS:
        label = f"Flexible terms: start small, pay monthly ({REGIONS[r].code})"
        flexible[r] = add(PAID_SEARCH, label, r, FLEXIBLE_PRODUCT, flexible_first, quarter_end)
    show_day: list[int] = []
    show_weight: list[float] = []
    show_campaign: list[int] = []
    for year in range(calendar.start.year, calendar.today.year + 1):
        for show in TRADE_SHOWS:
            first_of_month = dt.date(year, show.month, 1)
            tuesday = first_of_month + dt.timedelta(days=(1 - first_of_month.weekday()) % 7 + 7)
            day = (tuesday - dt.date(1970, 1, 1)).days
            if day < calendar.day0 or day + 12 > calendar.last_day:
                continue
            show_day.append(day)
            show_weight.append(show.size * float(np.exp(GROWTH_PER_YEAR * (day - calendar.day0) / 365.25)))
            label = f"{show.name} {year} booth"
            show_campaign.append(add(TRADE_SHOW, label, show.region, -1, day, day + 2))
    return _Campaigns(
        channel=np.array(channel),
        name=name,
        region=np.array(region),
        product=np.array(product),
        start_day=np.array(start),
        end_day=np.array(end),
        monthly=monthly,
        quarterly=quarterly,
        yearly=yearly,
        flexible=flexible,
        show_day=np.array(show_day, dtype=np.int64),
        show_weight=np.array(show_weight),
        show_campaign=np.array(show_campaign, dtype=np.int64),
    )


def campaigns_frame(
    campaigns: _Campaigns, ids: pa.Array, product_ids: pa.Array, lead_campaign: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """The campaign table; cost is the campaign's leads times its channel's cost per lead."""
    n = len(campaigns.name)
    leads_per_campaign = np.bincount(lead_campaign[lead_campaign >= 0], minlength=n)
    cost_per_lead = np.array([s.cost_per_lead for s in SOURCES])[campaigns.channel]
    cost_per_lead[np.isin(np.arange(n), campaigns.flexible)] = SOURCES[FLEXIBLE].cost_per_lead
    cost = np.maximum(leads_per_campaign * cost_per_lead * rng.lognormal(0.0, 0.2, n), 1_000.0)
    return pd.DataFrame(
        {
            "id": id_column(ids),
            "name": pd.array(campaigns.name, dtype="str"),
            "channel": pd.array([SOURCES[c].name for c in campaigns.channel], dtype="str"),
            "region": pd.array([REGIONS[r].code for r in campaigns.region], dtype="str"),
            "product_id": id_column(product_ids, campaigns.product),
            "start_date": dates(campaigns.start_day),
            "end_date": dates(campaigns.end_day),
            "cost": money(np.round(cost, -2)),
        }
    )


@dataclass(frozen=True)
class Leads:
    """Per-lead arrays (in generation order, seconds since the epoch) before ids are given."""

    profile: np.ndarray
    created_s: np.ndarray
    campaign: np.ndarray
    account: np.ndarray
    region: np.ndarray
    segment: np.ndarray
    product: np.ndarray
    owner: np.ndarray
    mql_s: np.ndarray
    is_mql: np.ndarray
    first_touch_s: np.ndarray
    is_worked: np.ndarray
    decision_s: np.ndarray
    is_accepted: np.ndarray
    is_rejected: np.ndarray
    reject_reason: np.ndarray
    converted_s: np.ndarray
    is_converted: np.ndarray
    work_end_s: np.ndarray


def leads(
    rng: np.random.Generator, n: int, calendar: Calendar, campaigns: _Campaigns, accounts: Accounts, staff: Staff
) -> Leads:
    """Who arrives when, from where, and how far each lead gets with sales."""
    sources = SOURCES
    profile = choose(rng, [s.share for s in sources], n)
    region = choose(rng, [r.share for r in REGIONS], n)
    day = sample_days(rng, calendar.day0, calendar.last_day, n, calendar)
    campaign = np.full(n, -1, dtype=np.int64)

    show = profile == TRADE_SHOW
    if len(campaigns.show_day) == 0:
        profile[show] = WEBSITE
        show[:] = False
    n_show = int(show.sum())
    picked = choose(rng, campaigns.show_weight, n_show)
    # Badge scans arrive during the three show days or in a batch upload the week after.
    offset = np.where(rng.random(n_show) < 0.65, rng.integers(0, 3, n_show), rng.integers(3, 9, n_show))
    show_days = campaigns.show_day[picked] + offset
    weekday = (show_days + 3) % 7
    day[show] = show_days + np.where(weekday >= 5, 7 - weekday, 0)
    campaign[show] = campaigns.show_campaign[picked]
    region[show] = campaigns.region[campaigns.show_campaign[picked]]

    created_s = day * DAY + business_time(rng, region)
    created_s = np.where(created_s > calendar.end_s, created_s - DAY, created_s)
    day = created_s // DAY
    month = np.clip(month_index(day, calendar), 0, calendar.n_months - 1)
    quarter = month // 3
    year = np.clip(
        day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970 - calendar.start.year,
        0,
        calendar.n_years - 1,
    )

    flexible_start = campaigns.start_day[campaigns.flexible[FLEXIBLE_REGIONS[0]]]
    flexible = (
        (profile == PAID_SEARCH)
        & np.isin(region, FLEXIBLE_REGIONS)
        & (day >= flexible_start)
        & (rng.random(n) < FLEXIBLE_SHARE_OF_PAID)
    )
    profile[flexible] = FLEXIBLE
    campaign[flexible] = campaigns.flexible[region[flexible]]

    with_campaign = (rng.random(n) < np.array([s.campaign_share for s in sources])[profile]) & (campaign < 0)
    with_campaign &= profile != FLEXIBLE
    webinar = with_campaign & (profile == WEBINAR)
    campaign[webinar] = campaigns.monthly[region[webinar], month[webinar]]
    for ch in _QUARTERLY:
        rows = with_campaign & (profile == ch)
        campaign[rows] = campaigns.quarterly[ch, region[rows], quarter[rows]]
    referral = with_campaign & (profile == REFERRAL)
    campaign[referral] = campaigns.yearly[region[referral], year[referral]]

    segment = choose_rows(rng, np.array([s.segment_mix for s in sources])[profile])
    shared = rng.random(n) < np.array([s.shared_account_share for s in sources])[profile]
    ownership = np.where(shared, SHARED, np.where(profile == PARTNER, PARTNER_OWNED, DIRECT))
    account = pick_accounts(rng, accounts, region, segment, ownership)
    campaign_product = np.where(campaign >= 0, campaigns.product[np.maximum(campaign, 0)], -1)
    product = np.where(campaign_product >= 0, campaign_product, choose(rng, [p.weight for p in PRODUCTS], n))
    owner = staff.sdr[pick_member(rng, region, day, staff.sdr_region, staff.sdr_hire_day, len(REGIONS))]

    def param(field: str) -> np.ndarray:
        return np.array([getattr(s, field) for s in sources])[profile]

    hours = lognormal(rng, 2.5, 1.2, n) * HOUR
    mql_s = created_s + np.minimum(hours, 10 * DAY).astype(np.int64) + 60
    is_mql = (rng.random(n) < param("p_mql")) & (mql_s <= calendar.end_s)

    touch_median = np.array([r.first_touch_median_h for r in REGIONS])[region]
    touch_sigma = np.array([r.first_touch_sigma for r in REGIONS])[region]
    delay = np.minimum(lognormal(rng, touch_median, touch_sigma, n), 24 * 20) * HOUR
    first_touch_s = mql_s + delay.astype(np.int64) + 120
    is_worked = is_mql & (rng.random(n) >= param("p_unworked")) & (first_touch_s <= calendar.end_s)

    decision_s = first_touch_s + (lognormal(rng, 1.5, 0.9, n) * DAY).astype(np.int64) + 600
    decided = is_worked & (decision_s <= calendar.end_s)
    accept = rng.random(n) < param("p_accept")
    is_accepted = decided & accept
    is_rejected = decided & ~accept
    reject_weights = np.array(REJECT_WEIGHTS, dtype=np.float64)[profile]
    reject_reason = np.where(is_rejected, choose_rows(rng, reject_weights), -1)

    converted_s = decision_s + (lognormal(rng, 4.0, 0.8, n) * DAY).astype(np.int64) + 600
    is_converted = is_accepted & (rng.random(n) < param("p_convert")) & (converted_s <= calendar.end_s)

    work_end_s = np.where(
        is_converted,
        converted_s - 300,
        np.where(decided & ~is_accepted, decision_s, np.where(is_accepted, decision_s + 14 * DAY, decision_s)),
    )
    work_end_s = np.maximum(np.minimum(work_end_s, calendar.end_s), first_touch_s)
    return Leads(
        profile=profile,
        created_s=created_s,
        campaign=campaign,
        account=account,
        region=region,
        segment=segment,
        product=product,
        owner=owner,
        mql_s=mql_s,
        is_mql=is_mql,
        first_touch_s=first_touch_s,
        is_worked=is_worked,
        decision_s=decision_s,
        is_accepted=is_accepted,
        is_rejected=is_rejected,
        reject_reason=reject_reason,
        converted_s=converted_s,
        is_converted=is_converted,
        work_end_s=work_end_s,
    )
