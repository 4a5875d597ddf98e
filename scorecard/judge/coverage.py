"""Where the data is: the first and last day of the events the catalog's metrics read,
and the weeks and quarters that have data.

Every surface opens on the last complete week (or quarter) that has data, so an export
that ended years ago opens where its numbers are ("data ends 2017-12-31; showing
2017-W52") instead of on an empty current week; and a week after the last complete week
or before the first row is refused with the range the data covers.

The days come from the time anchors of the catalog's metrics (created_at, closed_at,
occurred_at...): one MIN/MAX per anchor column, which every engine answers from an
index or zone map. Spreads and plain dates (quota periods, campaign spans and ends,
expected close dates) do not count: a quota set for next year is not data about next year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from scorecard.catalog.load import Catalog
from scorecard.language import expressions as ex
from scorecard.language import periods as cal
from scorecard.language.settings import Calendar
from scorecard.sql.compiler import Compiler
from scorecard.sql.resolve import CompileError
from scorecard.store import model
from scorecard.store.db import Database

WEEKS_OFFERED = 520
"""At most this many weeks in a picker (ten years)."""


class OutsideData(ValueError):
    """A week or period the data does not cover; the message says which range it does."""


@dataclass(frozen=True)
class Coverage:
    """The local days the data covers, in the catalog's calendar, as seen on `today`."""

    calendar: Calendar
    first_day: dt.date | None
    last_day: dt.date | None
    today: dt.date

    @property
    def empty(self) -> bool:
        return self.first_day is None or self.last_day is None

    # weeks ---------------------------------------------------------------------------------
    @property
    def calendar_week(self) -> cal.Period:
        """The last complete week by the calendar alone."""
        return cal.shift_weeks(self.calendar, cal.week(self.calendar, self.today), -1)

    @property
    def last_week(self) -> cal.Period:
        """The last complete week that has data: the week of the last data day if it has
        ended, else the last complete week (data up to today)."""
        latest = self.calendar_week
        if self.last_day is None:
            return latest
        own = cal.week(self.calendar, self.last_day)
        return own if own.first < latest.first else latest

    @property
    def first_week(self) -> cal.Period:
        return cal.week(self.calendar, self.first_day) if self.first_day is not None else self.last_week

    @property
    def ends_early(self) -> bool:
        """True when the data stops before the last complete week."""
        return not self.empty and self.last_week.first < self.calendar_week.first

    def weeks(self) -> list[cal.Period]:
        """The weeks the data covers, newest first (what a week picker offers)."""
        out = [self.last_week]
        while len(out) < WEEKS_OFFERED and out[-1].first > self.first_week.first:
            out.append(cal.shift_weeks(self.calendar, out[-1], -1))
        return out

    def note(self, shown: cal.Period | None = None) -> str | None:
        """'data ends 2017-12-31; showing 2017-W52' when the data stops early, else None."""
        if not self.ends_early:
            return None
        return f"data ends {self.last_day}; showing {(shown or self.last_week).label}"

    def span(self) -> str:
        if self.empty:
            return "the database holds no dated rows"
        return (
            f"the data covers {self.first_day} to {self.last_day} "
            f"(weeks {self.first_week.label} to {self.last_week.label})"
        )

    def check_week(self, week: cal.Period) -> None:
        """Raise OutsideData for a week after the last complete week or before the first row."""
        if self.empty:
            return
        if week.first > self.last_week.first:
            after = "after the last complete week" if not self.ends_early else "after the data ends"
            raise OutsideData(f"{week.label} is {after}: {self.span()}")
        if self.first_day is not None and week.last < self.first_day:
            raise OutsideData(f"{week.label} is before the first row: {self.span()}")

    def nearest_week(self, week: cal.Period) -> cal.Period:
        """The covered week closest to `week`."""
        if week.first > self.last_week.first:
            return self.last_week
        if week.first < self.first_week.first:
            return self.first_week
        return week

    # quarters and other periods --------------------------------------------------------------
    def quarters(self) -> list[cal.Period]:
        """Quarters that have data, newest first; the current quarter (to date) when data reaches it."""
        newest = cal.period_containing(self.calendar, min(self.last_day or self.today, self.today), "quarter")
        oldest = cal.period_containing(self.calendar, self.first_day or newest.first, "quarter")
        out = [newest]
        while out[-1].first > oldest.first and len(out) < 80:
            out.append(cal.period_containing(self.calendar, out[-1].first - dt.timedelta(days=1), "quarter"))
        return out

    @property
    def last_quarter(self) -> cal.Period:
        """The last complete quarter that has data: the newest covered quarter that has ended."""
        for quarter in self.quarters():
            if quarter.last < self.today:
                return quarter
        current = cal.period_containing(self.calendar, self.today, "quarter")
        return cal.period_containing(self.calendar, current.first - dt.timedelta(days=1), "quarter")

    def check_period(self, period: cal.Period) -> None:
        """Raise OutsideData for a period that holds no day of the data."""
        if self.empty or self.first_day is None or self.last_day is None:
            return
        if period.first > self.last_day:
            raise OutsideData(f"{period.label} starts after the data ends: {self.span()}")
        if period.last < self.first_day:
            raise OutsideData(f"{period.label} ends before the first row: {self.span()}")

    @property
    def now(self) -> dt.datetime:
        """The instant surfaces should treat as 'now': the end of the last week with data when
        the data stops early (so 'the last complete week' is that week), else the real now."""
        if self.ends_early:
            return self.last_week.end.replace(tzinfo=dt.UTC)
        return dt.datetime.combine(self.today, dt.time(12), tzinfo=ZoneInfo(self.calendar.timezone))


def anchor_columns(catalog: Catalog) -> list[tuple[str, str]]:
    """(table, column) of every point or open time anchor the catalog's metrics use, in order."""
    compiler = Compiler(catalog)
    found: dict[tuple[str, str], None] = {}
    for metric in catalog.metrics.values():
        try:
            sides = compiler.sides(metric)
        except CompileError:  # derived and rank metrics read other metrics
            continue
        for side in sides:
            time = side.time
            if time.kind == "spread" or not isinstance(time.first, ex.Name):
                continue
            column = _column(side.table, time.first.parts)
            if column is not None:
                found[column] = None
    return list(found)


def _column(table: str, parts: tuple[str, ...]) -> tuple[str, str] | None:
    if len(parts) == 1:
        target, name = table, parts[0]
    elif len(parts) == 2 and parts[0] in model.TABLES:
        target, name = parts
    else:
        return None  # reached through a relationship: that table's own anchors count
    columns = model.TABLES[target].c
    # Timestamps record events; plain dates are plans (a campaign's end, a deal's expected close),
    # which, like quota periods, say nothing about how far the data reaches.
    if name in columns and isinstance(columns[name].type, sa.DateTime):
        return target, name
    return None


def coverage(db: Database, catalog: Catalog, now: dt.datetime | None = None) -> Coverage:
    """The days the data covers (one MIN/MAX statement per anchor column)."""
    calendar = catalog.calendar
    today = cal.today(calendar, now)
    columns = anchor_columns(catalog)
    lows: list[dt.datetime | dt.date] = []
    highs: list[dt.datetime | dt.date] = []
    if db.exists() and columns:
        with db.engine().connect() as conn:
            for table, column in columns:
                c = model.TABLES[table].c[column]
                low, high = conn.execute(sa.select(sa.func.min(c), sa.func.max(c))).one()
                lows += [v for v in (low,) if v is not None]
                highs += [v for v in (high,) if v is not None]
    zone = ZoneInfo(calendar.timezone)
    first = min(_days(lows, zone), default=None)
    last = max(_days(highs, zone), default=None)
    if last is not None:
        last = min(last, today)
    if first is not None and last is not None and first > last:
        first = last
    return Coverage(calendar, first, last, today)


def _days(values: Iterable[dt.datetime | dt.date | str], zone: ZoneInfo) -> list[dt.date]:
    """Local days of naive UTC instants (SQLite returns text; dates stay dates)."""
    out: list[dt.date] = []
    for value in values:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            out.append(value.replace(tzinfo=dt.UTC).astimezone(zone).date())
        else:
            out.append(value)
    return out
