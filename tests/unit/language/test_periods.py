"""Calendar periods: week labels, week starts, time zones, fiscal quarters."""

from __future__ import annotations

import datetime as dt

import pytest

from scorecard.language import periods as cal
from scorecard.language.settings import Calendar

UTC = Calendar()


def test_iso_weeks_with_monday_start():
    week = cal.parse_week(UTC, "2026-W47")
    assert (week.first, week.last, week.label) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22), "2026-W47")
    assert cal.parse_week(UTC, "2026-11-19") == week
    # ISO week 1 of 2026 starts on Monday 2025-12-29.
    assert cal.parse_week(UTC, "2026-W01").first == dt.date(2025, 12, 29)


def test_sunday_start_weeks_take_the_iso_week_of_their_middle():
    sunday = Calendar(week_start="sunday")
    week = cal.parse_week(sunday, "2026-W48")
    assert (week.first, week.last) == (dt.date(2026, 11, 22), dt.date(2026, 11, 28))
    assert week.label == "2026-W48"
    assert cal.week(sunday, dt.date(2026, 11, 28)) == week


def test_time_zone_gives_utc_bounds_across_daylight_saving():
    ny = Calendar(timezone="America/New_York")
    before = cal.parse_week(ny, "2026-W10")  # Mar 2-8, EST (UTC-5)
    after = cal.parse_week(ny, "2026-W11")  # Mar 9-15, starts after the Mar 8 switch to EDT (UTC-4)
    assert before.start == dt.datetime(2026, 3, 2, 5, 0)
    assert before.end == dt.datetime(2026, 3, 9, 4, 0) == after.start


def test_last_complete_week():
    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)  # a Saturday in W48
    assert cal.last_complete_week(UTC, now).label == "2026-W47"


def test_fiscal_quarters_and_years():
    feb = Calendar(fiscal_year_start=2)
    q = cal.period_containing(feb, dt.date(2026, 11, 15), "quarter")
    assert (q.first, q.last, q.label) == (dt.date(2026, 11, 1), dt.date(2027, 1, 31), "FY2027-Q4")
    assert cal.parse_period(feb, "FY2027-Q1").first == dt.date(2026, 2, 1)
    assert cal.period_containing(feb, dt.date(2026, 1, 15), "year").label == "FY2026"
    assert cal.parse_period(UTC, "2026-Q4").first == dt.date(2026, 10, 1)
    assert [p.label for p in cal.periods_between(UTC, dt.date(2026, 1, 20), dt.date(2026, 4, 2), "month")] == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
    ]


@pytest.mark.parametrize("text", ["2026-W54", "week 3", "2026-Q5"])
def test_bad_periods_say_how_to_write_them(text: str):
    with pytest.raises(cal.PeriodError, match="write|has no week"):
        cal.parse_period(UTC, text)
