"""What sales makes of it: deals (from leads, sales, partners and channel conflicts), activities and quotas."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scorecard.demo.arrays import business_time, choose, dates, id_column, lognormal, money, pick_member, sample_days
from scorecard.demo.company import Accounts, Partners, Staff, pick_accounts
from scorecard.demo.funnel import Leads
from scorecard.demo.story import (
    ACTIVITY_TYPES,
    CONFLICT,
    CONFLICT_SHARE,
    DAY,
    ENTERPRISE,
    FLEXIBLE,
    FROM_LEAD,
    HOUR,
    MAX_CYCLE_DAYS,
    PAID_SEARCH,
    PARTNER,
    PARTNER_REGISTERED_SHARE,
    PRE_HISTORY_DAYS,
    PRODUCTS,
    QUOTA_RAMP,
    REGIONS,
    REGISTERED,
    SALES_SOURCED,
    SALES_SOURCED_SHARE,
    SEGMENTS,
    SHARED,
    SOURCES,
    Calendar,
    day_weights,
    month_index,
    month_start_day,
)


@dataclass(frozen=True)
class Opportunities:
    """Per-deal arrays before ids are given; `lead` is the lead row or -1."""

    lead: np.ndarray
    account: np.ndarray
    region: np.ndarray
    segment: np.ndarray
    product: np.ndarray
    flexible: np.ndarray
    channel_partner: np.ndarray
    partner: np.ndarray
    owner_ae: np.ndarray
    created_s: np.ndarray
    close_s: np.ndarray
    is_closed: np.ndarray
    is_won: np.ndarray
    stage: np.ndarray
    list_amount: np.ndarray
    amount: np.ndarray
    cost_of_sale: np.ndarray


def opportunities(
    rng: np.random.Generator,
    calendar: Calendar,
    leads: Leads,
    accounts: Accounts,
    staff: Staff,
    partners: Partners,
) -> Opportunities:
    """Deals from converted leads, sales-sourced deals, partner deals, and their outcomes."""
    from_leads = np.flatnonzero(leads.is_converted)
    n_leads = len(from_leads)

    def sales_sourced(
        count: int, first_day: int, last_day: int, ownership_mix: tuple[float, float, float]
    ) -> tuple[np.ndarray, np.ndarray]:
        day = sample_days(rng, first_day, last_day, count, calendar)
        region = choose(rng, [r.share for r in REGIONS], count)
        segment = choose(rng, [s.sales_sourced_share for s in SEGMENTS], count)
        ownership = choose(rng, ownership_mix, count)
        account = pick_accounts(rng, accounts, region, segment, ownership)
        return account, np.minimum(day * DAY + business_time(rng, region), calendar.end_s - 60)

    direct_mix = (0.85, 0.0, 0.15)
    partner_mix = (0.10, 0.75, 0.15)
    n_direct = round(n_leads * SALES_SOURCED_SHARE)
    n_registered = round(n_leads * PARTNER_REGISTERED_SHARE)
    direct_account, direct_s = sales_sourced(n_direct, calendar.day0, calendar.last_day, direct_mix)
    registered_account, registered_s = sales_sourced(n_registered, calendar.day0, calendar.last_day, partner_mix)
    account = np.concatenate([leads.account[from_leads], direct_account, registered_account])
    created_s = np.concatenate([leads.converted_s[from_leads], direct_s, registered_s])
    kind = np.repeat([FROM_LEAD, SALES_SOURCED, REGISTERED], [n_leads, n_direct, n_registered])
    is_partner = np.concatenate([leads.profile[from_leads] == PARTNER, kind[n_leads:] == REGISTERED])

    # Channel conflict: partners register deals on shared accounts sales already works.
    base = np.flatnonzero(
        ~is_partner & (accounts.ownership[account] == SHARED) & (rng.random(len(account)) < CONFLICT_SHARE)
    )
    conflict_s = created_s[base] + (rng.uniform(-85, 85, len(base)) * DAY).astype(np.int64)
    conflict_s = np.clip(conflict_s, calendar.start_s, calendar.end_s - HOUR)

    account = np.concatenate([account, account[base]])
    created_s = np.concatenate([created_s, conflict_s])
    kind = np.concatenate([kind, np.full(len(base), CONFLICT)])
    is_partner = np.concatenate([is_partner, np.ones(len(base), dtype=bool)])
    lead = np.concatenate([from_leads, np.full(len(account) - n_leads, -1)])
    profile = np.where(kind == FROM_LEAD, leads.profile[np.maximum(lead, 0)], -1)
    product = np.where(
        kind == FROM_LEAD,
        leads.product[np.maximum(lead, 0)],
        choose(rng, [p.weight for p in PRODUCTS], len(account)),
    )

    # Deals already open when the history starts, so early quarters book normally: copies
    # of deals from the history (same mix), created in the months before it, without leads.
    history_days = np.arange(calendar.day0, calendar.last_day + 1)
    pre_days = np.arange(calendar.day0 - PRE_HISTORY_DAYS, calendar.day0)
    rate = len(account) / day_weights(history_days, calendar).sum()
    n_pre = round(rate * day_weights(pre_days, calendar).sum())
    pre = rng.integers(0, len(account), n_pre)
    pre_region = accounts.region[account[pre]]
    pre_s = sample_days(rng, int(pre_days[0]), int(pre_days[-1]), n_pre, calendar) * DAY
    pre_s = pre_s + business_time(rng, pre_region)
    account = np.concatenate([account, account[pre]])
    created_s = np.concatenate([created_s, pre_s])
    kind = np.concatenate([kind, np.where(kind[pre] == FROM_LEAD, SALES_SOURCED, kind[pre])])
    is_partner = np.concatenate([is_partner, is_partner[pre]])
    lead = np.concatenate([lead, np.full(n_pre, -1)])
    profile = np.concatenate([profile, np.where(profile[pre] == FLEXIBLE, PAID_SEARCH, profile[pre])])
    product = np.concatenate([product, product[pre]])
    n = len(account)
    flexible = profile == FLEXIBLE
    source_win = np.array([s.win_factor for s in SOURCES])[np.maximum(profile, 0)]
    win_factor = np.where(profile >= 0, source_win, np.where(kind == CONFLICT, 0.7, 1.05))

    region = accounts.region[account]
    segment = accounts.segment[account]
    partner = np.where(is_partner, choose(rng, partners.weight, n), -1)
    day = created_s // DAY
    owner = pick_member(
        rng, region * 2 + (segment == ENTERPRISE), day, staff.ae_group, staff.ae_hire_day, 2 * len(REGIONS)
    )
    skill = staff.ae_skill[owner]

    seg_param = {
        field: np.array([getattr(s, field) for s in SEGMENTS])[segment]
        for field in ("win_rate", "cycle_median_days", "cycle_sigma", "list_median", "list_sigma", "cost_fixed")
    }
    p_win = np.clip(seg_param["win_rate"] * win_factor * skill * np.where(is_partner, 0.95, 1.0), 0.03, 0.85)
    is_won = rng.random(n) < p_win
    cycle_median = np.where(flexible, 20.0, seg_param["cycle_median_days"])
    cycle = np.minimum(lognormal(rng, cycle_median, seg_param["cycle_sigma"], n), MAX_CYCLE_DAYS)
    cycle = np.maximum(np.round(np.where(is_won, cycle, cycle * rng.uniform(0.15, 0.9, n))), 1)
    close_s = (day + cycle.astype(np.int64)) * DAY + business_time(rng, region)
    close_s = np.maximum(close_s, created_s + HOUR)
    is_closed = close_s <= calendar.end_s
    keep = (created_s >= calendar.start_s) | (close_s >= calendar.start_s)

    elapsed = (calendar.end_s - created_s) / np.maximum(close_s - created_s, 1)
    stage = np.where(is_closed, np.where(is_won, 4, 5), np.minimum((elapsed * 4).astype(np.int64), 3))

    price = np.array([p.price_factor for p in PRODUCTS])[product]
    list_amount = lognormal(rng, seg_param["list_median"] * price, seg_param["list_sigma"], n)
    list_amount = np.where(flexible, lognormal(rng, 4_200.0, 0.3, n), list_amount)
    list_amount = np.maximum(np.round(list_amount, -1), 500.0)
    discount = (
        0.02
        + 0.05 * np.maximum(np.log(list_amount / 5_000), 0)
        + np.where(is_partner, 0.06, 0.0)
        + rng.normal(0, 0.03, n)
    ) * (1.3 - 0.3 * np.minimum(skill, 1.5))
    discount = np.where(flexible, rng.uniform(0.15, 0.30, n), discount)
    amount = money(list_amount * (1 - np.clip(discount, 0.0, 0.5)))
    commission = np.where(is_partner, partners.commission[np.maximum(partner, 0)], 0.0)
    cost = amount * (rng.uniform(0.05, 0.13, n) + commission) + seg_param["cost_fixed"] * rng.lognormal(0.0, 0.3, n)
    # Special orders: custom paperwork, monthly billing and hand-holding for a small deal.
    cost = np.where(flexible, amount * 0.35 + 2_800 * rng.lognormal(0.0, 0.2, n), cost)

    def kept(values: np.ndarray) -> np.ndarray:
        return values[keep]

    return Opportunities(
        lead=kept(lead),
        account=kept(account),
        region=kept(region),
        segment=kept(segment),
        product=kept(product),
        flexible=kept(flexible),
        channel_partner=kept(is_partner),
        partner=kept(partner),
        owner_ae=kept(owner),
        created_s=kept(created_s),
        close_s=kept(close_s),
        is_closed=kept(is_closed),
        is_won=kept(is_won & is_closed),
        stage=kept(stage),
        list_amount=kept(list_amount),
        amount=kept(amount),
        cost_of_sale=kept(money(cost)),
    )


@dataclass(frozen=True)
class Activities:
    """Per-activity arrays; `lead` and `opportunity` are rows or -1."""

    rep: np.ndarray
    lead: np.ndarray
    opportunity: np.ndarray
    type: np.ndarray
    occurred_s: np.ndarray
    duration_s: np.ndarray
    outcome: np.ndarray


def _working_hours(rng: np.random.Generator, begin_s: np.ndarray, end_s: np.ndarray, region: np.ndarray) -> np.ndarray:
    """A moment between begin and end, on a weekday in local business hours where it fits."""
    occurred_s = begin_s + (rng.random(len(begin_s)) * (end_s - begin_s)).astype(np.int64)
    day = occurred_s // DAY
    weekday = (day + 3) % 7
    day = day + np.where((weekday >= 5) & (rng.random(len(day)) < 0.85), 7 - weekday, 0)
    moved = day * DAY + business_time(rng, region)
    return np.where((moved >= begin_s) & (moved <= end_s), moved, occurred_s)


def activities(
    rng: np.random.Generator, calendar: Calendar, leads: Leads, opps: Opportunities, staff: Staff
) -> Activities:
    """Calls, emails, meetings and demos: on leads before conversion, on deals while open."""
    worked = np.flatnonzero(leads.is_worked)
    lam = np.where(
        leads.is_converted[worked],
        3.5,
        np.where(leads.is_rejected[worked], 1.5, np.where(leads.is_accepted[worked], 2.5, 1.0)),
    )
    per_lead = 1 + rng.poisson(lam)
    lead_row = np.repeat(worked, per_lead)
    first = np.zeros(len(lead_row), dtype=bool)
    first[np.cumsum(per_lead) - per_lead] = True
    begin = leads.first_touch_s[lead_row]
    later = _working_hours(rng, begin, leads.work_end_s[lead_row], leads.region[lead_row])
    lead_s = np.where(first, begin, later)
    lead_type = np.where(
        first, choose(rng, [0.7, 0.3, 0, 0], len(lead_row)), choose(rng, [0.5, 0.42, 0.08, 0], len(lead_row))
    )

    skill = staff.ae_skill[opps.owner_ae]
    n = len(opps.created_s)
    flexible = opps.flexible
    outcome_factor = np.where(opps.is_won | ~opps.is_closed, 1.0, 0.55)
    seg = {
        field: np.array([getattr(s, field) for s in SEGMENTS])[opps.segment]
        for field in ("calls", "meetings", "demos")
    }
    calls_mean = np.where(flexible, 5.0, seg["calls"]) * skill**-0.6 * outcome_factor
    counts = np.stack(
        [
            np.maximum(rng.poisson(calls_mean), opps.is_won.astype(np.int64)),
            rng.poisson(calls_mean * 0.8),
            rng.poisson(seg["meetings"] * outcome_factor),
            rng.poisson(seg["demos"] * outcome_factor),
        ],
        axis=1,
    )
    per_opp = counts.sum(axis=1)
    opp_row = np.repeat(np.arange(n), per_opp)
    opp_type = np.repeat(np.tile(np.arange(len(ACTIVITY_TYPES)), n), counts.reshape(-1))
    opp_s = _working_hours(rng, opps.created_s[opp_row], opps.close_s[opp_row], opps.region[opp_row])
    visible = opp_s <= calendar.end_s

    rep = np.concatenate([leads.owner[lead_row], staff.ae[opps.owner_ae[opp_row]][visible]])
    lead_ref = np.concatenate([lead_row, np.full(int(visible.sum()), -1)])
    opp_ref = np.concatenate([np.full(len(lead_row), -1), opp_row[visible]])
    kind = np.concatenate([lead_type, opp_type[visible]])
    occurred_s = np.concatenate([lead_s, opp_s[visible]])

    total = len(kind)
    u = rng.random(total)
    call_outcome = np.where(u < 0.35, 0, np.where(u < 0.75, 1, 2))
    email_outcome = np.where(u < 0.3, 3, 1)
    meeting_outcome = np.where(u < 0.88, 4, 5)
    outcome = np.select([kind == 0, kind == 1], [call_outcome, email_outcome], meeting_outcome)
    talk = np.exp(rng.normal(np.log(540), 0.6, total))
    duration = np.select(
        [kind == 0, kind == 2, kind == 3],
        [
            np.where(outcome == 0, talk, np.where(outcome == 1, rng.uniform(5, 30, total), rng.uniform(30, 80, total))),
            np.where(outcome == 4, rng.choice([1_800, 2_700, 3_600], total), 0),
            np.where(outcome == 4, rng.uniform(2_700, 5_400, total), 0),
        ],
        -1,
    ).astype(np.int64)
    return Activities(rep, lead_ref, opp_ref, kind, occurred_s, duration, outcome)


def quotas(calendar: Calendar, opps: Opportunities, staff: Staff, rng: np.random.Generator) -> pd.DataFrame:
    """A quota per AE and calendar quarter (through the quarter after the data ends), set by the
    team's trend of bookings per seasoned AE.

    Every AE of a region and focus gets the same plan (ramped for new hires), so the
    spread of attainment is the spread of the reps.
    """
    n_q = calendar.n_quarters
    n_plan = n_q + 1  # quotas are set a quarter ahead: next quarter's coverage needs its quota
    quarter_first = np.array([month_start_day(calendar.start_month + 3 * q) for q in range(n_plan + 1)])
    n_ae = len(staff.ae)
    won = opps.is_won & (opps.close_s >= calendar.start_s)
    won_quarter = np.searchsorted(quarter_first, opps.close_s[won] // DAY, side="right") - 1
    bookings = np.bincount(
        opps.owner_ae[won] * n_plan + won_quarter, weights=opps.amount[won], minlength=n_ae * n_plan
    ).reshape(n_ae, n_plan)
    hire_quarter = month_index(staff.ae_hire_day, calendar) // 3
    tenure = np.arange(n_plan)[None, :] - hire_quarter[:, None]
    employed = tenure >= 0
    ramp = np.array(QUOTA_RAMP)[np.clip(tenure, 0, len(QUOTA_RAMP) - 1)]
    seasoned = tenure >= len(QUOTA_RAMP) - 1
    complete = quarter_first[1:] - 1 < calendar.last_day

    quota = np.zeros((n_ae, n_plan))
    for group in np.unique(staff.ae_group):
        members = staff.ae_group == group
        count = (seasoned[members] & complete).sum(axis=0)
        total = np.where(seasoned[members], bookings[members], 0).sum(axis=0)
        usable = (count > 0) & (total > 0) & complete
        quarters = np.flatnonzero(usable)
        per_ae = np.log(total[usable] / count[usable])
        if len(quarters) >= 3:
            slope, intercept = np.polyfit(quarters, per_ae, 1)
            slope = float(np.clip(slope, 0.0, 0.1))
            intercept = float(np.mean(per_ae - slope * quarters))
        else:
            slope, intercept = 0.0, float(np.mean(per_ae)) if len(quarters) else np.log(100_000.0)
        plan = np.exp(intercept + slope * np.arange(n_plan)) * 1.05
        quota[members] = plan[None, :] * ramp[members]
    quota *= rng.lognormal(0.0, 0.06, (n_ae, 1))
    quota = np.maximum(np.round(quota, -3), 1_000.0)
    ae_index, quarter_index = np.nonzero(employed)
    return pd.DataFrame(
        {
            "rep_id": id_column(staff.ids, staff.ae[ae_index]),
            "period_start": dates(quarter_first[quarter_index]),
            "period_end": dates(quarter_first[quarter_index + 1] - 1),
            "amount": quota[ae_index, quarter_index],
        }
    )
