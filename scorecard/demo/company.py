"""Who sells and to whom: the reps (sales, marketing and partner teams), partners, accounts and products."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from scorecard.demo.arrays import category, choose, crm_ids, dates, id_column, spread
from scorecard.demo.story import (
    COMPANY_ROOTS,
    COMPANY_TAILS,
    EMAIL_DOMAIN,
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
    OWNERSHIP_SHARE,
    OWNERSHIPS,
    PARTNER_SUFFIXES,
    PARTNER_TIERS,
    PRE_HISTORY_DAYS,
    PRODUCTS,
    REGIONS,
    SEGMENTS,
    Calendar,
)


@dataclass(frozen=True)
class Staff:
    """The reps table, plus the arrays that assign leads to SDRs and deals to AEs."""

    frame: pd.DataFrame
    ids: pa.Array
    ae: np.ndarray
    ae_group: np.ndarray
    ae_hire_day: np.ndarray
    ae_skill: np.ndarray
    sdr: np.ndarray
    sdr_region: np.ndarray
    sdr_hire_day: np.ndarray


def _names(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """n distinct (first, last) name pairs."""
    pairs = rng.choice(len(FIRST_NAMES) * len(LAST_NAMES), size=n, replace=False)
    firsts = [FIRST_NAMES[p // len(LAST_NAMES)] for p in pairs]
    lasts = [LAST_NAMES[p % len(LAST_NAMES)] for p in pairs]
    return firsts, lasts


class _Member(NamedTuple):
    """One rep before ids are given; `manager` is a row number or -1."""

    team: str
    role: str
    region: int
    manager: int
    hire_day: int
    segment: str | None = None


def staff(rng: np.random.Generator, leads: int, calendar: Calendar) -> Staff:
    """Sales (VP, regional managers, AEs by region and focus, SDRs), marketing and partner teams.

    Each region has commercial AEs (smb and mid-market deals) and enterprise AEs; their
    skill is spread evenly from weak to strong within each group, so peers differ.
    """
    members: list[_Member] = []
    ae_rows: list[int] = []
    ae_group: list[int] = []
    sdr_rows: list[int] = []
    veteran_before = calendar.day0 - PRE_HISTORY_DAYS - 30

    def veteran() -> int:
        return veteran_before - int(rng.integers(0, 6 * 365))

    def hire() -> int:
        if rng.random() < 0.8:
            return veteran()
        return calendar.day0 + int(rng.integers(0, max(calendar.n_days - 150, 1)))

    def add(team: str, role: str, region: int, manager: int, hire_day: int, segment: str | None = None) -> int:
        members.append(_Member(team, role, region, manager, hire_day, segment))
        return len(members) - 1

    vp = add("sales", "manager", 0, -1, veteran())
    total_aes = int(np.clip(round(leads / 2_000), 12, 500))
    for r, region in enumerate(REGIONS):
        manager = add("sales", "manager", r, vp, veteran())
        in_region = max(3, round(total_aes * region.share))
        enterprise = max(1, round(in_region * 0.3))
        for focus, count in ((0, in_region - enterprise), (1, enterprise)):
            for k in range(count):
                focus_name = "enterprise" if focus else "commercial"  # commercial AEs sell smb and mid-market
                ae_rows.append(add("sales", "ae", r, manager, veteran() if k == 0 else hire(), focus_name))
                ae_group.append(r * 2 + focus)
        for k in range(max(1, round(in_region * region.sdrs_per_ae))):
            sdr_rows.append(add("sales", "sdr", r, manager, veteran() if k == 0 else hire()))
    director = add("marketing", "manager", 0, -1, veteran())
    for k in range(int(np.clip(round(leads / 5_000), 4, 40))):
        add("marketing", "marketer", k % len(REGIONS), director, hire())
    director = add("partner", "manager", 1, -1, veteran())
    for k in range(int(np.clip(round(leads / 20_000), 2, 16))):
        add("partner", "partner_manager", k % len(REGIONS), director, hire())

    n = len(members)
    ids = crm_ids("REP-", n, 4)
    firsts, lasts = _names(rng, n)
    frame = pd.DataFrame(
        {
            "id": id_column(ids),
            "name": pd.array([f"{f} {last}" for f, last in zip(firsts, lasts, strict=True)], dtype="str"),
            "email": pd.array(
                [f"{f}.{last}@{EMAIL_DOMAIN}".lower().replace(" ", "") for f, last in zip(firsts, lasts, strict=True)],
                dtype="str",
            ),
            "team": pd.array([m.team for m in members], dtype="str"),
            "role": pd.array([m.role for m in members], dtype="str"),
            "region": pd.array([REGIONS[m.region].code for m in members], dtype="str"),
            "sales_segment": pd.array([m.segment for m in members], dtype="str"),
            "manager_id": id_column(ids, np.array([m.manager for m in members])),
            "hire_date": dates([m.hire_day for m in members]),
            "active": np.ones(n, dtype=bool),
        }
    )
    hire_day = np.array([m.hire_day for m in members], dtype=np.int64)
    ae = np.array(ae_rows)
    groups = np.array(ae_group)
    skill = np.empty(len(ae))
    for g in np.unique(groups):
        in_group = np.flatnonzero(groups == g)
        skill[in_group] = spread(rng, len(in_group), 0.35)
    sdr = np.array(sdr_rows)
    return Staff(
        frame=frame,
        ids=ids,
        ae=ae,
        ae_group=groups,
        ae_hire_day=hire_day[ae],
        ae_skill=skill,
        sdr=sdr,
        sdr_region=np.array([members[i].region for i in sdr_rows]),
        sdr_hire_day=hire_day[sdr],
    )


def products_frame() -> pd.DataFrame:
    """The product table: a platform, add-ons and services with margins from 47% to 84%."""
    return pd.DataFrame(
        {
            "id": id_column(crm_ids("PRD-", len(PRODUCTS), 2)),
            "name": pd.array([p.name for p in PRODUCTS], dtype="str"),
            "family": pd.array([p.family for p in PRODUCTS], dtype="str"),
            "margin_rate": np.array([p.margin_rate for p in PRODUCTS]),
        }
    )


@dataclass(frozen=True)
class Partners:
    """The partners table, plus how often each gets deals and what it earns on them."""

    frame: pd.DataFrame
    ids: pa.Array
    weight: np.ndarray
    commission: np.ndarray


def partners(rng: np.random.Generator, leads: int) -> Partners:
    """Resellers in gold, silver and registered tiers; gold ones bring more deals and earn more."""
    n = int(np.clip(round(leads / 2_500), 8, 60))
    combos = rng.choice(len(COMPANY_ROOTS) * len(PARTNER_SUFFIXES), size=n, replace=False)
    names = [
        f"{COMPANY_ROOTS[c // len(PARTNER_SUFFIXES)]}{COMPANY_TAILS[c % len(COMPANY_TAILS)]} "
        f"{PARTNER_SUFFIXES[c % len(PARTNER_SUFFIXES)]}"
        for c in combos
    ]
    rank = rng.permutation(n)
    tier = np.where(rank < max(1, n // 5), 0, np.where(rank < max(2, n * 11 // 20), 1, 2))
    commission = np.round(np.array([0.20, 0.15, 0.10])[tier] + rng.uniform(-0.02, 0.02, n), 3)
    ids = crm_ids("PTN-", n, 3)
    frame = pd.DataFrame(
        {
            "id": id_column(ids),
            "name": pd.array(names, dtype="str"),
            "tier": pd.array([PARTNER_TIERS[t] for t in tier], dtype="str"),
            "commission_rate": commission,
        }
    )
    return Partners(frame, ids, np.array([3.0, 2.0, 1.0])[tier], commission)


@dataclass(frozen=True)
class Accounts:
    """The accounts table, plus an index by (region, segment, ownership) to pick from."""

    frame: pd.DataFrame
    ids: pa.Array
    region: np.ndarray
    segment: np.ndarray
    ownership: np.ndarray
    bucket_order: np.ndarray
    bucket_start: np.ndarray
    bucket_size: np.ndarray


def _bucket(region: np.ndarray, segment: np.ndarray, ownership: np.ndarray) -> np.ndarray:
    """The account index key of (region, segment, ownership)."""
    return (region * len(SEGMENTS) + segment) * len(OWNERSHIPS) + ownership


def accounts(rng: np.random.Generator, leads: int) -> Accounts:
    """Companies sold to; every (region, segment, ownership) combination has some."""
    n_buckets = len(REGIONS) * len(SEGMENTS) * len(OWNERSHIPS)
    n = max(n_buckets * 6, leads // 6)
    region = choose(rng, [r.share for r in REGIONS], n)
    segment = choose(rng, [s.account_share for s in SEGMENTS], n)
    ownership = choose(rng, OWNERSHIP_SHARE, n)
    cover = np.arange(n_buckets)
    region[:n_buckets] = cover // (len(SEGMENTS) * len(OWNERSHIPS))
    segment[:n_buckets] = cover // len(OWNERSHIPS) % len(SEGMENTS)
    ownership[:n_buckets] = cover % len(OWNERSHIPS)
    industry = rng.integers(0, len(INDUSTRIES), n)

    roots = np.array(COMPANY_ROOTS, dtype=object)[rng.integers(0, len(COMPANY_ROOTS), n)]
    tails = np.array(COMPANY_TAILS, dtype=object)[rng.integers(0, len(COMPANY_TAILS), n)]
    words = np.array([w for _, ws in INDUSTRIES for w in ws], dtype=object)
    word = words[industry * 3 + rng.integers(0, 3, n)]
    suffix_table = np.array(
        [[r.company_suffixes[k % len(r.company_suffixes)] for k in range(6)] for r in REGIONS], dtype=object
    )
    suffix = suffix_table[region, rng.integers(0, 6, n)]
    with_word = rng.random(n) < 0.6
    names = roots + tails + np.where(with_word, " " + word, "") + " " + suffix

    bucket = _bucket(region, segment, ownership)
    order = np.argsort(bucket, kind="stable")
    size = np.bincount(bucket, minlength=n_buckets)
    ids = crm_ids("ACC-", n, 6)
    frame = pd.DataFrame(
        {
            "id": id_column(ids),
            "name": pd.array(names.astype(str), dtype="str"),
            "region": category(region, [r.code for r in REGIONS]),
            "segment": category(segment, [s.name for s in SEGMENTS]),
            "industry": category(industry, [name for name, _ in INDUSTRIES]),
            "ownership": category(ownership, OWNERSHIPS),
        }
    )
    return Accounts(frame, ids, region, segment, ownership, order, np.cumsum(size) - size, size)


def pick_accounts(
    rng: np.random.Generator, accounts: Accounts, region: np.ndarray, segment: np.ndarray, ownership: np.ndarray
) -> np.ndarray:
    """A random account of each row's (region, segment, ownership)."""
    bucket = _bucket(region, segment, ownership)
    offset = (rng.random(len(bucket)) * accounts.bucket_size[bucket]).astype(np.int64)
    return accounts.bucket_order[accounts.bucket_start[bucket] + offset]
