"""The weekly meeting on the dashboard (AppTest): drivers under the cards, notes added and shown,
CSV and XLSX under every table, note marks on Explore's trend."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scorecard.catalog.load import Catalog, load_catalog
from scorecard.engine.runner import Runner
from scorecard.judge import drivers, weekly
from scorecard.judge.coverage import coverage
from scorecard.language import periods
from scorecard.language.formatting import DEFAULT_LOCALE as USD
from scorecard.present.charts import palette, trends
from scorecard.store import notes
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database
from tests.fixtures.dashboard import PageRunner


def ok(app: AppTest) -> AppTest:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def captions(app: AppTest) -> list[str]:
    return [str(c.value) for c in app.caption]


@pytest.fixture
def own_db(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the session's demo database that this test may write notes into."""
    path = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, path)
    monkeypatch.setenv("SCORECARD_DB", str(path))
    monkeypatch.delenv("SCORECARD_METRICS", raising=False)
    return path


def _lines_by_source(db: Database, catalog: Catalog, card: weekly.Scorecard) -> tuple[list[str], list[str]]:
    """The drivers lines by lead source of the card's changes: those beyond their noise, those within."""
    beyond, within = [], []
    for row in card.rows:
        movement = drivers.decompose(Runner(db, catalog), catalog, row.metric, card.week, "source")
        if not movement.decomposed or not movement.change:
            continue
        line = "By lead source: " + drivers.drivers_line(movement, row.format, locale=USD).split(": ", 1)[1]
        (beyond if row.significant else within).append(line)
    return beyond, within


def test_cards_name_their_drivers(own_db: Path, open_page: PageRunner) -> None:
    """A card names the drivers of its change only when the change is larger than its noise: a
    change within noise has no drivers worth naming, so the card says nothing about them."""
    catalog = load_catalog(DEFAULT_METRICS)
    db = Database.open(own_db)
    latest = coverage(db, catalog).last_week
    for back in range(12):  # the newest week with a change beyond its noise (the small demo has few)
        week = periods.shift_weeks(catalog.calendar, latest, -back)
        card = weekly.build(db, catalog, week)
        expected, quiet = _lines_by_source(db, catalog, card)
        if expected and quiet:
            break
    assert expected and quiet, "twelve weeks of the demo without both kinds of change"
    app = ok(open_page("scorecard", moved_by="source", week=week.label))
    assert app.selectbox(key="moved_by").value == "source" and app.query_params["moved_by"] == "source"
    shown = [c.replace("\\", "") for c in captions(app) if c.startswith("By lead source: ")]
    assert sorted(shown) == sorted(expected)
    assert not set(quiet) & set(shown)
    moved_buttons = [b.key for b in app.button if b.key and b.key.startswith("moved_")]
    assert moved_buttons and all(card.row(k.removeprefix("moved_")).significant for k in moved_buttons)


def test_a_note_added_on_the_page_is_stored_and_shown(own_db: Path, open_page: PageRunner) -> None:
    app = ok(open_page("scorecard"))
    week = app.selectbox(key="week_picker").value
    app.selectbox[-1].select("win_rate")
    app.text_area[0].input("Berlin *trade* show [landed](http://x)")
    app.button[[b.label for b in app.button].index("Add note")].click()
    app = ok(app.run())
    stored = notes.for_weeks(Database.open(own_db), [periods.parse_week(load_catalog(DEFAULT_METRICS).calendar, week)])
    assert [(n.metric, n.text, n.author) for n in stored] == [
        ("win_rate", "Berlin *trade* show [landed](http://x)", notes.default_author())
    ]
    # Shown as typed through app.text.plain: markdown characters escaped, the address broken by a word
    # joiner, so nothing becomes bold or a link.
    shown = [c for c in captions(app) if "Berlin" in c]
    expected = ":material/edit_note: Berlin \\*trade\\* show \\[landed\\](http:/\u2060/x) — "
    assert shown == [expected + notes.default_author()]


def test_an_empty_note_is_refused_on_the_page(own_db: Path, open_page: PageRunner) -> None:
    app = ok(open_page("scorecard"))
    app.text_area[0].input("   ")
    app.button[[b.label for b in app.button].index("Add note")].click()
    app = app.run()
    assert [e.value for e in app.error] == ["The note was not added: a note needs some text"]
    assert notes.all_notes(Database.open(own_db)) == []


def test_every_table_downloads_as_csv_and_xlsx(own_db: Path, open_page: PageRunner) -> None:
    for page in ("explore", "ranking", "lead-quality", "definitions", "data"):
        app = ok(open_page(page))
        labels = [b.label for b in app.get("download_button")]
        assert labels.count("CSV") == labels.count("XLSX") == len(app.dataframe) >= 1, (page, labels)


def test_explore_marks_weeks_with_notes(own_db: Path, open_page: PageRunner) -> None:
    catalog = load_catalog(DEFAULT_METRICS)
    db = Database.open(own_db)
    week = periods.last_complete_week(catalog.calendar)
    notes.add(db, catalog.metrics, week, "Price list changed", metric="bookings", author="ana")
    notes.add(db, catalog.metrics, week, "About win rate only", metric="win_rate", author="ana")
    app = ok(open_page("explore", metric="bookings"))
    spec = app.get("vega_lite_chart")[0].proto.spec
    assert palette.NOTE_COLOR in spec  # the data itself travels beside the spec; see tests/test_notes.py
    assert "Violet dotted lines: 1 week(s) with notes; point at one to read them." in captions(app)


def test_card_sparklines_mark_weeks_with_notes(own_db: Path, open_page: PageRunner) -> None:
    catalog = load_catalog(DEFAULT_METRICS)
    db = Database.open(own_db)
    shown = periods.last_complete_week(catalog.calendar)
    earlier = periods.weeks_ending(catalog.calendar, shown, 3)[0]  # two weeks before the card's week
    notes.add(db, catalog.metrics, earlier, "Price list changed", metric="bookings", author="ana")
    db.dispose()
    app = ok(open_page("scorecard"))
    specs = [c.proto.spec for c in app.get("vega_lite_chart")]
    marked = [s for s in specs if palette.NOTE_COLOR in s]
    assert len(marked) == 1, "only the bookings card's sparkline carries the note's mark"
    week = earlier.label.split("-")[-1]
    assert f":material/edit_note: Notes in the trend (violet marks): {week}" in captions(app)


def test_sparkline_draws_a_rule_at_each_noted_week() -> None:
    chart = trends.sparkline([1.0, None, 3.0, 4.0], notes={1: "2026-W02: Berlin (ana)"})
    rules = [layer for layer in chart["layer"] if layer["mark"]["type"] == "rule"]
    assert len(rules) == 1 and rules[0]["mark"]["color"] == palette.NOTE_COLOR
    data = chart["datasets"][rules[0]["data"]["name"]]
    assert data == [{"i": 1, "text": "2026-W02: Berlin (ana)"}]
    assert not [layer for layer in trends.sparkline([1.0, 2.0])["layer"] if layer["mark"]["type"] == "rule"]
