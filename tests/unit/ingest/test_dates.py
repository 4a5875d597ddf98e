"""Dates are dates: a value with no time of day is a calendar day in the catalog's time
zone, whatever zone the mapping reads times in; day differences between two such values
are whole days in every zone, daylight saving included; a date falls in its own week.

tests/fixtures/ingest/dates/deals_dates.csv, worked by hand (the mapping reads times in
Asia/Kolkata, which must not move a date):
  D1 2017-03-01 -> 2017-04-28: 58 days. Crosses US DST (Mar 12) and EU DST (Mar 26): in
     New York the two local midnights are 58 d - 1 h apart as instants (57.958 d).
  D2 2017-10-02 -> 2017-11-20: 49 days. Crosses EU (Oct 29) and US (Nov 5) fall-back:
     49 d + 1 h apart as instants (49.042 d) in New York and Berlin.
  D3 2017-04-03 -> 2017-04-17: 14 days, no change of clocks.
  D4 lost, closed Sunday 2017-03-05: week 2017-W09 (Feb 27 - Mar 5).
  D5 won, closed Monday 2017-03-06: week 2017-W10 (Mar 6 - 12). Midnight in Berlin is
     23:00 UTC the day before, so read as UTC-based instants it would slip into W09.
Win rate: W09 = 0 of 1 closed (0.0), W10 = 1 of 1 (1.0), in every zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from scorecard.catalog.load import Catalog, check_text
from scorecard.engine.runner import Runner
from scorecard.ingest import SourceFile, load_mapping, run_import
from scorecard.ingest.parse import parse_datetime
from scorecard.language import periods
from scorecard.sql.query import Query
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database
from tests.conftest import ENGINES

from .helpers import FIXTURES, rows

ZONES = ("America/New_York", "Europe/Berlin", "Asia/Tokyo")
FOLDER = FIXTURES / "dates"

# The UTC instant at which local 2017-03-01 begins, by zone (New York is UTC-5 in March,
# Berlin UTC+1, Tokyo UTC+9).
MARCH_FIRST_UTC = {
    "America/New_York": dt.datetime(2017, 3, 1, 5, 0),
    "Europe/Berlin": dt.datetime(2017, 2, 28, 23, 0),
    "Asia/Tokyo": dt.datetime(2017, 2, 28, 15, 0),
}


CLOSES = (dt.date(2017, 4, 28), dt.date(2017, 11, 20), dt.date(2017, 4, 17))


def catalog_in(zone: str) -> Catalog:
    text = DEFAULT_METRICS.read_text(encoding="utf-8").replace("timezone: UTC", f"timezone: {zone}", 1)
    catalog, issues = check_text(text)
    assert catalog is not None, issues
    assert catalog.calendar.timezone == zone
    return catalog


def import_dates(db: Database, zone: str) -> None:
    mapping = load_mapping(FOLDER / "mapping.yaml").for_calendar(zone)
    result = run_import(db, [SourceFile.from_path(FOLDER / "deals_dates.csv")], mapping)
    assert result.plan.quarantined == 0
    assert result.plan.accepted == 5


@pytest.mark.parametrize("zone", ZONES)
def test_a_date_becomes_the_start_of_that_day_in_the_catalog_zone(zone: str) -> None:
    text = pd.Series(["2017-03-01", "2017-03-01 10:00", "03/01/2017"])
    parsed = parse_datetime(text, timezone="Asia/Kolkata", date_zone=zone)
    values = list(parsed.values)
    assert values[0] == MARCH_FIRST_UTC[zone]
    assert values[2] == MARCH_FIRST_UTC[zone]
    # A time of day is read in the mapping's zone: 10:00 in Kolkata (UTC+5:30) is 04:30 UTC.
    assert values[1] == dt.datetime(2017, 3, 1, 4, 30)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("zone", ZONES)
def test_cycle_days_are_whole_days_and_dates_stay_in_their_week(
    zone: str, engine: str, make_db: Callable[[str], Database]
) -> None:
    db = make_db(engine)
    import_dates(db, zone)
    stored = dict(rows(db, "opportunities", "id", "created_at"))
    assert stored["D1"] == MARCH_FIRST_UTC[zone]
    catalog = catalog_in(zone)
    cal = catalog.calendar
    runner = Runner(db, catalog)
    close_weeks = [periods.week(cal, dt.date(2017, d.month, d.day)) for d in CLOSES]
    cycles = runner.run("cycle_days_median", Query.build(sorted(close_weeks)))
    by_week = {p: v for p, v in zip(cycles["period"], cycles["value"], strict=True)}
    assert by_week[dt.date(2017, 4, 24)] == 58.0  # D1, closed Friday 2017-04-28 (week of Monday Apr 24)
    assert by_week[dt.date(2017, 11, 20)] == 49.0  # D2
    assert by_week[dt.date(2017, 4, 17)] == 14.0  # D3
    whole_year = periods.custom(cal, dt.date(2017, 1, 1), dt.date(2017, 12, 31))
    median = runner.run("cycle_days_median", Query.build([whole_year]))
    # D1 58, D2 49, D3 14, D5 7 (Feb 27 -> Mar 6): median of four = (14 + 49) / 2 = 31.5
    assert median["value"].iloc[0] == 31.5
    w09, w10 = periods.parse_week(cal, "2017-W09"), periods.parse_week(cal, "2017-W10")
    win = runner.run("win_rate", Query.build([w09, w10]))
    assert list(win["value"]) == [0.0, 1.0]
    assert list(win["n"]) == [1, 1]


def test_cli_import_reads_dates_in_the_catalog_zone(tmp_path: Path) -> None:
    from scorecard.cli.main import main

    metrics = tmp_path / "metrics.yaml"
    metrics.write_text(
        DEFAULT_METRICS.read_text(encoding="utf-8").replace("timezone: UTC", "timezone: Europe/Berlin", 1)
    )
    target = tmp_path / "dates.duckdb"
    code = main(
        [
            "import",
            "--db",
            str(target),
            "--metrics",
            str(metrics),
            "--mapping",
            str(FOLDER / "mapping.yaml"),
            str(FOLDER / "deals_dates.csv"),
        ]
    )
    assert code == 0
    stored = dict(rows(Database.open(target), "opportunities", "id", "created_at"))
    assert stored["D1"] == MARCH_FIRST_UTC["Europe/Berlin"]
