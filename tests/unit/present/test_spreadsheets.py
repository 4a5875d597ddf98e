"""Spreadsheets: XLSX read back with openpyxl cell by cell; CSV with the shown headers."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from scorecard.catalog.load import load_catalog
from scorecard.engine.runner import Runner
from scorecard.judge import drivers, weekly
from scorecard.language import periods
from scorecard.language.formatting import DEFAULT_LOCALE as USD
from scorecard.present import spreadsheets
from scorecard.store import notes
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database
from tests.fixtures import tiny

COLUMNS = [("group", "Region", None), ("rate", "Win rate", "percent"), ("amount", "Bookings", "currency"),
           ("n", "Closed deals", "count"), ("hours", "Speed", "hours")]  # fmt: skip


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": ["EMEA", "NA", "APAC"],
            "rate": [2 / 3, 0.5, float("nan")],
            "amount": [8000.0, 1000.0, None],
            "n": pd.array([3, 2, 0], dtype="int64"),
            "hours": [1.5, 30.0, None],
            "hidden": ["not", "shown", "here"],
        }
    )


def test_table_xlsx_keeps_numbers_as_numbers():
    book = load_workbook(io.BytesIO(spreadsheets.table_xlsx(_frame(), COLUMNS, title="Win rate by region")))
    assert book.sheetnames == ["Win rate by region"]
    ws = book.active
    assert [c.value for c in ws[1]] == ["Region", "Win rate", "Bookings", "Closed deals", "Speed"]
    assert [c.value for c in ws[2]] == ["EMEA", pytest.approx(2 / 3), 8000, 3, 1.5]
    assert [c.value for c in ws[3]] == ["NA", 0.5, 1000, 2, 30]
    assert [c.value for c in ws[4]] == ["APAC", None, None, 0, None]  # missing stays empty, never 0 or "nan"
    assert (ws["B2"].number_format, ws["C2"].number_format, ws["D2"].number_format) == ("0.0%", '"$"#,##0', "#,##0")
    assert ws["E2"].number_format == '#,##0.0" h"' and ws["A2"].number_format == "General"
    assert ws.max_row == 4 and ws.max_column == 5 and ws.freeze_panes == "A2" and ws["A1"].font.b


def test_table_csv():
    text = spreadsheets.table_csv(_frame(), COLUMNS)
    assert text.splitlines() == [
        "Region,Win rate,Bookings,Closed deals,Speed",
        "EMEA,0.6666666667,8000,3,1.5",
        "NA,0.5,1000,2,30",
        "APAC,,,0,",
    ]


def test_text_from_data_never_runs_as_a_formula():
    frame = pd.DataFrame({"group": ["=HYPERLINK(\"http://x\")", "-5"], "n": [1, 2]})
    columns = [("group", "Campaign", None), ("n", "Leads", "count")]
    ws = load_workbook(io.BytesIO(spreadsheets.table_xlsx(frame, columns))).active
    assert (ws["A2"].value, ws["A2"].data_type) == ('=HYPERLINK("http://x")', "s")
    assert spreadsheets.table_csv(frame, columns).splitlines()[1:] == ['"\'=HYPERLINK(""http://x"")",1', "-5,2"]


def test_sheet_names_are_valid_and_unique():
    sheets = [
        spreadsheets.Sheet("What: both/own [x]?", ("a",), ((1,),)),
        spreadsheets.Sheet("What  both own  x", ("a",), ((2,),)),
    ]
    book = load_workbook(io.BytesIO(spreadsheets.workbook(sheets)))
    assert book.sheetnames == ["What  both own  x", "What  both own  x (2)"]


def test_scorecard_workbook_cell_by_cell(make_db):
    catalog = load_catalog(DEFAULT_METRICS)
    db: Database = tiny.load(make_db("duckdb"))
    week = periods.parse_week(catalog.calendar, "2026-W03")
    written = dt.datetime(2026, 1, 19, 8, 0)
    notes.add(db, catalog.metrics, week, "Two big EMEA wins", metric="bookings", author="ana", now=written)
    notes.add(db, catalog.metrics, week, "Holiday week", author="ben", now=written)
    card = weekly.build(db, catalog, week)
    movements = {
        m: by["region"] for m, by in drivers.for_scorecard(db, catalog, week, ["bookings", "win_rate"]).items()
    }
    found = notes.for_weeks(db, [week])
    book = load_workbook(io.BytesIO(spreadsheets.scorecard_xlsx(card, found, movements, locale=USD)))
    assert book.sheetnames == [
        "What marketing hands over",
        "What sales does with it",
        "What both own",
        "Notes",
        "About",
    ]
    weeks = [f"2025-W{n}" for n in range(46, 53)] + [f"2026-W0{n}" for n in range(1, 4)]
    assert len(weeks) == 10
    shared = book["What both own"]
    header = [c.value for c in shared[1]]
    assert header[:10] == list(spreadsheets.SCORECARD_HEADER)
    assert header[10:22] == ["2025-W44", "2025-W45", *weeks] and header[22:] == ["What moved", "Notes"]
    rows = {r[0].value: r for r in shared.iter_rows(min_row=2)}
    bookings = [c.value for c in rows["Bookings"]]
    # Won O1 1000 (NA) in W02; O2 5000 + O5 3000 (EMEA) in W03; nothing won before 2026.
    assert bookings[:10] == ["Bookings", "both", 8000, 1000, 7000, None, "none", 2, False, None]
    assert bookings[10:22] == [0] * 10 + [1000, 8000]
    # +7000 on three deals is within noise (sd sqrt(1000^2 + 5000^2 + 3000^2) = 5916, z = 1.18):
    # no drivers named, as on the cards and in the e-mail.
    assert bookings[22] == "within noise"
    assert bookings[23] == "Two big EMEA wins | Holiday week"
    cells = rows["Bookings"]
    assert cells[2].number_format == '"$"#,##0' and cells[21].number_format == '"$"#,##0'
    assert cells[4].number_format.startswith('+"$"#,##0') and cells[7].number_format == "#,##0"
    # Quota attainment is a percent: stored as a fraction with a percent format, its change in points.
    attainment = rows["Quota attainment"]
    assert attainment[2].number_format == "0.0%" and attainment[4].number_format.startswith('+0.0" pts"')
    sales = {r[0].value: [c.value for c in r] for r in book["What sales does with it"].iter_rows(min_row=2)}
    # Win rate: W02 1 won of 2 closed, W03 2 of 3; +16.7 pts; 3 closes < 10: low sample, so not judged
    # (no status) although 2/3 is above the 30% target.
    win = sales["Win rate"]
    assert win[2:10] == [pytest.approx(2 / 3), 0.5, pytest.approx(100 / 6), 0.3, "none", 3, True, None]
    assert win[23] == "Holiday week"
    notes_sheet = [[c.value for c in r] for r in book["Notes"].iter_rows()]
    assert notes_sheet == [
        ["Week", "About", "Note", "Author", "Written (UTC)"],
        ["2026-W03", "whole week", "Holiday week", "ben", written],
        ["2026-W03", "Bookings", "Two big EMEA wins", "ana", written],
    ]
    about = {r[0].value: r[1].value for r in book["About"].iter_rows(min_row=2)}
    assert about["Week"] == "2026-W03" and about["First day"] == dt.datetime(2026, 1, 12) and about["Filters"] == "none"


def test_runner_is_reused(make_db):
    """Drivers for a whole scorecard share the ungrouped statement per metric across dimensions."""
    catalog = load_catalog(DEFAULT_METRICS)
    db = tiny.load(make_db("duckdb"))
    week = periods.parse_week(catalog.calendar, "2026-W03")
    runner = Runner(db, catalog)
    drivers.for_scorecard(db, catalog, week, ["bookings"], ["region", "product"], runner=runner)
    assert runner.statements_run == 3  # ungrouped once, by region, by product
