"""Deterministic demo data that tells the stories Scorecard exists to show.

`generate(leads, seed, today)` is a pure function: the same three inputs give identical
frames, one per table of `scorecard.model.CRM_TABLES`. Every table is built from numpy
arrays in a handful of vectorised passes (no Python loop runs per lead, deal or
activity), so a million leads and five million activities take seconds, not hours.
`build` loads the frames in bulk in one transaction that replaces the whole database.

The data is shaped so that each story of the product shows up in the numbers:

1. Trade shows bring the most leads and the worst ones; referrals few but the best.
2. Sales cycles run from weeks (smb) to about a year (enterprise).
3. Account executives' skill differs: quota attainment, win rate and calls per close
   spread widely, so a forced ranking means something.
4. "Flexible terms" campaigns win small special orders whose cost of sale exceeds
   their margin.
5. Partner deals collide with direct deals on the same (mostly shared) accounts.
6. A fifth of marketing-qualified leads are never worked, and APAC (short of SDRs)
   takes days to make the first touch.
7. Fewer leads at weekends, in late December and in August; about 30% growth a year.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from scorecard.store import model
from scorecard.store.db import Database, DatabaseError, bulk_insert, create_schema, drop_schema, refresh_maintained

Progress = Callable[[str, float], None]
"""A progress callback: (what is happening, fraction done in 0..1)."""

DEFAULT_LEADS: Final = 30_000
DEFAULT_SEED: Final = 7
MIN_LEADS: Final = 1_000
MAX_LEADS: Final = 10_000_000
"""About 50M activities and 10 GB of memory while generating: beyond that the build would exhaust the machine."""

_DAY: Final = 86_400
_HOUR: Final = 3_600
_GROWTH_PER_YEAR: Final = 0.30
_PRE_HISTORY_DAYS: Final = 400
"""Deals are also created this long before the history starts (without leads), so the
pipeline is already full on day one and early quarters book normally."""
_GENERATE_SHARE: Final = 0.25
"""Part of build()'s progress bar spent generating; the rest is loading and writing."""
_WRITE_SHARE: Final = 0.4
"""Part of the bar for the final write of a DuckDB file (its indexes are built then)."""
_BAR_WIDTH: Final = 30
_QUOTA_RAMP: Final = (0.1, 0.25, 0.5, 0.75, 1.0)
"""Share of the full quota in an AE's first, second... quarter: deals take time to close."""


# --- the shape of the company --------------------------------------------------------


@dataclass(frozen=True)
class _Region:
    """A sales region: its share of leads, time zone, speed to lead and staffing."""

    code: str
    share: float
    utc_offset_h: int
    first_touch_median_h: float
    first_touch_sigma: float
    sdrs_per_ae: float
    company_suffixes: tuple[str, ...]


_REGIONS: Final = (
    _Region("NA", 0.42, -5, 3.0, 1.0, 0.5, ("Inc.", "LLC", "Corp.", "Co.")),
    _Region("EMEA", 0.30, 1, 4.5, 1.0, 0.5, ("GmbH", "Ltd", "S.A.", "B.V.", "AB", "S.p.A.")),
    # APAC is short of SDRs: its marketing-qualified leads wait days for a first touch.
    _Region("APAC", 0.16, 8, 62.0, 0.55, 0.15, ("Pte Ltd", "Pty Ltd", "K.K.", "Ltd")),
    _Region("LATAM", 0.12, -3, 6.0, 1.0, 0.5, ("S.A. de C.V.", "Ltda.", "S.A.")),
)


@dataclass(frozen=True)
class _Segment:
    """A customer segment: deal size, cycle length, win rate and the selling effort a deal takes."""

    name: str
    account_share: float
    sales_sourced_share: float
    list_median: float
    list_sigma: float
    cycle_median_days: float
    cycle_sigma: float
    win_rate: float
    calls: float
    meetings: float
    demos: float
    cost_fixed: float


_SEGMENTS: Final = (
    _Segment("smb", 0.60, 0.45, 9_000, 0.50, 30, 0.45, 0.34, 10, 1.2, 1.0, 500),
    _Segment("mid_market", 0.28, 0.35, 42_000, 0.40, 100, 0.40, 0.28, 18, 3.0, 1.5, 2_500),
    _Segment("enterprise", 0.12, 0.20, 150_000, 0.40, 255, 0.25, 0.22, 30, 6.0, 3.0, 10_000),
)
_ENTERPRISE: Final = 2
_MAX_CYCLE_DAYS: Final = 400


@dataclass(frozen=True)
class _Product:
    """What is sold: margin, price level and how often it is asked for."""

    name: str
    family: str
    margin_rate: float
    price_factor: float
    weight: float


_PRODUCTS: Final = (
    _Product("Brightline Platform", "Platform", 0.84, 1.00, 0.38),
    _Product("Pipeline Analytics", "Add-on", 0.76, 0.55, 0.20),
    _Product("Forecast Studio", "Add-on", 0.71, 0.65, 0.16),
    _Product("Partner Hub", "Add-on", 0.64, 0.50, 0.10),
    _Product("Implementation Services", "Services", 0.47, 0.40, 0.16),
)
_FLEXIBLE_PRODUCT: Final = 1

_REJECT_REASONS: Final = (
    "No response",
    "Not a fit",
    "No budget",
    "Student or job seeker",
    "Duplicate",
    "Existing customer",
    "Competitor",
)


@dataclass(frozen=True)
class _Source:
    """How leads of one source arrive and how good they are."""

    name: str
    share: float
    campaign_share: float
    segment_mix: tuple[float, float, float]
    shared_account_share: float
    p_mql: float
    p_unworked: float
    p_accept: float
    p_convert: float
    win_factor: float
    cost_per_lead: float


# fmt: off
_SOURCES: Final = (
    #       name        share campaign (smb, mid, ent) shared  mql  unworked accept convert win  $/lead
    _Source("trade_show",  0.34, 1.0, (0.55, 0.32, 0.13), 0.15, 0.62, 0.26, 0.40, 0.18, 0.60, 130),
    _Source("webinar",     0.14, 1.0, (0.50, 0.35, 0.15), 0.15, 0.80, 0.18, 0.60, 0.30, 0.95, 60),
    _Source("paid_search", 0.16, 1.0, (0.65, 0.28, 0.07), 0.15, 0.75, 0.20, 0.55, 0.28, 0.90, 90),
    _Source("content",     0.11, 1.0, (0.55, 0.33, 0.12), 0.15, 0.70, 0.20, 0.50, 0.22, 0.85, 45),
    _Source("partner",     0.06, 0.6, (0.35, 0.40, 0.25), 0.30, 0.85, 0.10, 0.70, 0.40, 1.05, 70),
    _Source("outbound",    0.08, 1.0, (0.20, 0.40, 0.40), 0.15, 0.65, 0.05, 0.60, 0.30, 0.85, 110),
    _Source("referral",    0.04, 0.7, (0.35, 0.40, 0.25), 0.15, 0.95, 0.08, 0.85, 0.45, 1.45, 150),
    _Source("website",     0.07, 0.0, (0.60, 0.30, 0.10), 0.15, 0.80, 0.15, 0.65, 0.35, 1.05, 0),
    # Leads of the "Flexible terms" paid-search campaigns: small buyers who do buy.
    _Source("paid_search", 0.00, 1.0, (1.00, 0.00, 0.00), 0.00, 0.90, 0.10, 0.80, 0.45, 1.40, 80),
)
_REJECT_WEIGHTS: Final = (
    # How often sales rejects each source's leads for each of _REJECT_REASONS, in _SOURCES order.
    (5, 4, 2, 3, 2, 1, 1),
    (3, 3, 2, 1, 1, 1, 1),
    (3, 4, 3, 2, 1, 1, 1),
    (4, 4, 2, 2, 1, 1, 1),
    (1, 3, 2, 0, 2, 1, 1),
    (5, 3, 3, 0, 1, 1, 2),
    (1, 2, 2, 0, 1, 1, 0),
    (2, 3, 2, 2, 1, 2, 1),
    (2, 2, 3, 1, 1, 1, 1),
)
# fmt: on
_TRADE_SHOW, _WEBINAR, _PAID_SEARCH, _CONTENT, _PARTNER, _OUTBOUND, _REFERRAL, _WEBSITE, _FLEXIBLE = range(9)
_FLEXIBLE_SHARE_OF_PAID: Final = 0.35
_FLEXIBLE_REGIONS: Final = (0, 1)
_FLEXIBLE_QUARTERS: Final = 5

_SALES_SOURCED_SHARE: Final = 0.25
"""Sales-sourced direct deals per lead-sourced deal."""
_PARTNER_REGISTERED_SHARE: Final = 0.07
"""Deals partners register themselves, per lead-sourced deal."""
_CONFLICT_SHARE: Final = 0.15
"""Chance a direct deal on a shared account draws a partner deal within 90 days."""
_FROM_LEAD, _SALES_SOURCED, _REGISTERED, _CONFLICT = range(4)
"""How a deal came about: a converted lead, sales, a partner's registration, a conflict."""


@dataclass(frozen=True)
class _TradeShow:
    """A yearly show (second Tuesday of its month) and its relative crowd."""

    name: str
    region: int
    month: int
    size: float


_TRADE_SHOWS: Final = (
    _TradeShow("B2B Marketing Live", 1, 2, 0.8),
    _TradeShow("RevOps Summit", 0, 3, 1.6),
    _TradeShow("CX World Latam", 3, 4, 0.7),
    _TradeShow("Sales Leaders Forum", 1, 5, 1.2),
    _TradeShow("SaaS Connect Asia", 2, 6, 0.8),
    _TradeShow("Pipeline Live", 0, 9, 1.3),
    _TradeShow("Growth Marketing Expo", 1, 10, 1.1),
    _TradeShow("Cloud Revenue World", 0, 11, 1.0),
    _TradeShow("Digital Commerce Asia", 2, 11, 0.6),
)

_WEBINAR_TOPICS: Final = (
    ("Forecasting without spreadsheets", 2),
    ("Pipeline reviews that work", 1),
    ("One scorecard for sales and marketing", 0),
    ("Attribution for B2B teams", 1),
    ("Partner-led growth", 3),
    ("Discount discipline", 0),
    ("Rolling out a revenue platform in 90 days", 4),
)
_CONTENT_TITLES: Final = (
    "Ebook: The RevOps playbook",
    "Report: State of B2B pipeline",
    "Guide: Lead scoring that sales trusts",
    "Benchmark: Sales compensation",
    "Checklist: The modern buyer journey",
)


def _words(text: str) -> tuple[str, ...]:
    """A comma-separated word list as a tuple (keeps long name lists compact)."""
    return tuple(word.strip() for word in text.split(","))


_FIRST_NAMES: Final = _words(
    "Olivia, Liam, Emma, Noah, Ava, Lucas, Sofia, Mateo, Mia, Ethan, Amelia, James, Harper, Benjamin, "
    "Chloe, Daniel, Hannah, Samuel, Nora, David, Aisha, Omar, Priya, Arjun, Mei, Hiroshi, Yuki, Jin, "
    "Min-jun, Ji-woo, Lucia, Diego, Camila, Gabriel, Valentina, Rafael, Ingrid, Lars, Freya, Henrik, Anika, Felix, "
    "Clara, Jonas, Elena, Marco, Giulia, Luca, Chiara, Pierre, Camille, Louis, Manon, Kwame, Amara, Tunde, "
    "Zainab, Fatima, Yusuf, Leila, Sven, Astrid, Nikolai, Tatiana, Kofi, Esther, Ravi, Ananya, Wei, Lin"
)
_LAST_NAMES: Final = _words(
    "Smith, Johnson, Williams, Brown, Garcia, Miller, Davis, Rodriguez, Martinez, Anderson, Taylor, Thomas, "
    "Moore, Jackson, Martin, Lee, Thompson, White, Harris, Clark, Lewis, Walker, Young, Allen, "
    "King, Wright, Scott, Green, Baker, Adams, Nelson, Hill, Campbell, Mitchell, Roberts, Carter, "
    "Phillips, Evans, Turner, Silva, Santos, Oliveira, Pereira, Costa, Fernandez, Lopez, Gonzalez, Schmidt, "
    "Schneider, Fischer, Weber, Meyer, Wagner, Becker, Muller, Rossi, Russo, Ferrari, Esposito, Dubois, "
    "Lefevre, Moreau, Laurent, Jansen, de Vries, Nilsson, Larsen, Kowalski, Nowak, Tanaka, Suzuki, Sato, "
    "Kim, Park, Chen, Wang, Zhang, Liu, Singh, Patel, Sharma, Gupta, Okafor, Mensah, "
    "Haddad"
)
_COMPANY_ROOTS: Final = _words(
    "Blue, North, Silver, Oak, Red, Stone, Bright, Clear, Green, Iron, Summit, Harbor, River, Pine, Cedar, "
    "Falcon, Eagle, Star, Sun, Lake, Cobalt, Amber, Crystal, Granite, Maple, Golden, Swift, True, Prime, Apex, "
    "Nova, Vertex, Atlas, Orion, Polar, Coral, Delta, Echo, Terra, Aqua, Bold, Quantum, Vista, Crest, Ridge, "
    "Bay, West, East, High, Fair, Wild, Ever, Sky, Frost, Ember, Jade, Onyx, Copper, Birch, Willow"
)
_COMPANY_TAILS: Final = _words(
    "field, bridge, point, wave, stone, line, works, gate, path, view, way, port, light, side, wood, "
    "brook, mark, peak, core, lab, hub, scale, ware, craft, forge, haven, well, crest, sphere, logic"
)
_INDUSTRIES: Final = (
    ("Manufacturing", ("Manufacturing", "Industries", "Machining")),
    ("Software", ("Software", "Systems", "Digital")),
    ("Financial services", ("Capital", "Financial", "Bancorp")),
    ("Healthcare", ("Health", "Medical", "Care")),
    ("Retail", ("Retail", "Stores", "Brands")),
    ("Logistics", ("Logistics", "Freight", "Shipping")),
    ("Energy", ("Energy", "Power", "Renewables")),
    ("Education", ("Learning", "Education", "Academy")),
    ("Telecommunications", ("Telecom", "Networks", "Communications")),
    ("Professional services", ("Consulting", "Advisory", "Group")),
    ("Media", ("Media", "Studios", "Publishing")),
    ("Food and beverage", ("Foods", "Beverages", "Kitchens")),
)
_PARTNER_SUFFIXES: Final = _words(
    "Consulting, Solutions, Partners, Systems Integration, Advisory Group, Digital, Revenue Partners, Cloud Services"
)
_OWNERSHIPS: Final = ("direct", "partner", "shared")
_OWNERSHIP_SHARE: Final = (0.72, 0.13, 0.15)
_DIRECT, _PARTNER_OWNED, _SHARED = range(3)
_PARTNER_TIERS: Final = ("gold", "silver", "registered")
_ACTIVITY_TYPES: Final = ("call", "email", "meeting", "demo")
_OUTCOMES: Final = ("connected", "no_answer", "voicemail", "replied", "held", "no_show")
_OPEN_STAGES: Final = ("prospecting", "qualification", "proposal", "negotiation")
_STAGES: Final = (*_OPEN_STAGES, "won", "lost")
_EMAIL_DOMAIN: Final = "brightline.example"


# --- small vectorised helpers --------------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    """The history window: from a quarter start at least two years back to today's end."""

    today: dt.date
    start: dt.date
    day0: int
    last_day: int
    end_s: int

    @classmethod
    def of(cls, today: dt.date) -> _Calendar:
        back = today - dt.timedelta(days=744)
        start = dt.date(back.year, 3 * ((back.month - 1) // 3) + 1, 1)
        epoch = dt.date(1970, 1, 1)
        last_day = (today - epoch).days
        return cls(today, start, (start - epoch).days, last_day, (last_day + 1) * _DAY - 1)

    @property
    def n_days(self) -> int:
        return self.last_day - self.day0 + 1

    @property
    def start_s(self) -> int:
        return self.day0 * _DAY

    @property
    def start_month(self) -> int:
        return (self.start.year - 1970) * 12 + self.start.month - 1

    @property
    def n_months(self) -> int:
        return (self.today.year - 1970) * 12 + self.today.month - 1 - self.start_month + 1

    @property
    def n_quarters(self) -> int:
        return (self.n_months - 1) // 3 + 1

    @property
    def n_years(self) -> int:
        return self.today.year - self.start.year + 1


def _month_index(days: np.ndarray, calendar: _Calendar) -> np.ndarray:
    """Months since the history start for days since the epoch."""
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months - calendar.start_month


def _month_start_day(month_abs: int) -> int:
    """Days since the epoch of the first day of a month counted from 1970-01."""
    return int(np.datetime64(month_abs, "M").astype("datetime64[D]").astype(np.int64))


def _day_weights(days: np.ndarray, calendar: _Calendar) -> np.ndarray:
    """Relative lead volume per day: yearly growth, fewer at weekends, late December, August."""
    years = (days - calendar.day0) / 365.25
    weekday = (days + 3) % 7
    weekday_factor = np.array([1.0, 1.05, 1.05, 1.0, 0.85, 0.22, 0.15])[weekday]
    d64 = days.astype("datetime64[D]")
    month_start = d64.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    day_of_month = (d64 - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    season = np.ones(len(days))
    season[month == 8] = 0.65
    season[(month == 12) & (day_of_month >= 20)] = 0.30
    season[(month == 1) & (day_of_month <= 3)] = 0.40
    return np.exp(_GROWTH_PER_YEAR * years) * weekday_factor * season


def _sample_days(rng: np.random.Generator, first: int, last: int, n: int, calendar: _Calendar) -> np.ndarray:
    """n days in first..last, drawn in proportion to the daily lead volume."""
    days = np.arange(first, last + 1)
    weights = _day_weights(days, calendar)
    return days[rng.choice(len(days), size=n, p=weights / weights.sum())]


def _business_time(rng: np.random.Generator, region: np.ndarray, mean_h: float = 13.0) -> np.ndarray:
    """Seconds after UTC midnight of a local business hour in each row's region."""
    offset = np.array([r.utc_offset_h for r in _REGIONS], dtype=np.float64)[region]
    local = np.clip(rng.normal(mean_h, 2.5, len(region)), 7.5, 20.5)
    return np.round((local - offset) * _HOUR).astype(np.int64)


def _lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: np.ndarray | float, n: int) -> np.ndarray:
    """Lognormal draws by median and sigma, cut at 2.5 sigma so no single draw dominates."""
    return np.asarray(median) * np.exp(np.asarray(sigma) * np.clip(rng.standard_normal(n), -2.5, 2.5))


def _choose(rng: np.random.Generator, weights: Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    """n category indexes drawn with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _choose_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One category per row, each row with its own weights (rows of `weights`)."""
    cumulative = np.cumsum(weights, axis=1)
    cumulative /= cumulative[:, -1:]
    picks = (rng.random((len(weights), 1)) > cumulative).sum(axis=1)
    return np.minimum(picks, weights.shape[1] - 1)


def _pick_member(
    rng: np.random.Generator,
    item_group: np.ndarray,
    item_day: np.ndarray,
    member_group: np.ndarray,
    member_since: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    """For each item, a uniformly chosen member of its group who had joined by the item's day.

    The first member of every group joined before any item, so nobody is left without one.
    """
    order = np.lexsort((member_since, member_group))
    groups = member_group[order]
    key = groups.astype(np.int64) * 10_000_000 + member_since[order]
    starts = np.searchsorted(groups, np.arange(n_groups))
    eligible = np.searchsorted(key, item_group.astype(np.int64) * 10_000_000 + item_day, side="right")
    eligible = np.maximum(eligible - starts[item_group], 1)
    return order[starts[item_group] + (rng.random(len(item_group)) * eligible).astype(np.int64)]


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    """CRM-like ids PREFIX-0001...: built by Arrow compute, fast even for millions."""
    numbers = pa.array(np.arange(1, n + 1)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, max(width, len(str(n))), "0"), "")


def _id_column(ids: pa.Array, index: np.ndarray | None = None) -> pd.api.extensions.ExtensionArray:
    """Ids as a pandas string column; `index` picks rows, -1 meaning no reference (null)."""
    if index is None:
        return pd.array(ids, dtype="str")
    return pd.array(pc.take(ids, pa.array(index, mask=index < 0)), dtype="str")


def _category(codes: np.ndarray, labels: Sequence[str]) -> pd.Categorical:
    """A low-cardinality text column from codes (-1 is null): compact and fast to load."""
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=list(labels))


def _timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Epoch seconds as naive UTC datetime64[us]; rows not valid become NaT."""
    micros = seconds.astype(np.int64) * 1_000_000
    if valid is not None:
        micros = np.where(valid, micros, np.iinfo(np.int64).min)
    return micros.astype("datetime64[us]")


def _dates(days: Sequence[int] | np.ndarray) -> list[dt.date]:
    """Days since the epoch as dates (small tables only), which every engine loads as DATE."""
    epoch = dt.date(1970, 1, 1)
    return [epoch + dt.timedelta(days=int(d)) for d in days]


def _money(values: np.ndarray) -> np.ndarray:
    """Amounts rounded to cents."""
    return np.round(values, 2)


def _spread(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """n values exp(sigma * z) whose z are evenly spread normal quantiles, shuffled.

    Every group, however small, gets both weak and strong members.
    """
    normal = statistics.NormalDist()
    z = np.array([normal.inv_cdf((i + 0.5) / n) for i in range(n)])
    return np.exp(sigma * rng.permutation(z))


# --- the tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Staff:
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
    pairs = rng.choice(len(_FIRST_NAMES) * len(_LAST_NAMES), size=n, replace=False)
    firsts = [_FIRST_NAMES[p // len(_LAST_NAMES)] for p in pairs]
    lasts = [_LAST_NAMES[p % len(_LAST_NAMES)] for p in pairs]
    return firsts, lasts


class _Member(NamedTuple):
    """One rep before ids are given; `manager` is a row number or -1."""

    team: str
    role: str
    region: int
    manager: int
    hire_day: int
    segment: str | None = None


def _staff(rng: np.random.Generator, leads: int, calendar: _Calendar) -> _Staff:
    """Sales (VP, regional managers, AEs by region and focus, SDRs), marketing and partner teams.

    Each region has commercial AEs (smb and mid-market deals) and enterprise AEs; their
    skill is spread evenly from weak to strong within each group, so peers differ.
    """
    members: list[_Member] = []
    ae_rows: list[int] = []
    ae_group: list[int] = []
    sdr_rows: list[int] = []
    veteran_before = calendar.day0 - _PRE_HISTORY_DAYS - 30

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
    for r, region in enumerate(_REGIONS):
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
        add("marketing", "marketer", k % len(_REGIONS), director, hire())
    director = add("partner", "manager", 1, -1, veteran())
    for k in range(int(np.clip(round(leads / 20_000), 2, 16))):
        add("partner", "partner_manager", k % len(_REGIONS), director, hire())

    n = len(members)
    ids = _ids("REP-", n, 4)
    firsts, lasts = _names(rng, n)
    frame = pd.DataFrame(
        {
            "id": _id_column(ids),
            "name": pd.array([f"{f} {last}" for f, last in zip(firsts, lasts, strict=True)], dtype="str"),
            "email": pd.array(
                [f"{f}.{last}@{_EMAIL_DOMAIN}".lower().replace(" ", "") for f, last in zip(firsts, lasts, strict=True)],
                dtype="str",
            ),
            "team": pd.array([m.team for m in members], dtype="str"),
            "role": pd.array([m.role for m in members], dtype="str"),
            "region": pd.array([_REGIONS[m.region].code for m in members], dtype="str"),
            "sales_segment": pd.array([m.segment for m in members], dtype="str"),
            "manager_id": _id_column(ids, np.array([m.manager for m in members])),
            "hire_date": _dates([m.hire_day for m in members]),
            "active": np.ones(n, dtype=bool),
        }
    )
    hire_day = np.array([m.hire_day for m in members], dtype=np.int64)
    ae = np.array(ae_rows)
    groups = np.array(ae_group)
    skill = np.empty(len(ae))
    for g in np.unique(groups):
        in_group = np.flatnonzero(groups == g)
        skill[in_group] = _spread(rng, len(in_group), 0.35)
    sdr = np.array(sdr_rows)
    return _Staff(
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


def _products_frame() -> pd.DataFrame:
    """The product table: a platform, add-ons and services with margins from 47% to 84%."""
    return pd.DataFrame(
        {
            "id": _id_column(_ids("PRD-", len(_PRODUCTS), 2)),
            "name": pd.array([p.name for p in _PRODUCTS], dtype="str"),
            "family": pd.array([p.family for p in _PRODUCTS], dtype="str"),
            "margin_rate": np.array([p.margin_rate for p in _PRODUCTS]),
        }
    )


@dataclass(frozen=True)
class _Partners:
    """The partners table, plus how often each gets deals and what it earns on them."""

    frame: pd.DataFrame
    ids: pa.Array
    weight: np.ndarray
    commission: np.ndarray


def _partners(rng: np.random.Generator, leads: int) -> _Partners:
    """Resellers in gold, silver and registered tiers; gold ones bring more deals and earn more."""
    n = int(np.clip(round(leads / 2_500), 8, 60))
    combos = rng.choice(len(_COMPANY_ROOTS) * len(_PARTNER_SUFFIXES), size=n, replace=False)
    names = [
        f"{_COMPANY_ROOTS[c // len(_PARTNER_SUFFIXES)]}{_COMPANY_TAILS[c % len(_COMPANY_TAILS)]} "
        f"{_PARTNER_SUFFIXES[c % len(_PARTNER_SUFFIXES)]}"
        for c in combos
    ]
    rank = rng.permutation(n)
    tier = np.where(rank < max(1, n // 5), 0, np.where(rank < max(2, n * 11 // 20), 1, 2))
    commission = np.round(np.array([0.20, 0.15, 0.10])[tier] + rng.uniform(-0.02, 0.02, n), 3)
    ids = _ids("PTN-", n, 3)
    frame = pd.DataFrame(
        {
            "id": _id_column(ids),
            "name": pd.array(names, dtype="str"),
            "tier": pd.array([_PARTNER_TIERS[t] for t in tier], dtype="str"),
            "commission_rate": commission,
        }
    )
    return _Partners(frame, ids, np.array([3.0, 2.0, 1.0])[tier], commission)


@dataclass(frozen=True)
class _Accounts:
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
    return (region * len(_SEGMENTS) + segment) * len(_OWNERSHIPS) + ownership


def _accounts(rng: np.random.Generator, leads: int) -> _Accounts:
    """Companies sold to; every (region, segment, ownership) combination has some."""
    n_buckets = len(_REGIONS) * len(_SEGMENTS) * len(_OWNERSHIPS)
    n = max(n_buckets * 6, leads // 6)
    region = _choose(rng, [r.share for r in _REGIONS], n)
    segment = _choose(rng, [s.account_share for s in _SEGMENTS], n)
    ownership = _choose(rng, _OWNERSHIP_SHARE, n)
    cover = np.arange(n_buckets)
    region[:n_buckets] = cover // (len(_SEGMENTS) * len(_OWNERSHIPS))
    segment[:n_buckets] = cover // len(_OWNERSHIPS) % len(_SEGMENTS)
    ownership[:n_buckets] = cover % len(_OWNERSHIPS)
    industry = rng.integers(0, len(_INDUSTRIES), n)

    roots = np.array(_COMPANY_ROOTS, dtype=object)[rng.integers(0, len(_COMPANY_ROOTS), n)]
    tails = np.array(_COMPANY_TAILS, dtype=object)[rng.integers(0, len(_COMPANY_TAILS), n)]
    words = np.array([w for _, ws in _INDUSTRIES for w in ws], dtype=object)
    word = words[industry * 3 + rng.integers(0, 3, n)]
    suffix_table = np.array(
        [[r.company_suffixes[k % len(r.company_suffixes)] for k in range(6)] for r in _REGIONS], dtype=object
    )
    suffix = suffix_table[region, rng.integers(0, 6, n)]
    with_word = rng.random(n) < 0.6
    names = roots + tails + np.where(with_word, " " + word, "") + " " + suffix

    bucket = _bucket(region, segment, ownership)
    order = np.argsort(bucket, kind="stable")
    size = np.bincount(bucket, minlength=n_buckets)
    ids = _ids("ACC-", n, 6)
    frame = pd.DataFrame(
        {
            "id": _id_column(ids),
            "name": pd.array(names.astype(str), dtype="str"),
            "region": _category(region, [r.code for r in _REGIONS]),
            "segment": _category(segment, [s.name for s in _SEGMENTS]),
            "industry": _category(industry, [name for name, _ in _INDUSTRIES]),
            "ownership": _category(ownership, _OWNERSHIPS),
        }
    )
    return _Accounts(frame, ids, region, segment, ownership, order, np.cumsum(size) - size, size)


def _pick_accounts(
    rng: np.random.Generator, accounts: _Accounts, region: np.ndarray, segment: np.ndarray, ownership: np.ndarray
) -> np.ndarray:
    """A random account of each row's (region, segment, ownership)."""
    bucket = _bucket(region, segment, ownership)
    offset = (rng.random(len(bucket)) * accounts.bucket_size[bucket]).astype(np.int64)
    return accounts.bucket_order[accounts.bucket_start[bucket] + offset]


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
_QUARTERLY: Final = (_PAID_SEARCH, _CONTENT, _PARTNER, _OUTBOUND)


def _campaigns(rng: np.random.Generator, calendar: _Calendar) -> _Campaigns:
    """Monthly webinars, quarterly paid search, content, partner and outbound programs, yearly
    referral programs and trade-show booths per region, plus the "Flexible terms" campaigns."""
    channel: list[int] = []
    name: list[str] = []
    region: list[int] = []
    product: list[int] = []
    start: list[int] = []
    end: list[int] = []
    n_regions = len(_REGIONS)

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
        first, last = _month_start_day(month_abs), _month_start_day(month_abs + 1) - 1
        year, month = 1970 + month_abs // 12, month_abs % 12
        for r, reg in enumerate(_REGIONS):
            topic, prod = _WEBINAR_TOPICS[(m + 3 * r) % len(_WEBINAR_TOPICS)]
            label = f"Webinar: {topic} ({reg.code}, {_MONTH_NAMES[month]} {year})"
            monthly[r, m] = add(_WEBINAR, label, r, prod, first, last)
    quarterly = np.zeros((len(_SOURCES), n_regions, calendar.n_quarters), dtype=np.int64)
    for q in range(calendar.n_quarters):
        month_abs = calendar.start_month + 3 * q
        first, last = _month_start_day(month_abs), _month_start_day(month_abs + 3) - 1
        tag = f"Q{month_abs % 12 // 3 + 1} {1970 + month_abs // 12}"
        for r, reg in enumerate(_REGIONS):
            title = _CONTENT_TITLES[(q + r) % len(_CONTENT_TITLES)]
            focus = ("mid-market", "enterprise")[(q + r) % 2]
            plans = (
                (_PAID_SEARCH, f"Paid search: revenue analytics ({reg.code}) {tag}", -1),
                (_CONTENT, f"{title} ({reg.code}) {tag}", int(rng.integers(0, len(_PRODUCTS)))),
                (_PARTNER, f"Partner co-marketing {reg.code} {tag}", 3),
                (_OUTBOUND, f"Outbound sequence: {focus} {reg.code} {tag}", 0),
            )
            for ch, label, prod in plans:
                quarterly[ch, r, q] = add(ch, label, r, prod, first, last)
    yearly = np.zeros((n_regions, calendar.n_years), dtype=np.int64)
    for y in range(calendar.n_years):
        year = calendar.start.year + y
        first = max(calendar.day0, (dt.date(year, 1, 1) - dt.date(1970, 1, 1)).days)
        last = (dt.date(year, 12, 31) - dt.date(1970, 1, 1)).days
        for r, reg in enumerate(_REGIONS):
            yearly[r, y] = add(_REFERRAL, f"Customer referral program {reg.code} {year}", r, -1, first, last)
    flexible_quarter = max(0, calendar.n_quarters - _FLEXIBLE_QUARTERS)
    flexible_first = _month_start_day(calendar.start_month + 3 * flexible_quarter)
    quarter_end = _month_start_day(calendar.start_month + 3 * calendar.n_quarters) - 1
    flexible = np.full(n_regions, -1, dtype=np.int64)
    for r in _FLEXIBLE_REGIONS:
        label = f"Flexible terms: start small, pay monthly ({_REGIONS[r].code})"
        flexible[r] = add(_PAID_SEARCH, label, r, _FLEXIBLE_PRODUCT, flexible_first, quarter_end)
    show_day: list[int] = []
    show_weight: list[float] = []
    show_campaign: list[int] = []
    for year in range(calendar.start.year, calendar.today.year + 1):
        for show in _TRADE_SHOWS:
            first_of_month = dt.date(year, show.month, 1)
            tuesday = first_of_month + dt.timedelta(days=(1 - first_of_month.weekday()) % 7 + 7)
            day = (tuesday - dt.date(1970, 1, 1)).days
            if day < calendar.day0 or day + 12 > calendar.last_day:
                continue
            show_day.append(day)
            show_weight.append(show.size * float(np.exp(_GROWTH_PER_YEAR * (day - calendar.day0) / 365.25)))
            label = f"{show.name} {year} booth"
            show_campaign.append(add(_TRADE_SHOW, label, show.region, -1, day, day + 2))
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


def _campaigns_frame(
    campaigns: _Campaigns, ids: pa.Array, product_ids: pa.Array, lead_campaign: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """The campaign table; cost is the campaign's leads times its channel's cost per lead."""
    n = len(campaigns.name)
    leads_per_campaign = np.bincount(lead_campaign[lead_campaign >= 0], minlength=n)
    cost_per_lead = np.array([s.cost_per_lead for s in _SOURCES])[campaigns.channel]
    cost_per_lead[np.isin(np.arange(n), campaigns.flexible)] = _SOURCES[_FLEXIBLE].cost_per_lead
    cost = np.maximum(leads_per_campaign * cost_per_lead * rng.lognormal(0.0, 0.2, n), 1_000.0)
    return pd.DataFrame(
        {
            "id": _id_column(ids),
            "name": pd.array(campaigns.name, dtype="str"),
            "channel": pd.array([_SOURCES[c].name for c in campaigns.channel], dtype="str"),
            "region": pd.array([_REGIONS[r].code for r in campaigns.region], dtype="str"),
            "product_id": _id_column(product_ids, campaigns.product),
            "start_date": _dates(campaigns.start_day),
            "end_date": _dates(campaigns.end_day),
            "cost": _money(np.round(cost, -2)),
        }
    )


@dataclass(frozen=True)
class _Leads:
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


def _leads(
    rng: np.random.Generator, n: int, calendar: _Calendar, campaigns: _Campaigns, accounts: _Accounts, staff: _Staff
) -> _Leads:
    """Who arrives when, from where, and how far each lead gets with sales."""
    sources = _SOURCES
    profile = _choose(rng, [s.share for s in sources], n)
    region = _choose(rng, [r.share for r in _REGIONS], n)
    day = _sample_days(rng, calendar.day0, calendar.last_day, n, calendar)
    campaign = np.full(n, -1, dtype=np.int64)

    show = profile == _TRADE_SHOW
    if len(campaigns.show_day) == 0:
        profile[show] = _WEBSITE
        show[:] = False
    n_show = int(show.sum())
    picked = _choose(rng, campaigns.show_weight, n_show)
    # Badge scans arrive during the three show days or in a batch upload the week after.
    offset = np.where(rng.random(n_show) < 0.65, rng.integers(0, 3, n_show), rng.integers(3, 9, n_show))
    show_days = campaigns.show_day[picked] + offset
    weekday = (show_days + 3) % 7
    day[show] = show_days + np.where(weekday >= 5, 7 - weekday, 0)
    campaign[show] = campaigns.show_campaign[picked]
    region[show] = campaigns.region[campaigns.show_campaign[picked]]

    created_s = day * _DAY + _business_time(rng, region)
    created_s = np.where(created_s > calendar.end_s, created_s - _DAY, created_s)
    day = created_s // _DAY
    month = np.clip(_month_index(day, calendar), 0, calendar.n_months - 1)
    quarter = month // 3
    year = np.clip(
        day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970 - calendar.start.year,
        0,
        calendar.n_years - 1,
    )

    flexible_start = campaigns.start_day[campaigns.flexible[_FLEXIBLE_REGIONS[0]]]
    flexible = (
        (profile == _PAID_SEARCH)
        & np.isin(region, _FLEXIBLE_REGIONS)
        & (day >= flexible_start)
        & (rng.random(n) < _FLEXIBLE_SHARE_OF_PAID)
    )
    profile[flexible] = _FLEXIBLE
    campaign[flexible] = campaigns.flexible[region[flexible]]

    with_campaign = (rng.random(n) < np.array([s.campaign_share for s in sources])[profile]) & (campaign < 0)
    with_campaign &= profile != _FLEXIBLE
    webinar = with_campaign & (profile == _WEBINAR)
    campaign[webinar] = campaigns.monthly[region[webinar], month[webinar]]
    for ch in _QUARTERLY:
        rows = with_campaign & (profile == ch)
        campaign[rows] = campaigns.quarterly[ch, region[rows], quarter[rows]]
    referral = with_campaign & (profile == _REFERRAL)
    campaign[referral] = campaigns.yearly[region[referral], year[referral]]

    segment = _choose_rows(rng, np.array([s.segment_mix for s in sources])[profile])
    shared = rng.random(n) < np.array([s.shared_account_share for s in sources])[profile]
    ownership = np.where(shared, _SHARED, np.where(profile == _PARTNER, _PARTNER_OWNED, _DIRECT))
    account = _pick_accounts(rng, accounts, region, segment, ownership)
    campaign_product = np.where(campaign >= 0, campaigns.product[np.maximum(campaign, 0)], -1)
    product = np.where(campaign_product >= 0, campaign_product, _choose(rng, [p.weight for p in _PRODUCTS], n))
    owner = staff.sdr[_pick_member(rng, region, day, staff.sdr_region, staff.sdr_hire_day, len(_REGIONS))]

    def param(field: str) -> np.ndarray:
        return np.array([getattr(s, field) for s in sources])[profile]

    hours = _lognormal(rng, 2.5, 1.2, n) * _HOUR
    mql_s = created_s + np.minimum(hours, 10 * _DAY).astype(np.int64) + 60
    is_mql = (rng.random(n) < param("p_mql")) & (mql_s <= calendar.end_s)

    touch_median = np.array([r.first_touch_median_h for r in _REGIONS])[region]
    touch_sigma = np.array([r.first_touch_sigma for r in _REGIONS])[region]
    delay = np.minimum(_lognormal(rng, touch_median, touch_sigma, n), 24 * 20) * _HOUR
    first_touch_s = mql_s + delay.astype(np.int64) + 120
    is_worked = is_mql & (rng.random(n) >= param("p_unworked")) & (first_touch_s <= calendar.end_s)

    decision_s = first_touch_s + (_lognormal(rng, 1.5, 0.9, n) * _DAY).astype(np.int64) + 600
    decided = is_worked & (decision_s <= calendar.end_s)
    accept = rng.random(n) < param("p_accept")
    is_accepted = decided & accept
    is_rejected = decided & ~accept
    reject_weights = np.array(_REJECT_WEIGHTS, dtype=np.float64)[profile]
    reject_reason = np.where(is_rejected, _choose_rows(rng, reject_weights), -1)

    converted_s = decision_s + (_lognormal(rng, 4.0, 0.8, n) * _DAY).astype(np.int64) + 600
    is_converted = is_accepted & (rng.random(n) < param("p_convert")) & (converted_s <= calendar.end_s)

    work_end_s = np.where(
        is_converted,
        converted_s - 300,
        np.where(decided & ~is_accepted, decision_s, np.where(is_accepted, decision_s + 14 * _DAY, decision_s)),
    )
    work_end_s = np.maximum(np.minimum(work_end_s, calendar.end_s), first_touch_s)
    return _Leads(
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


@dataclass(frozen=True)
class _Opportunities:
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


def _opportunities(
    rng: np.random.Generator,
    calendar: _Calendar,
    leads: _Leads,
    accounts: _Accounts,
    staff: _Staff,
    partners: _Partners,
) -> _Opportunities:
    """Deals from converted leads, sales-sourced deals, partner deals, and their outcomes."""
    from_leads = np.flatnonzero(leads.is_converted)
    n_leads = len(from_leads)

    def sales_sourced(
        count: int, first_day: int, last_day: int, ownership_mix: tuple[float, float, float]
    ) -> tuple[np.ndarray, np.ndarray]:
        day = _sample_days(rng, first_day, last_day, count, calendar)
        region = _choose(rng, [r.share for r in _REGIONS], count)
        segment = _choose(rng, [s.sales_sourced_share for s in _SEGMENTS], count)
        ownership = _choose(rng, ownership_mix, count)
        account = _pick_accounts(rng, accounts, region, segment, ownership)
        return account, np.minimum(day * _DAY + _business_time(rng, region), calendar.end_s - 60)

    direct_mix = (0.85, 0.0, 0.15)
    partner_mix = (0.10, 0.75, 0.15)
    n_direct = round(n_leads * _SALES_SOURCED_SHARE)
    n_registered = round(n_leads * _PARTNER_REGISTERED_SHARE)
    direct_account, direct_s = sales_sourced(n_direct, calendar.day0, calendar.last_day, direct_mix)
    registered_account, registered_s = sales_sourced(n_registered, calendar.day0, calendar.last_day, partner_mix)
    account = np.concatenate([leads.account[from_leads], direct_account, registered_account])
    created_s = np.concatenate([leads.converted_s[from_leads], direct_s, registered_s])
    kind = np.repeat([_FROM_LEAD, _SALES_SOURCED, _REGISTERED], [n_leads, n_direct, n_registered])
    is_partner = np.concatenate([leads.profile[from_leads] == _PARTNER, kind[n_leads:] == _REGISTERED])

    # Channel conflict: partners register deals on shared accounts sales already works.
    base = np.flatnonzero(
        ~is_partner & (accounts.ownership[account] == _SHARED) & (rng.random(len(account)) < _CONFLICT_SHARE)
    )
    conflict_s = created_s[base] + (rng.uniform(-85, 85, len(base)) * _DAY).astype(np.int64)
    conflict_s = np.clip(conflict_s, calendar.start_s, calendar.end_s - _HOUR)

    account = np.concatenate([account, account[base]])
    created_s = np.concatenate([created_s, conflict_s])
    kind = np.concatenate([kind, np.full(len(base), _CONFLICT)])
    is_partner = np.concatenate([is_partner, np.ones(len(base), dtype=bool)])
    lead = np.concatenate([from_leads, np.full(len(account) - n_leads, -1)])
    profile = np.where(kind == _FROM_LEAD, leads.profile[np.maximum(lead, 0)], -1)
    product = np.where(
        kind == _FROM_LEAD,
        leads.product[np.maximum(lead, 0)],
        _choose(rng, [p.weight for p in _PRODUCTS], len(account)),
    )

    # Deals already open when the history starts, so early quarters book normally: copies
    # of deals from the history (same mix), created in the months before it, without leads.
    history_days = np.arange(calendar.day0, calendar.last_day + 1)
    pre_days = np.arange(calendar.day0 - _PRE_HISTORY_DAYS, calendar.day0)
    rate = len(account) / _day_weights(history_days, calendar).sum()
    n_pre = round(rate * _day_weights(pre_days, calendar).sum())
    pre = rng.integers(0, len(account), n_pre)
    pre_region = accounts.region[account[pre]]
    pre_s = _sample_days(rng, int(pre_days[0]), int(pre_days[-1]), n_pre, calendar) * _DAY
    pre_s = pre_s + _business_time(rng, pre_region)
    account = np.concatenate([account, account[pre]])
    created_s = np.concatenate([created_s, pre_s])
    kind = np.concatenate([kind, np.where(kind[pre] == _FROM_LEAD, _SALES_SOURCED, kind[pre])])
    is_partner = np.concatenate([is_partner, is_partner[pre]])
    lead = np.concatenate([lead, np.full(n_pre, -1)])
    profile = np.concatenate([profile, np.where(profile[pre] == _FLEXIBLE, _PAID_SEARCH, profile[pre])])
    product = np.concatenate([product, product[pre]])
    n = len(account)
    flexible = profile == _FLEXIBLE
    source_win = np.array([s.win_factor for s in _SOURCES])[np.maximum(profile, 0)]
    win_factor = np.where(profile >= 0, source_win, np.where(kind == _CONFLICT, 0.7, 1.05))

    region = accounts.region[account]
    segment = accounts.segment[account]
    partner = np.where(is_partner, _choose(rng, partners.weight, n), -1)
    day = created_s // _DAY
    owner = _pick_member(
        rng, region * 2 + (segment == _ENTERPRISE), day, staff.ae_group, staff.ae_hire_day, 2 * len(_REGIONS)
    )
    skill = staff.ae_skill[owner]

    seg_param = {
        field: np.array([getattr(s, field) for s in _SEGMENTS])[segment]
        for field in ("win_rate", "cycle_median_days", "cycle_sigma", "list_median", "list_sigma", "cost_fixed")
    }
    p_win = np.clip(seg_param["win_rate"] * win_factor * skill * np.where(is_partner, 0.95, 1.0), 0.03, 0.85)
    is_won = rng.random(n) < p_win
    cycle_median = np.where(flexible, 20.0, seg_param["cycle_median_days"])
    cycle = np.minimum(_lognormal(rng, cycle_median, seg_param["cycle_sigma"], n), _MAX_CYCLE_DAYS)
    cycle = np.maximum(np.round(np.where(is_won, cycle, cycle * rng.uniform(0.15, 0.9, n))), 1)
    close_s = (day + cycle.astype(np.int64)) * _DAY + _business_time(rng, region)
    close_s = np.maximum(close_s, created_s + _HOUR)
    is_closed = close_s <= calendar.end_s
    keep = (created_s >= calendar.start_s) | (close_s >= calendar.start_s)

    elapsed = (calendar.end_s - created_s) / np.maximum(close_s - created_s, 1)
    stage = np.where(is_closed, np.where(is_won, 4, 5), np.minimum((elapsed * 4).astype(np.int64), 3))

    price = np.array([p.price_factor for p in _PRODUCTS])[product]
    list_amount = _lognormal(rng, seg_param["list_median"] * price, seg_param["list_sigma"], n)
    list_amount = np.where(flexible, _lognormal(rng, 4_200.0, 0.3, n), list_amount)
    list_amount = np.maximum(np.round(list_amount, -1), 500.0)
    discount = (
        0.02
        + 0.05 * np.maximum(np.log(list_amount / 5_000), 0)
        + np.where(is_partner, 0.06, 0.0)
        + rng.normal(0, 0.03, n)
    ) * (1.3 - 0.3 * np.minimum(skill, 1.5))
    discount = np.where(flexible, rng.uniform(0.15, 0.30, n), discount)
    amount = _money(list_amount * (1 - np.clip(discount, 0.0, 0.5)))
    commission = np.where(is_partner, partners.commission[np.maximum(partner, 0)], 0.0)
    cost = amount * (rng.uniform(0.05, 0.13, n) + commission) + seg_param["cost_fixed"] * rng.lognormal(0.0, 0.3, n)
    # Special orders: custom paperwork, monthly billing and hand-holding for a small deal.
    cost = np.where(flexible, amount * 0.35 + 2_800 * rng.lognormal(0.0, 0.2, n), cost)

    def kept(values: np.ndarray) -> np.ndarray:
        return values[keep]

    return _Opportunities(
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
        cost_of_sale=kept(_money(cost)),
    )


@dataclass(frozen=True)
class _Activities:
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
    day = occurred_s // _DAY
    weekday = (day + 3) % 7
    day = day + np.where((weekday >= 5) & (rng.random(len(day)) < 0.85), 7 - weekday, 0)
    moved = day * _DAY + _business_time(rng, region)
    return np.where((moved >= begin_s) & (moved <= end_s), moved, occurred_s)


def _activities(
    rng: np.random.Generator, calendar: _Calendar, leads: _Leads, opps: _Opportunities, staff: _Staff
) -> _Activities:
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
        first, _choose(rng, [0.7, 0.3, 0, 0], len(lead_row)), _choose(rng, [0.5, 0.42, 0.08, 0], len(lead_row))
    )

    skill = staff.ae_skill[opps.owner_ae]
    n = len(opps.created_s)
    flexible = opps.flexible
    outcome_factor = np.where(opps.is_won | ~opps.is_closed, 1.0, 0.55)
    seg = {
        field: np.array([getattr(s, field) for s in _SEGMENTS])[opps.segment]
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
    opp_type = np.repeat(np.tile(np.arange(len(_ACTIVITY_TYPES)), n), counts.reshape(-1))
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
    return _Activities(rep, lead_ref, opp_ref, kind, occurred_s, duration, outcome)


def _quotas(calendar: _Calendar, opps: _Opportunities, staff: _Staff, rng: np.random.Generator) -> pd.DataFrame:
    """A quota per AE and calendar quarter (through the quarter after the data ends), set by the
    team's trend of bookings per seasoned AE.

    Every AE of a region and focus gets the same plan (ramped for new hires), so the
    spread of attainment is the spread of the reps.
    """
    n_q = calendar.n_quarters
    n_plan = n_q + 1  # quotas are set a quarter ahead: next quarter's coverage needs its quota
    quarter_first = np.array([_month_start_day(calendar.start_month + 3 * q) for q in range(n_plan + 1)])
    n_ae = len(staff.ae)
    won = opps.is_won & (opps.close_s >= calendar.start_s)
    won_quarter = np.searchsorted(quarter_first, opps.close_s[won] // _DAY, side="right") - 1
    bookings = np.bincount(
        opps.owner_ae[won] * n_plan + won_quarter, weights=opps.amount[won], minlength=n_ae * n_plan
    ).reshape(n_ae, n_plan)
    hire_quarter = _month_index(staff.ae_hire_day, calendar) // 3
    tenure = np.arange(n_plan)[None, :] - hire_quarter[:, None]
    employed = tenure >= 0
    ramp = np.array(_QUOTA_RAMP)[np.clip(tenure, 0, len(_QUOTA_RAMP) - 1)]
    seasoned = tenure >= len(_QUOTA_RAMP) - 1
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
            "rep_id": _id_column(staff.ids, staff.ae[ae_index]),
            "period_start": _dates(quarter_first[quarter_index]),
            "period_end": _dates(quarter_first[quarter_index + 1] - 1),
            "amount": quota[ae_index, quarter_index],
        }
    )


def generate(leads: int, seed: int, today: dt.date, progress: Progress | None = None) -> dict[str, pd.DataFrame]:
    """The demo tables as frames keyed by table name, in `model.CRM_TABLES` order.

    A pure function of (leads, seed, today): history runs from a quarter start at least
    two years before `today` to the end of `today`, and no event lies after that.
    """
    if leads < MIN_LEADS:
        raise ValueError(f"the demo needs at least {MIN_LEADS:,} leads (got {leads:,})")
    if leads > MAX_LEADS:
        raise ValueError(
            f"the demo builds at most {MAX_LEADS:,} leads (got {leads:,}); the default is {DEFAULT_LEADS:,}"
        )
    if not 0 <= seed < 2**63:
        raise ValueError(f"the seed must be a whole number from 0 to 2**63 - 1 (got {seed:,})")
    report = progress or _silent
    calendar = _Calendar.of(today)

    def stream(stage: int) -> np.random.Generator:
        return np.random.default_rng([seed, stage])

    report("Planning reps and accounts", 0.0)
    staff = _staff(stream(1), leads, calendar)
    partners = _partners(stream(2), leads)
    accounts = _accounts(stream(3), leads)
    campaigns = _campaigns(stream(4), calendar)
    report("Generating leads", 0.1)
    lead = _leads(stream(5), leads, calendar, campaigns, accounts, staff)
    report("Generating opportunities", 0.35)
    opps = _opportunities(stream(6), calendar, lead, accounts, staff, partners)
    report("Generating activities", 0.5)
    acts = _activities(stream(7), calendar, lead, opps, staff)
    report("Setting quotas", 0.75)
    quotas = _quotas(calendar, opps, staff, stream(8))

    report("Assembling tables", 0.8)
    refs = _References.of(lead, opps, len(campaigns.name), staff, accounts, partners)
    leads_frame = _leads_frame(lead, opps, refs)
    report("Assembling tables", 0.85)
    opportunities_frame = _opportunities_frame(opps, refs, staff.ae)
    report("Assembling tables", 0.9)
    activities_frame = _activities_frame(acts, refs)
    frames = {
        "products": _products_frame(),
        "reps": staff.frame,
        "accounts": accounts.frame,
        "partners": partners.frame,
        "campaigns": _campaigns_frame(campaigns, refs.campaign_ids, refs.product_ids, lead.campaign, stream(9)),
        "leads": leads_frame,
        "opportunities": opportunities_frame,
        "activities": activities_frame,
        "quotas": quotas,
    }
    report("Demo data generated", 1.0)
    return {table.name: frames[table.name] for table in model.CRM_TABLES}


@dataclass(frozen=True)
class _References:
    """Ids of every table; leads and deals are numbered in the order they were created."""

    product_ids: pa.Array
    campaign_ids: pa.Array
    rep_ids: pa.Array
    account_ids: pa.Array
    partner_ids: pa.Array
    lead_ids: pa.Array
    lead_order: np.ndarray
    lead_rank: np.ndarray
    opp_ids: pa.Array
    opp_order: np.ndarray
    opp_rank: np.ndarray

    @classmethod
    def of(
        cls,
        lead: _Leads,
        opps: _Opportunities,
        n_campaigns: int,
        staff: _Staff,
        accounts: _Accounts,
        partners: _Partners,
    ) -> _References:
        lead_order = np.argsort(lead.created_s, kind="stable")
        opp_order = np.argsort(opps.created_s, kind="stable")
        return cls(
            product_ids=_ids("PRD-", len(_PRODUCTS), 2),
            campaign_ids=_ids("CMP-", n_campaigns, 4),
            rep_ids=staff.ids,
            account_ids=accounts.ids,
            partner_ids=partners.ids,
            lead_ids=_ids("LEAD-", len(lead_order), 7),
            lead_order=lead_order,
            lead_rank=_rank(lead_order),
            opp_ids=_ids("OPP-", len(opp_order), 7),
            opp_order=opp_order,
            opp_rank=_rank(opp_order),
        )

    def lead(self, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
        """The ids of lead rows (generation order); -1 gives null."""
        return _id_column(self.lead_ids, np.where(rows >= 0, self.lead_rank[np.maximum(rows, 0)], -1))

    def opportunity(self, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
        """The ids of deal rows (generation order); -1 gives null."""
        return _id_column(self.opp_ids, np.where(rows >= 0, self.opp_rank[np.maximum(rows, 0)], -1))


def _rank(order: np.ndarray) -> np.ndarray:
    """The position of each row in `order` (the inverse permutation)."""
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank


def _leads_frame(lead: _Leads, opps: _Opportunities, refs: _References) -> pd.DataFrame:
    """The leads table in creation order, each converted lead pointing at its deal."""
    converted_opp = np.full(len(lead.created_s), -1, dtype=np.int64)
    from_lead = np.flatnonzero(opps.lead >= 0)
    converted_opp[opps.lead[from_lead]] = from_lead
    lo = refs.lead_order
    return pd.DataFrame(
        {
            "id": _id_column(refs.lead_ids),
            "created_at": _timestamps(lead.created_s[lo]),
            "source": pd.array(np.array([s.name for s in _SOURCES], dtype=object)[lead.profile[lo]], dtype="str"),
            "campaign_id": _id_column(refs.campaign_ids, lead.campaign[lo]),
            "account_id": _id_column(refs.account_ids, lead.account[lo]),
            "region": _category(lead.region[lo], [r.code for r in _REGIONS]),
            "product_id": _id_column(refs.product_ids, lead.product[lo]),
            "segment": _category(lead.segment[lo], [s.name for s in _SEGMENTS]),
            "owner_rep_id": _id_column(refs.rep_ids, lead.owner[lo]),
            "mql_at": _timestamps(lead.mql_s[lo], lead.is_mql[lo]),
            "accepted_at": _timestamps(lead.decision_s[lo], lead.is_accepted[lo]),
            "rejected_at": _timestamps(lead.decision_s[lo], lead.is_rejected[lo]),
            "reject_reason": _category(lead.reject_reason[lo], _REJECT_REASONS),
            "converted_at": _timestamps(lead.converted_s[lo], lead.is_converted[lo]),
            "opportunity_id": refs.opportunity(converted_opp[lo]),
        }
    )


def _expected_close_days(opps: _Opportunities) -> np.ndarray:
    """The day each deal's owner expects it to close (days since the epoch): the real cycle
    times a forecast error, a little optimistic (median 0.9x, some deals slip past it).

    Drawn from a stream of its own, seeded from the deals, so adding this column left every
    other demo value (and the stories tests check) as it was."""
    rng = np.random.default_rng(int(opps.created_s[:256].sum()) & 0xFFFFFFFF)
    created_day = opps.created_s // _DAY
    cycle = np.maximum(opps.close_s // _DAY - created_day, 1)
    forecast = rng.lognormal(np.log(0.9), 0.35, len(cycle))
    return created_day + np.maximum(np.round(cycle * forecast), 1).astype(np.int64)


def _opportunities_frame(opps: _Opportunities, refs: _References, staff_ae: np.ndarray) -> pd.DataFrame:
    """The opportunities table in creation order."""
    oo = refs.opp_order
    return pd.DataFrame(
        {
            "id": _id_column(refs.opp_ids),
            "lead_id": refs.lead(opps.lead[oo]),
            "account_id": _id_column(refs.account_ids, opps.account[oo]),
            "owner_rep_id": _id_column(refs.rep_ids, staff_ae[opps.owner_ae[oo]]),
            "channel": _category(opps.channel_partner[oo].astype(np.int64), ["direct", "partner"]),
            "partner_id": _id_column(refs.partner_ids, opps.partner[oo]),
            "product_id": _id_column(refs.product_ids, opps.product[oo]),
            "region": _category(opps.region[oo], [r.code for r in _REGIONS]),
            "segment": _category(opps.segment[oo], [s.name for s in _SEGMENTS]),
            "created_at": _timestamps(opps.created_s[oo]),
            "closed_at": _timestamps(opps.close_s[oo], opps.is_closed[oo]),
            "expected_close_at": _dates(_expected_close_days(opps)[oo]),
            "stage": _category(opps.stage[oo], _STAGES),
            "is_won": opps.is_won[oo],
            "amount": opps.amount[oo],
            "list_amount": opps.list_amount[oo],
            "cost_of_sale": opps.cost_of_sale[oo],
        }
    )


def _activities_frame(acts: _Activities, refs: _References) -> pd.DataFrame:
    """The activities table in time order; emails have no duration."""
    ao = np.argsort(acts.occurred_s, kind="stable")
    return pd.DataFrame(
        {
            "id": _id_column(_ids("ACT-", len(ao), 8)),
            "rep_id": _id_column(refs.rep_ids, acts.rep[ao]),
            "lead_id": refs.lead(acts.lead[ao]),
            "opportunity_id": refs.opportunity(acts.opportunity[ao]),
            "type": _category(acts.type[ao], _ACTIVITY_TYPES),
            "occurred_at": _timestamps(acts.occurred_s[ao]),
            "duration_s": pd.arrays.IntegerArray(np.maximum(acts.duration_s[ao], 0), acts.duration_s[ao] < 0),
            "outcome": _category(acts.outcome[ao], _OUTCOMES),
        }
    )


# --- loading -------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    """What `build` made: where, from which inputs, how many rows, how long it took."""

    database: str
    leads: int
    seed: int
    today: dt.date
    history_start: dt.date
    rows: tuple[tuple[str, int], ...]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(count for _, count in self.rows)

    def __str__(self) -> str:
        counts = ", ".join(f"{count:,} {name}" for name, count in self.rows)
        return (
            f"Built the demo database {self.database} (seed {self.seed}, history "
            f"{self.history_start.isoformat()} to {self.today.isoformat()}) in {self.seconds:.1f} s: "
            f"{counts}; {self.total_rows:,} rows in all."
        )


def build(
    db: Database,
    leads: int = DEFAULT_LEADS,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Replace the database's contents with the demo data, in one all-or-nothing write.

    Writes only where nothing is yet or where a Scorecard database is: anything else at
    the location (another program's file, a database that cannot be reached) raises
    DatabaseError before any work starts.
    """
    presence = db.status()
    if presence.kind in ("foreign", "unreachable"):
        raise DatabaseError(f"{presence.reason}; the demo writes only to a new location or a Scorecard database")
    started = time.perf_counter()
    report = progress or _silent
    today = today or dt.datetime.now(dt.UTC).date()
    frames = generate(leads, seed, today, progress=lambda step, f: report(step, f * _GENERATE_SHARE))
    total = sum(len(frame) for frame in frames.values())
    replaces_file = db.dialect == "duckdb" and db.path is not None
    load_share = 1 - _GENERATE_SHARE - (_WRITE_SHARE if replaces_file else 0.02)
    loaded = 0
    with db.writer(fresh=True) as conn:
        if not replaces_file:
            drop_schema(conn)
        create_schema(conn)
        for table in model.CRM_TABLES:
            report(f"Loading {table.name}", _GENERATE_SHARE + load_share * loaded / total)
            loaded += bulk_insert(conn, table, frames[table.name])
        report("Computing first touches", _GENERATE_SHARE + load_share)
        refresh_maintained(conn)
        rows = tuple((name, len(frame)) for name, frame in frames.items())
        detail = {"seed": seed, "leads": leads, "today": today.isoformat(), "rows": dict(rows)}
        conn.execute(
            sa.insert(model.loads).values(
                id=1,
                loaded_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                kind="demo",
                user_name="scorecard demo",
                detail=json.dumps(detail),
                accepted=total,
                quarantined=0,
            )
        )
        report("Writing the database", _GENERATE_SHARE + load_share)
    report("Demo database ready", 1.0)
    return DemoSummary(
        database=db.display(),
        leads=leads,
        seed=seed,
        today=today,
        history_start=_Calendar.of(today).start,
        rows=rows,
        seconds=time.perf_counter() - started,
    )


def terminal_progress(step: str, fraction: float) -> None:
    """Draw progress on one terminal line (stderr): step, bar, percent; newline when done."""
    fraction = min(max(fraction, 0.0), 1.0)
    filled = round(fraction * _BAR_WIDTH)
    bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
    sys.stderr.write(f"\r{step[:34]:<34} [{bar}] {fraction:4.0%}" + ("\n" if fraction >= 1.0 else ""))
    sys.stderr.flush()


def _silent(step: str, fraction: float) -> None:
    """The progress callback used when nobody listens."""
