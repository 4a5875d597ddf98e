"""The company the demo data describes: regions, segments, products, lead sources, trade shows,
names and the calendar; each setting is tuned so a story of `scorecard.demo.generate` shows in the numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np

DAY: Final = 86_400
HOUR: Final = 3_600
GROWTH_PER_YEAR: Final = 0.30
PRE_HISTORY_DAYS: Final = 400
"""Deals are also created this long before the history starts (without leads), so the
pipeline is already full on day one and early quarters book normally."""
QUOTA_RAMP: Final = (0.1, 0.25, 0.5, 0.75, 1.0)
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


REGIONS: Final = (
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


SEGMENTS: Final = (
    _Segment("smb", 0.60, 0.45, 9_000, 0.50, 30, 0.45, 0.34, 10, 1.2, 1.0, 500),
    _Segment("mid_market", 0.28, 0.35, 42_000, 0.40, 100, 0.40, 0.28, 18, 3.0, 1.5, 2_500),
    _Segment("enterprise", 0.12, 0.20, 150_000, 0.40, 255, 0.25, 0.22, 30, 6.0, 3.0, 10_000),
)
ENTERPRISE: Final = 2
MAX_CYCLE_DAYS: Final = 400


@dataclass(frozen=True)
class _Product:
    """What is sold: margin, price level and how often it is asked for."""

    name: str
    family: str
    margin_rate: float
    price_factor: float
    weight: float


PRODUCTS: Final = (
    _Product("Brightline Platform", "Platform", 0.84, 1.00, 0.38),
    _Product("Pipeline Analytics", "Add-on", 0.76, 0.55, 0.20),
    _Product("Forecast Studio", "Add-on", 0.71, 0.65, 0.16),
    _Product("Partner Hub", "Add-on", 0.64, 0.50, 0.10),
    _Product("Implementation Services", "Services", 0.47, 0.40, 0.16),
)
FLEXIBLE_PRODUCT: Final = 1

REJECT_REASONS: Final = (
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
SOURCES: Final = (
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
REJECT_WEIGHTS: Final = (
    # How often sales rejects each source's leads for each of REJECT_REASONS, in SOURCES order.
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
TRADE_SHOW, WEBINAR, PAID_SEARCH, CONTENT, PARTNER, OUTBOUND, REFERRAL, WEBSITE, FLEXIBLE = range(9)
FLEXIBLE_SHARE_OF_PAID: Final = 0.35
FLEXIBLE_REGIONS: Final = (0, 1)
FLEXIBLE_QUARTERS: Final = 5

SALES_SOURCED_SHARE: Final = 0.25
"""Sales-sourced direct deals per lead-sourced deal."""
PARTNER_REGISTERED_SHARE: Final = 0.07
"""Deals partners register themselves, per lead-sourced deal."""
CONFLICT_SHARE: Final = 0.15
"""Chance a direct deal on a shared account draws a partner deal within 90 days."""
FROM_LEAD, SALES_SOURCED, REGISTERED, CONFLICT = range(4)
"""How a deal came about: a converted lead, sales, a partner's registration, a conflict."""


@dataclass(frozen=True)
class _TradeShow:
    """A yearly show (second Tuesday of its month) and its relative crowd."""

    name: str
    region: int
    month: int
    size: float


TRADE_SHOWS: Final = (
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

WEBINAR_TOPICS: Final = (
    ("Forecasting without spreadsheets", 2),
    ("Pipeline reviews that work", 1),
    ("One scorecard for sales and marketing", 0),
    ("Attribution for B2B teams", 1),
    ("Partner-led growth", 3),
    ("Discount discipline", 0),
    ("Rolling out a revenue platform in 90 days", 4),
)
CONTENT_TITLES: Final = (
    "Ebook: The RevOps playbook",
    "Report: State of B2B pipeline",
    "Guide: Lead scoring that sales trusts",
    "Benchmark: Sales compensation",
    "Checklist: The modern buyer journey",
)


def _words(text: str) -> tuple[str, ...]:
    """A comma-separated word list as a tuple (keeps long name lists compact)."""
    return tuple(word.strip() for word in text.split(","))


FIRST_NAMES: Final = _words(
    "Olivia, Liam, Emma, Noah, Ava, Lucas, Sofia, Mateo, Mia, Ethan, Amelia, James, Harper, Benjamin, "
    "Chloe, Daniel, Hannah, Samuel, Nora, David, Aisha, Omar, Priya, Arjun, Mei, Hiroshi, Yuki, Jin, "
    "Min-jun, Ji-woo, Lucia, Diego, Camila, Gabriel, Valentina, Rafael, Ingrid, Lars, Freya, Henrik, Anika, Felix, "
    "Clara, Jonas, Elena, Marco, Giulia, Luca, Chiara, Pierre, Camille, Louis, Manon, Kwame, Amara, Tunde, "
    "Zainab, Fatima, Yusuf, Leila, Sven, Astrid, Nikolai, Tatiana, Kofi, Esther, Ravi, Ananya, Wei, Lin"
)
LAST_NAMES: Final = _words(
    "Smith, Johnson, Williams, Brown, Garcia, Miller, Davis, Rodriguez, Martinez, Anderson, Taylor, Thomas, "
    "Moore, Jackson, Martin, Lee, Thompson, White, Harris, Clark, Lewis, Walker, Young, Allen, "
    "King, Wright, Scott, Green, Baker, Adams, Nelson, Hill, Campbell, Mitchell, Roberts, Carter, "
    "Phillips, Evans, Turner, Silva, Santos, Oliveira, Pereira, Costa, Fernandez, Lopez, Gonzalez, Schmidt, "
    "Schneider, Fischer, Weber, Meyer, Wagner, Becker, Muller, Rossi, Russo, Ferrari, Esposito, Dubois, "
    "Lefevre, Moreau, Laurent, Jansen, de Vries, Nilsson, Larsen, Kowalski, Nowak, Tanaka, Suzuki, Sato, "
    "Kim, Park, Chen, Wang, Zhang, Liu, Singh, Patel, Sharma, Gupta, Okafor, Mensah, "
    "Haddad"
)
COMPANY_ROOTS: Final = _words(
    "Blue, North, Silver, Oak, Red, Stone, Bright, Clear, Green, Iron, Summit, Harbor, River, Pine, Cedar, "
    "Falcon, Eagle, Star, Sun, Lake, Cobalt, Amber, Crystal, Granite, Maple, Golden, Swift, True, Prime, Apex, "
    "Nova, Vertex, Atlas, Orion, Polar, Coral, Delta, Echo, Terra, Aqua, Bold, Quantum, Vista, Crest, Ridge, "
    "Bay, West, East, High, Fair, Wild, Ever, Sky, Frost, Ember, Jade, Onyx, Copper, Birch, Willow"
)
COMPANY_TAILS: Final = _words(
    "field, bridge, point, wave, stone, line, works, gate, path, view, way, port, light, side, wood, "
    "brook, mark, peak, core, lab, hub, scale, ware, craft, forge, haven, well, crest, sphere, logic"
)
INDUSTRIES: Final = (
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
PARTNER_SUFFIXES: Final = _words(
    "Consulting, Solutions, Partners, Systems Integration, Advisory Group, Digital, Revenue Partners, Cloud Services"
)
OWNERSHIPS: Final = ("direct", "partner", "shared")
OWNERSHIP_SHARE: Final = (0.72, 0.13, 0.15)
DIRECT, PARTNER_OWNED, SHARED = range(3)
PARTNER_TIERS: Final = ("gold", "silver", "registered")
ACTIVITY_TYPES: Final = ("call", "email", "meeting", "demo")
OUTCOMES: Final = ("connected", "no_answer", "voicemail", "replied", "held", "no_show")
_OPEN_STAGES: Final = ("prospecting", "qualification", "proposal", "negotiation")
STAGES: Final = (*_OPEN_STAGES, "won", "lost")
EMAIL_DOMAIN: Final = "brightline.example"


# --- the calendar --------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """The history window: from a quarter start at least two years back to today's end."""

    today: dt.date
    start: dt.date
    day0: int
    last_day: int
    end_s: int

    @classmethod
    def of(cls, today: dt.date) -> Calendar:
        back = today - dt.timedelta(days=744)
        start = dt.date(back.year, 3 * ((back.month - 1) // 3) + 1, 1)
        epoch = dt.date(1970, 1, 1)
        last_day = (today - epoch).days
        return cls(today, start, (start - epoch).days, last_day, (last_day + 1) * DAY - 1)

    @property
    def n_days(self) -> int:
        return self.last_day - self.day0 + 1

    @property
    def start_s(self) -> int:
        return self.day0 * DAY

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


def month_index(days: np.ndarray, calendar: Calendar) -> np.ndarray:
    """Months since the history start for days since the epoch."""
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months - calendar.start_month


def month_start_day(month_abs: int) -> int:
    """Days since the epoch of the first day of a month counted from 1970-01."""
    return int(np.datetime64(month_abs, "M").astype("datetime64[D]").astype(np.int64))


def day_weights(days: np.ndarray, calendar: Calendar) -> np.ndarray:
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
    return np.exp(GROWTH_PER_YEAR * years) * weekday_factor * season
