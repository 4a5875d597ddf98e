"""Where the data is: defaults open on the last complete week/quarter that has data, and
weeks outside the data are refused with the range it covers.

tests/fixtures/tiny.py, by hand: the earliest time anchor is O5's created_at 2025-12-01
(Monday, week 2025-W49), the latest O3's closed_at 2026-01-16 (Friday, 2026-W03).
tests/fixtures/ingest/dates/deals_dates.csv (imported in UTC): earliest created_at
2017-02-27 (2017-W09), latest closed_at 2017-11-20 (Monday, 2017-W47; Q4 2017).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from scorecard.catalog.load import load_catalog
from scorecard.cli.main import main
from scorecard.judge.coverage import OutsideData, coverage
from scorecard.language import periods
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database
from tests.fixtures import tiny

CATALOG = load_catalog(DEFAULT_METRICS)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "dates"


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    return tiny.load(Database.open(tmp_path_factory.mktemp("coverage") / "tiny.duckdb"))


@pytest.fixture(scope="module")
def old_data(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Deals from 2017 only: data that ends years before today."""
    target = tmp_path_factory.mktemp("old") / "old.duckdb"
    assert (
        main(
            [
                "import",
                "--db",
                str(target),
                "--mapping",
                str(FIXTURES / "mapping.yaml"),
                str(FIXTURES / "deals_dates.csv"),
            ]
        )
        == 0
    )
    return str(target)


def test_data_up_to_last_week_opens_on_the_last_complete_week(tiny_db: Database) -> None:
    covered = coverage(tiny_db, CATALOG, now=dt.datetime(2026, 1, 19, 9))  # Monday of W04
    assert (covered.first_day, covered.last_day) == (dt.date(2025, 12, 1), dt.date(2026, 1, 16))
    assert covered.last_week.label == "2026-W03" and not covered.ends_early and covered.note() is None
    assert [w.label for w in covered.weeks()] == [f"2026-W0{n}" for n in (3, 2, 1)] + [
        "2025-W52",
        "2025-W51",
        "2025-W50",
        "2025-W49",
    ]
    covered.check_week(periods.parse_week(CATALOG.calendar, "2026-W03"))
    with pytest.raises(
        OutsideData,
        match=r"^2026-W04 is after the last complete week: the data covers 2025-12-01 "
        r"to 2026-01-16 \(weeks 2025-W49 to 2026-W03\)$",
    ):
        covered.check_week(periods.parse_week(CATALOG.calendar, "2026-W04"))
    with pytest.raises(OutsideData, match=r"^2025-W48 is before the first row"):
        covered.check_week(periods.parse_week(CATALOG.calendar, "2025-W48"))
    assert covered.last_quarter.label == "2025-Q4"  # 2026-Q1 is in progress


def test_data_that_ended_long_ago_opens_where_it_ends(tiny_db: Database) -> None:
    covered = coverage(tiny_db, CATALOG, now=dt.datetime(2026, 11, 30, 9))
    assert covered.ends_early
    assert covered.last_week.label == "2026-W03"
    assert covered.note() == "data ends 2026-01-16; showing 2026-W03"
    assert covered.last_quarter.label == "2026-Q1"  # ended, and it holds the last data day
    assert [q.label for q in covered.quarters()] == ["2026-Q1", "2025-Q4"]
    later = periods.parse_week(CATALOG.calendar, "2026-W30")
    assert covered.nearest_week(later).label == "2026-W03"
    with pytest.raises(OutsideData, match="^2026-W30 is after the data ends"):
        covered.check_week(later)
    # "now" for the pages: the end of the last week with data, so their defaults land there
    assert periods.last_complete_week(CATALOG.calendar, covered.now).label == "2026-W03"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_and_ranking_open_where_the_data_is(old_data: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "report", "--db", old_data, "--format", "json")
    assert code == 0
    assert err.strip() == "note: data ends 2017-11-20; showing 2017-W47 (give --week to choose)"
    assert '"week": "2017-W47"' in out
    code, out, err = _run(capsys, "ranking", "--db", old_data, "--format", "csv")
    assert code == 0
    assert err.splitlines() == [  # 2017 deals only: no quotas, no activities
        "note: data ends 2017-11-20; showing 2017-Q4 (give --period to choose)",
        "note: ranked on bookings: no rep has a value of quota attainment in 2017-Q4",
        "note: no rep in this data has a region, so peer groups leave it out",
        "note: no rep in this data has a rep segment, so peer groups leave it out",
        "note: no rep in this data has a hire date, so tenure is unknown and new reps cannot be flagged",
        "note: no activities logged in 2017-Q4, so the minimum of 20 is not applied",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["report", "--week", "2027-W05"],
            "error: --week: 2027-W05 is after the data ends: the data covers "
            "2017-02-27 to 2017-11-20 (weeks 2017-W09 to 2017-W47)",
        ),
        (
            ["report", "--week", "2017-W08"],
            "error: --week: 2017-W08 is before the first row: the data covers "
            "2017-02-27 to 2017-11-20 (weeks 2017-W09 to 2017-W47)",
        ),
        (
            ["ranking", "--period", "2019-Q1"],
            "error: --period: 2019-Q1 starts after the data ends: the data covers "
            "2017-02-27 to 2017-11-20 (weeks 2017-W09 to 2017-W47)",
        ),
    ],
)
def test_periods_outside_the_data_are_refused(
    old_data: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = _run(capsys, *argv, "--db", old_data)
    assert (code, out, err.strip()) == (1, "", message)
