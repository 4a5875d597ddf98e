"""What the dashboard shows, worked out without Streamlit: period choices, labels, table shapes.

Pages stay thin: they ask the core for finished numbers, pass them through these pure
functions and draw the result. Everything here runs (and is tested) without a browser.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final, Literal

from scorecard.catalog.load import Catalog
from scorecard.judge.weekly import (
    Scorecard,
    ScorecardRow,
    query_for,
)
from scorecard.language import periods as cal
from scorecard.language.definitions import CohortMetric, MetricBase, RankMetric
from scorecard.language.formatting import format_delta, format_value, is_no_change
from scorecard.language.settings import Calendar, Locale
from scorecard.sql.query import Query

FilterKey = tuple[tuple[str, tuple[str, ...]], ...]
"""Dimension filters in a canonical, hashable order: a cache key and a URL."""

STATUS_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {"green": "on target", "amber": "near target", "red": "off target", "none": "no target"}
)

DRILL_DOWN: Final[Mapping[str, str]] = MappingProxyType(
    {
        "region": "rep",
        "team": "rep",
        "segment": "rep",
        "product": "rep",
        "channel": "rep",
        "source": "campaign",
        "campaign": "rep",
    }
)
"""Where a click on a breakdown leads: a region's reps, a lead source's campaigns..."""

SOURCE_QUALITY: Final = ("leads_created", "lead_to_close", "revenue_per_lead")
"""Volume first, then what the leads were worth."""

CAMPAIGN_ECONOMICS: Final = ("campaign_won_deals", "cost_per_won_deal", "margin_per_won_deal", "cost_to_margin")
"""What a campaign's wins cost against what they earn."""

COHORT_METRIC: Final = "lead_to_close"
"""The cohort metric whose maturity decides which lead cohorts can be judged."""


# --- filters ----------------------------------------------------------------------------------


def filter_key(filters: Mapping[str, Sequence[str]] | None) -> FilterKey:
    """Filters without empty entries, sorted: equal views give equal keys."""
    return tuple(sorted((dim, tuple(sorted(set(values)))) for dim, values in (filters or {}).items() if values))


def filters_text(filters: Mapping[str, Sequence[str]], catalog: Catalog) -> str:
    """'Region: EMEA, NA · Product: Core', or 'all data' without filters."""
    parts = []
    for dim, values in filter_key(filters):
        label = catalog.dimensions[dim].label if dim in catalog.dimensions else dim
        shown = ", ".join(values[:4]) + (f" and {len(values) - 4} more" if len(values) > 4 else "")
        parts.append(f"{label}: {shown}")
    return " · ".join(parts) or "all data"


# --- words for numbers ---------------------------------------------------------------------------


def owners_text(owners: Sequence[str]) -> str:
    """'sales', 'marketing' or 'both': who answers for a metric."""
    return "both" if set(owners) == {"sales", "marketing"} else " + ".join(owners)


def accountability_text(owner: str, contributors: Sequence[str]) -> str:
    """Who answers for a metric and who helps move it: 'sales answers; marketing contributes'."""
    head = "sales and marketing answer together" if owner == "both" else f"{owner} answers for it"
    return head + (f"; {' and '.join(contributors)} contributes" if contributors else "")


def target_text(target: float | None, unit: str, direction: str, *, locale: Locale) -> str:
    """'target ≥ 5.0%' or 'target ≤ 8.0 h'; empty without a target."""
    if target is None:
        return ""
    return f"target {'≥' if direction == 'higher_is_better' else '≤'} {format_value(target, unit, locale=locale)}"


ChangeTone = Literal["good", "bad", "none"]


def change_tone(row: ScorecardRow, compact: bool = False) -> ChangeTone:
    """Whether last week's change went the metric's good way; "none" when there is no change as shown.

    "+0.0 h" is no change: it is neither green nor red, whatever the unrounded difference.
    """
    if row.delta is None or not row.judgeable or is_no_change(row.delta, row.format, compact):
        return "none"
    improved = row.improved
    return "none" if improved is None else "good" if improved else "bad"


def delta_text(row: ScorecardRow, compact: bool = False, *, locale: Locale) -> str | None:
    """The change since last week in the same style as the value beside it (compact with compact)."""
    if row.delta is None:
        return None
    return format_delta(row.delta, row.format, compact, locale=locale)


def status_text(row: ScorecardRow) -> str:
    """'on target', 'near target', 'off target' when judged; 'no target' or 'not judged' otherwise."""
    return row.verdict


def note_text(row: ScorecardRow) -> str:
    """Why a metric has no value under this filter, without the repeated lead-in."""
    return (row.note or "").removeprefix("not available with this filter: ")


def sample_text(row: ScorecardRow) -> str:
    """'n = 63', 'no data this week', or 'low sample: n = 4, needs 10' below the metric's minimum."""
    if row.n == 0:
        return "no data this week"
    if row.low_sample:
        return f"low sample: n = {row.n:,}, needs {row.min_sample:,}"
    return f"n = {row.n:,}"


def week_text(period: cal.Period) -> str:
    """'2026-W47 · 16–22 Nov 2026' (or across months: '28 Sep – 4 Oct 2026')."""
    if period.first.month == period.last.month:
        days = f"{period.first.day}–{period.last.day} {period.last:%b %Y}"
    else:
        days = f"{period.first.day} {period.first:%b} – {period.last.day} {period.last:%b %Y}"
    return f"{period.label} · {days}"


def is_empty(card: Scorecard) -> bool:
    """True when nothing at all matched: every metric counted zero rows in every week of its trend."""
    return all(point.n == 0 for row in card.rows if row.note is None for point in (row.trend or ()))


# --- periods to choose from ------------------------------------------------------------------------


def week_choices(calendar: Calendar, now: dt.datetime | None = None, count: int = 104) -> list[cal.Period]:
    """Complete weeks, newest first: the scorecard's week picker."""
    last = cal.last_complete_week(calendar, now)
    return list(reversed(cal.weeks_ending(calendar, last, count)))


def quarter_choices(calendar: Calendar, now: dt.datetime | None = None, count: int = 8) -> list[cal.Period]:
    """The current quarter (to date) and the ones before it, newest first."""
    today = cal.today(calendar, now)
    current = cal.period_containing(calendar, today, "quarter")
    out = [current]
    while len(out) < count:
        out.append(cal.period_containing(calendar, out[-1].first - dt.timedelta(days=1), "quarter"))
    return out


def last_complete_quarter(calendar: Calendar, now: dt.datetime | None = None) -> cal.Period:
    """The newest quarter that has ended: the default of the forced ranking."""
    return quarter_choices(calendar, now, 2)[1]


def default_range(calendar: Calendar, now: dt.datetime | None = None) -> tuple[dt.date, dt.date]:
    """52 weeks ending with the last complete week: Explore's default date range."""
    weeks = cal.weeks_ending(calendar, cal.last_complete_week(calendar, now), 52)
    return weeks[0].first, weeks[-1].last


def judgeable_range(
    catalog: Catalog, now: dt.datetime | None = None, metric: str = COHORT_METRIC
) -> tuple[dt.date, dt.date]:
    """The last 12 months of lead cohorts that have had their whole window (e.g. 180 days) by now."""
    last_week = cal.last_complete_week(catalog.calendar, now)
    definition = catalog.metrics.get(metric)
    newest = (
        cal.mature_cohort_week(catalog.calendar, definition.window_days, last_week)
        if isinstance(definition, CohortMetric)
        else last_week
    )
    weeks = cal.weeks_ending(catalog.calendar, newest, 52)
    return weeks[0].first, weeks[-1].last


def as_of(calendar: Calendar, last: dt.date, now: dt.datetime | None = None) -> dt.datetime:
    """The instant results count events up to: the end of `last`, or the start of today if sooner.

    Stable all day, so cached results stay valid until the data changes or the day turns.
    """
    day = min(last + dt.timedelta(days=1), cal.today(calendar, now))
    return cal.make_period(calendar, day, day).start


def is_mature(period: cal.Period, metric: MetricBase, as_of: dt.datetime) -> bool:
    """True unless `metric` is a cohort metric whose window has not closed for the whole period by `as_of`."""
    if not isinstance(metric, CohortMetric):
        return True
    return period.end + dt.timedelta(days=metric.window_days) <= as_of


def explorable_metrics(catalog: Catalog) -> list[str]:
    """Every metric that has one value per period (rankings are tables, not series)."""
    return [name for name, m in catalog.metrics.items() if not isinstance(m, RankMetric)]


def scorecard_query(
    catalog: Catalog, metric: str, week: cal.Period, filters: Mapping[str, Sequence[str]] | None = None
) -> Query:
    """The query the weekly scorecard runs for a metric (the same one `scorecard.build` runs)."""
    return query_for(catalog, catalog.metric(metric), week, filters)


# --- metric definitions -----------------------------------------------------------------------------


def yaml_block(text: str, line: int) -> str:
    """The YAML of one list item, from its first line (1-based) to the line before the next item.

    Comments and blank lines after the item are left out; the block is dedented.
    """
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    first = lines[line - 1]
    indent = len(first) - len(first.lstrip())
    block = [first]
    for raw in lines[line:]:
        stripped = raw.strip()
        if stripped and len(raw) - len(raw.lstrip()) <= indent:
            break
        block.append(raw)
    while block and (not block[-1].strip() or block[-1].strip().startswith("#")):
        block.pop()
    return textwrap.dedent("\n".join(block))


def noise_text(row: ScorecardRow, *, locale: Locale) -> str:
    """What the change is worth, in words: "within noise (±45 at this volume)", "beyond noise", or ""."""
    change = row.change
    if change is None or row.delta is None:
        return ""
    if change.method == "always":
        return "any change counts" if change.significant else ""
    if change.significant:
        return "beyond noise"
    if change.margin is None:
        return "change not judged: too few rows before or now to tell it from noise"
    margin = format_value(change.margin, row.format, compact=True, locale=locale)
    if row.format == "percent":
        margin = format_delta(change.margin, row.format, compact=True, locale=locale).lstrip("+")
    return f"within noise (±{margin} at this volume)"


def interval_text(row: ScorecardRow, *, locale: Locale) -> str:
    """The value's interval: "likely 13.4% to 24.1% (95%)", or "" without one."""
    if row.interval is None or row.value is None:
        return ""
    low, high = (format_value(v, row.format, compact=True, locale=locale) for v in row.interval)
    level = row.change.level if row.change is not None else 0.95
    return f"likely {low} to {high} ({level:.0%})"


def exception_lines(row: ScorecardRow, *, locale: Locale) -> list[str]:
    """ "APAC 64.2 h, off target (n = 57)" for each red slice under a total that is not red."""
    return [
        f"{e.slice} {format_value(e.value, row.format, locale=locale)}, off target (n = {e.n:,})"
        for e in row.exceptions
    ]


PERIOD_ORDER: Final = ("this week", "latest settled", "window", "cohort")


def period_group(row: ScorecardRow) -> tuple[str, str]:
    """Which period a row's number covers, as (kind, heading): this week, the latest settled week,
    a longer window or month/quarter to date, or a cohort, each headed by its period."""
    if row.cohort:
        return "cohort", f"Cohort of {row.cohort}: leads that have had their full window"
    if row.settled:
        return "latest settled", f"Latest settled period: {row.settled} (the newer one can still change)"
    if row.window != "week":
        return "window", f"{cal.WINDOW_WORDS.get(row.window, row.window).capitalize()}: {row.period}"
    return "this week", f"This week: {row.period}"


def period_groups(rows: Sequence[ScorecardRow]) -> list[tuple[str, list[ScorecardRow]]]:
    """Rows grouped by the period their number covers, in the order this week, latest settled,
    longer windows, cohorts, each group headed by its period (rows keep their order within)."""
    groups: dict[tuple[str, str], list[ScorecardRow]] = {}
    for row in rows:
        groups.setdefault(period_group(row), []).append(row)
    ordered = sorted(groups.items(), key=lambda item: PERIOD_ORDER.index(item[0][0]))
    return [(heading, members) for (_, heading), members in ordered]
