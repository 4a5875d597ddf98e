"""Notes on a week: stored with author and time, read back, in every export, and never a number."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from scorecard.catalog.load import load_catalog
from scorecard.judge import weekly
from scorecard.language import periods
from scorecard.language.formatting import DEFAULT_LOCALE as USD
from scorecard.present import frames, report
from scorecard.present.charts import export, page, palette, trends
from scorecard.store import notes
from scorecard.store.config import DEFAULT_METRICS, PROJECT_ROOT
from scorecard.store.db import Database
from tests.fixtures import tiny

NOW = dt.datetime(2026, 1, 19, 9, 30)


def test_round_trip_on_every_engine(any_db: Database):
    catalog = load_catalog(DEFAULT_METRICS)
    db = tiny.load(any_db)
    w2, w3 = (periods.parse_week(catalog.calendar, w) for w in ("2026-W02", "2026-W03"))
    a = notes.add(db, catalog.metrics, w3, "  Berlin  trade show\nlanded ", metric="win_rate", author="ana", now=NOW)
    b = notes.add(db, catalog.metrics, w3, "Holiday week", author="ben", now=NOW + dt.timedelta(minutes=1))
    c = notes.add(db, catalog.metrics, w2, "Price list changed", metric="bookings", author="cy", now=NOW)
    assert a.text == "Berlin trade show landed"  # whitespace collapsed
    got = notes.for_weeks(db, [w3])
    assert [(n.id, n.metric, n.text, n.author, n.created_at) for n in got] == [
        (a.id, "win_rate", "Berlin trade show landed", "ana", NOW),
        (b.id, None, "Holiday week", "ben", NOW + dt.timedelta(minutes=1)),
    ]
    assert got[0].week == "2026-W03" and got[0].week_start == dt.date(2026, 1, 12)
    # For one metric: its own notes and the week's, never another metric's.
    assert [n.id for n in notes.for_weeks(db, [w2, w3], metric="bookings")] == [c.id, b.id]
    assert [n.id for n in notes.for_weeks(db, [w2], metric="win_rate")] == []
    assert notes.delete(db, a.id) and not notes.delete(db, a.id)
    assert [n.id for n in notes.for_weeks(db, [w3])] == [b.id]


def test_bad_notes_are_refused_and_nothing_is_stored(make_db):
    catalog = load_catalog(DEFAULT_METRICS)
    db = tiny.load(make_db("sqlite"))
    week = periods.parse_week(catalog.calendar, "2026-W03")
    for text, metric, message in (
        ("   ", None, "needs some text"),
        ("x" * 501, None, "at most 500 characters; this one has 501"),
        ("bell\x07", None, "control characters"),
        ("fine", "win_rat", "unknown metric 'win_rat'"),
    ):
        with pytest.raises(notes.NoteError, match=message):
            notes.add(db, catalog.metrics, week, text, metric=metric)
    assert notes.for_weeks(db, [week]) == []


def test_a_database_without_the_notes_table_reads_as_no_notes(make_db):
    catalog = load_catalog(DEFAULT_METRICS)
    db = tiny.load(make_db("duckdb"))
    with db.writer() as conn:
        conn.exec_driver_sql("DROP TABLE notes")
    week = periods.parse_week(catalog.calendar, "2026-W03")
    assert notes.for_weeks(db, [week]) == [] and notes.all_notes(db) == []
    notes.add(db, catalog.metrics, week, "first note creates the table", author="ana")
    assert [n.text for n in notes.for_weeks(db, [week])] == ["first note creates the table"]


def test_notes_never_change_a_number_and_appear_in_exports(make_db):
    catalog = load_catalog(DEFAULT_METRICS)
    db = tiny.load(make_db("duckdb"))
    week = periods.parse_week(catalog.calendar, "2026-W03")
    before = weekly.build(db, catalog, week)
    version = db.data_version()
    notes.add(db, catalog.metrics, week, "Berlin trade show landed", metric="win_rate", author="ana", now=NOW)
    w2 = periods.parse_week(catalog.calendar, "2026-W02")
    notes.add(db, catalog.metrics, w2, "Quiet start", author="ben", now=NOW)
    notes.add(db, catalog.metrics, week, "Holiday week", author="ben", now=NOW)
    after = weekly.build(db, catalog, week)
    assert [r.as_json() for r in after.rows] == [r.as_json() for r in before.rows]
    assert db.data_version() == version  # cached results stay valid: no number changed
    found = notes.for_weeks(db, periods.weeks_ending(catalog.calendar, week, 12))
    # Text: the week's notes, week notes first.
    text = report.notes_text(after, found)
    assert text.splitlines() == [
        "Notes on 2026-W03",
        "  whole week: Holiday week (ben, 2026-01-19 09:30 UTC)",
        "  Win rate: Berlin trade show landed (ana, 2026-01-19 09:30 UTC)",
    ]
    # CSV: a notes column with the metric's and the week's notes of the week shown.
    import csv
    import io

    rows = {r["metric"]: r for r in csv.DictReader(io.StringIO(report.scorecard_csv(after, found)))}
    assert rows["win_rate"]["notes"] == "Berlin trade show landed | Holiday week"
    assert rows["bookings"]["notes"] == "Holiday week"
    # The one-page figure: the notes listed, and the two noted weeks ringed on the win-rate trend.
    figure = page.scorecard_figure(after, title="t", subtitle="s", notes=found, locale=USD).to_dict()
    texts = [d["text"] for ds in figure["datasets"].values() for d in ds if "text" in d]
    assert "Win rate: Berlin trade show landed (ana, 2026-01-19 09:30 UTC)" in texts
    assert "Whole week: Holiday week (ben, 2026-01-19 09:30 UTC)" in texts
    ring_layers = [layer for layer in figure["layer"] if layer.get("mark", {}).get("color") == palette.NOTE_COLOR]
    assert len(ring_layers) == 1
    ringed = figure["datasets"][ring_layers[0]["data"]["name"]]
    # Every row with a trend gets rings on W02 and W03 (week notes); win rate's W03 also has its own note.
    assert {(p["metric"], p["i"]) for p in ringed if p["metric"] == "win_rate"} == {("win_rate", 10), ("win_rate", 11)}
    figure = page.scorecard_figure(after, title="t", subtitle="s", notes=found, locale=USD)
    assert export.to_png(figure)[:4] == b"\x89PNG"


@pytest.mark.slow  # real processes
def test_note_command_line(tmp_path: Path):
    db_path = tmp_path / "tiny.duckdb"
    tiny.load(Database.open(db_path))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scorecard", *args, "--db", str(db_path)],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            check=False,
        )

    added = run("note", "add", "--week", "2026-W03", "--metric", "win_rate", "--author", "ana", "Berlin", "show")
    assert added.returncode == 0, added.stderr
    note_id = added.stdout.split()[2]
    listed = run("note", "list")
    assert note_id in listed.stdout and "2026-W03  win_rate  Berlin show (ana," in listed.stdout
    payload = json.loads(run("report", "--week", "2026-W03", "--format", "json").stdout)
    win = next(r for r in payload if r["metric"] == "win_rate")
    assert [(n["text"], n["author"], n["metric"]) for n in win["notes"]] == [("Berlin show", "ana", "win_rate")]
    assert next(r for r in payload if r["metric"] == "bookings")["notes"] == []
    bad = run("note", "add", "--metric", "nope", "x")
    assert bad.returncode == 1 and "unknown metric 'nope'" in bad.stderr
    assert run("note", "delete", note_id).returncode == 0
    assert run("note", "list").stdout == ""


def test_note_marks_for_trend_charts(make_db):
    catalog = load_catalog(DEFAULT_METRICS)
    db = tiny.load(make_db("sqlite"))
    w2, w3 = (periods.parse_week(catalog.calendar, w) for w in ("2026-W02", "2026-W03"))
    notes.add(db, catalog.metrics, w2, "Price list changed", metric="bookings", author="ana", now=NOW)
    notes.add(db, catalog.metrics, w3, "Holiday week", author="ben", now=NOW)
    notes.add(db, catalog.metrics, w3, "About win rate only", metric="win_rate", author="cy", now=NOW)
    found = notes.between(db, dt.date(2026, 1, 1), dt.date(2026, 1, 31), "bookings")
    assert [n.text for n in found] == ["Price list changed", "Holiday week"]
    # By month, both weeks start in January: one mark with both notes.
    january = periods.period_containing(catalog.calendar, dt.date(2026, 1, 5), "month")
    february = periods.period_containing(catalog.calendar, dt.date(2026, 2, 5), "month")
    marks = frames.note_marks_frame(found, [january, february])
    assert marks.to_dict("records") == [
        {"start": dt.date(2026, 1, 1), "period": "2026-01", "text": "Price list changed (ana)\nHoliday week (ben)"}
    ]
    chart = trends.trend_chart(
        pd.DataFrame({"period": ["2026-01"], "start": [dt.date(2026, 1, 1)], "value": [1.0], "value_text": ["1"],
                      "n": [1], "low_sample": [False], "mature": [True]}),
        title="Bookings", unit="currency", notes=marks, locale=USD,
    ).to_dict()
    rule = chart["layer"][0]
    assert rule["mark"]["color"] == palette.NOTE_COLOR
    assert chart["datasets"][rule["data"]["name"]][0]["text"] == "Price list changed (ana)\nHoliday week (ben)"
