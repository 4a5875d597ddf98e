"""Weeks, months, quarters and years of the catalog's calendar, as explicit periods.

A period knows its local first and last day and its start and end as UTC instants,
so SQL places an event in a period by plain comparisons (portable to every dialect,
and correct across daylight-saving changes in the catalog's time zone).

Weeks are named like ISO weeks, "2026-W47": the week whose start day plus three days
falls in ISO week 47 of 2026. With Monday-start weeks this is exactly the ISO week.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from scorecard.language.settings import WEEKDAYS, Calendar

GrainName = Literal["week", "month", "quarter", "year"]
_WEEK_LABEL = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


EARLIEST_YEAR = 1900
LATEST_YEAR = 2199
"""Periods lie in these years (the dates an import accepts): 9999-W52 is a typing error."""
MAX_PERIODS = 1000
"""Most periods one query spans (about 19 years of weeks)."""


class PeriodError(ValueError):
    """A week or period written in a form the calendar cannot read."""


def check_day(day: dt.date, what: str = "") -> dt.date:
    """`day` if it lies in EARLIEST_YEAR..LATEST_YEAR, else PeriodError naming it."""
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise PeriodError(f"{what or day.isoformat()} is outside the years {EARLIEST_YEAR}..{LATEST_YEAR}")
    return day


@dataclass(frozen=True, order=True)
class Period:
    """One period: [first, last] local days; [start, end) UTC instants."""

    first: dt.date
    last: dt.date
    start: dt.datetime
    end: dt.datetime
    grain: str = "week"
    title: str = ""

    @property
    def label(self) -> str:
        """'2026-W47', '2026-11', '2026-Q3', 'FY2027', or the date range."""
        if self.title:
            return self.title
        if self.grain == "week":
            year, number, _ = (self.first + dt.timedelta(days=3)).isocalendar()
            return f"{year}-W{number:02d}"
        if self.grain == "month":
            return f"{self.first:%Y-%m}"
        return f"{self.first} to {self.last}"


def _instant(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant (naive) at which local `day` begins."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def make_period(cal: Calendar, first: dt.date, last: dt.date, grain: str = "week", title: str = "") -> Period:
    zone = ZoneInfo(cal.timezone)
    start, end = _instant(first, zone), _instant(last + dt.timedelta(days=1), zone)
    return Period(first, last, start, end, grain, title)


def week_start_of(cal: Calendar, day: dt.date) -> dt.date:
    """The first day of the week containing `day`."""
    offset = (day.weekday() - WEEKDAYS.index(cal.week_start)) % 7
    return day - dt.timedelta(days=offset)


def week(cal: Calendar, first: dt.date) -> Period:
    first = week_start_of(cal, first)
    return make_period(cal, first, first + dt.timedelta(days=6), "week")


def parse_week(cal: Calendar, text: str) -> Period:
    """'2026-W47' (or a date inside the week, '2026-11-18') -> that week."""
    match = _WEEK_LABEL.match(text.strip())
    if match:
        year, number = int(match.group(1)), int(match.group(2))
        if not EARLIEST_YEAR <= year <= LATEST_YEAR:
            raise PeriodError(f"{text!r} is outside the years {EARLIEST_YEAR}..{LATEST_YEAR}")
        try:
            monday = dt.date.fromisocalendar(year, number, 1)
        except ValueError:
            raise PeriodError(f"{text!r}: {year} has no week {number}") from None
        low = monday - dt.timedelta(days=3)
        first = low + dt.timedelta(days=(WEEKDAYS.index(cal.week_start) - low.weekday()) % 7)
        return week(cal, first)
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"{text!r} is not a week: write YYYY-Www (e.g. 2026-W47) or a date") from None
    return week(cal, check_day(day, repr(text)))


def today(cal: Calendar, now: dt.datetime | None = None) -> dt.date:
    """Today's date in the catalog's time zone."""
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(cal.timezone)).date()


def last_complete_week(cal: Calendar, now: dt.datetime | None = None) -> Period:
    """The latest week that has fully ended."""
    current = week(cal, today(cal, now))
    return shift_weeks(cal, current, -1)


def shift_weeks(cal: Calendar, period: Period, weeks: int) -> Period:
    return week(cal, period.first + dt.timedelta(weeks=weeks))


def weeks_ending(cal: Calendar, last: Period, count: int) -> tuple[Period, ...]:
    """`count` consecutive weeks, oldest first, ending with `last`."""
    if not 1 <= count <= MAX_PERIODS:
        raise PeriodError(f"{count:,} weeks: ask for 1 to {MAX_PERIODS:,}")
    check_day(last.first - dt.timedelta(weeks=count), f"{count:,} weeks before {last.label}")
    return tuple(shift_weeks(cal, last, -i) for i in reversed(range(count)))


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_containing(cal: Calendar, day: dt.date, grain: GrainName) -> Period:
    """The week, month, fiscal quarter or fiscal year containing `day`."""
    if grain == "week":
        return week(cal, day)
    if grain == "month":
        first = day.replace(day=1)
        return make_period(cal, first, _add_months(first, 1) - dt.timedelta(days=1), "month")
    span = 3 if grain == "quarter" else 12
    months_into_year = (day.month - cal.fiscal_year_start) % 12
    year_first = _add_months(day.replace(day=1), -months_into_year)
    first = _add_months(year_first, months_into_year - months_into_year % span)
    last = _add_months(first, span) - dt.timedelta(days=1)
    # A fiscal year that does not start in January is named by the year it ends in.
    year_name = str(year_first.year) if cal.fiscal_year_start == 1 else f"FY{year_first.year + 1}"
    title = f"{year_name}-Q{months_into_year // 3 + 1}" if grain == "quarter" else year_name
    return make_period(cal, first, last, grain, title)


def periods_between(cal: Calendar, first: dt.date, last: dt.date, grain: GrainName) -> tuple[Period, ...]:
    """Every period of `grain` that overlaps the days first..last, oldest first."""
    if last < first:
        raise PeriodError(f"the range ends ({last}) before it starts ({first})")
    check_day(first), check_day(last)
    out: list[Period] = []
    current = period_containing(cal, first, grain)
    while current.first <= last:
        if len(out) >= MAX_PERIODS:
            raise PeriodError(f"{first} to {last} spans more than {MAX_PERIODS:,} {grain}s; choose a shorter range")
        out.append(current)
        current = period_containing(cal, current.last + dt.timedelta(days=1), grain)
    return tuple(out)


def custom(cal: Calendar, first: dt.date, last: dt.date) -> Period:
    """One period covering first..last inclusive (a date range)."""
    return make_period(cal, first, last, "custom", f"{first} to {last}")


def parse_period(cal: Calendar, text: str, grain: GrainName = "quarter") -> Period:
    """'2026-Q3', '2026-W47', '2026-11', '2026', 'FY2027-Q1' or a date (the grain's period containing it)."""
    try:
        return _parse_period(cal, text, grain)
    except PeriodError:
        raise
    except (ValueError, OverflowError) as exc:  # month 13, year 0, a date past 9999...
        raise PeriodError(f"{text!r} is not a period: {exc}") from None


def _parse_period(cal: Calendar, text: str, grain: GrainName) -> Period:
    raw = text.strip()
    year_text = re.match(r"^(?:FY)?(\d{4})", raw, re.IGNORECASE)
    if year_text and not EARLIEST_YEAR <= int(year_text.group(1)) <= LATEST_YEAR:
        raise PeriodError(f"{text!r} is outside the years {EARLIEST_YEAR}..{LATEST_YEAR}")
    if _WEEK_LABEL.match(raw):
        return parse_week(cal, raw)
    quarter = re.match(r"^(?:FY)?(\d{4})-?Q([1-4])$", raw, re.IGNORECASE)
    if quarter:
        year, number = int(quarter.group(1)), int(quarter.group(2))
        fiscal_first = dt.date(year if cal.fiscal_year_start == 1 else year - 1, cal.fiscal_year_start, 1)
        return period_containing(cal, _add_months(fiscal_first, 3 * (number - 1)), "quarter")
    month = re.match(r"^(\d{4})-(\d{2})$", raw)
    if month:
        return period_containing(cal, dt.date(int(month.group(1)), int(month.group(2)), 1), "month")
    whole_year = re.match(r"^(?:FY)?(\d{4})$", raw, re.IGNORECASE)
    if whole_year:
        value = int(whole_year.group(1))
        first = dt.date(value if cal.fiscal_year_start == 1 else value - 1, cal.fiscal_year_start, 1)
        return period_containing(cal, first, "year")
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise PeriodError(f"{text!r} is not a period: write 2026-Q3, 2026-W47, 2026-11, 2026 or a date") from None
    return period_containing(cal, check_day(day, repr(text)), grain)


WINDOW_WORDS: dict[str, str] = {
    "week": "the week",
    "4w": "the last 4 weeks",
    "13w": "the last 13 weeks",
    "mtd": "month to date",
    "qtd": "quarter to date",
}
"""How each window reads in a sentence ("win rate over the last 4 weeks")."""


def window_ending(cal: Calendar, window: str, last_week: Period, back: int = 0) -> Period:
    """The window of kind `window` ending with `last_week`, or the one `back` steps earlier.

    week, 4w and 13w step back by their own length; month and quarter to date step back a
    month or quarter and cover the same number of days from its start (never past its end),
    so a quarter to date is compared with the previous quarter at the same point.
    """
    if window == "week":
        return shift_weeks(cal, last_week, -back)
    if window in ("4w", "13w"):
        length = 4 if window == "4w" else 13
        end = shift_weeks(cal, last_week, -length * back)
        begin = shift_weeks(cal, end, -(length - 1))
        tail = end.label[-3:] if begin.label[:4] == end.label[:4] else end.label
        return make_period(cal, begin.first, end.last, "window", f"{begin.label}–{tail}")
    if window in ("mtd", "qtd"):
        grain: GrainName = "month" if window == "mtd" else "quarter"
        current = period_containing(cal, last_week.last, grain)
        elapsed = (last_week.last - current.first).days
        step = 1 if grain == "month" else 3
        first = _add_months(current.first, -step * back)
        whole = period_containing(cal, first, grain)
        last = min(first + dt.timedelta(days=elapsed), whole.last)
        name = whole.label if grain == "quarter" else f"{whole.first:%Y-%m}"
        title = name if last == whole.last else f"{name} to {last:%d %b}"
        return make_period(cal, first, last, "window", title)
    raise PeriodError(f"unknown window {window!r}; use week, 4w, 13w, mtd or qtd")


def windows_ending(cal: Calendar, window: str, last_week: Period, count: int) -> tuple[Period, ...]:
    """`count` windows, oldest first, the newest ending with `last_week`."""
    return tuple(window_ending(cal, window, last_week, back) for back in reversed(range(count)))


def mature_cohort_week(cal: Calendar, window_days: int, last_week: Period) -> Period:
    """The newest cohort week whose every member has had the full `window_days` by the end of `last_week`."""
    latest_start_day = last_week.last - dt.timedelta(days=window_days)
    candidate = week(cal, latest_start_day)
    if candidate.last > latest_start_day:
        candidate = shift_weeks(cal, candidate, -1)
    return candidate
