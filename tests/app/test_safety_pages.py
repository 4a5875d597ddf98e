"""Hostile addresses, uploads and data on the pages: a notice, never an exception box; data text stays text."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from scorecard.store import model
from scorecard.store.db import Database
from tests.fixtures.dashboard import ROOT, PageRunner

HOSTILE_SOURCE = "![x](http://tracker.invalid/t.png) [click](http://evil.invalid) <img src=x> :red[alarm] $x^2$"


def _escaped_away(markdown: str) -> str:
    """The markdown source with every backslash-escaped character removed: what is left is live markup."""
    return re.sub(r"\\.", "", markdown)


def _live_markup(markdown: str) -> list[str]:
    left = _escaped_away(markdown)
    found = [p for p in ("![", "](", "<img", ":red[", "$x") if p in left]
    if re.search(r"https?://", left):
        found.append("autolink")
    return found


def no_exception(app: AppTest) -> AppTest:
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.mark.usefixtures("dashboard_db")
@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("explore", {"from": "1900-01-01", "to": "9999-12-31"}),
        ("explore", {"from": "0001-01-01", "to": "0001-01-02"}),
        ("explore", {"from": "not-a-date", "grain": "fortnight", "metric": "<script>"}),
        ("lead_quality", {"from": "1900-01-01", "to": "9999-12-31"}),
        ("scorecard", {"week": "9999-W52"}),
        ("scorecard", {"week": "2026-W99", "region": "![x](http://h/t.png)"}),
        ("ranking", {"quarter": "9999-Q4", "peers": "nonsense"}),
        ("definitions", {"metric": "../../etc/passwd"}),
    ],
)
def test_hostile_addresses_show_a_page_not_an_exception(
    open_page: PageRunner, page: str, query: dict[str, str]
) -> None:
    app = no_exception(open_page(page, **query))
    assert not app.error, [e.value for e in app.error]


@pytest.mark.usefixtures("dashboard_db")
def test_dates_outside_the_picker_are_clamped_with_a_notice(open_page: PageRunner) -> None:
    app = no_exception(open_page("explore", **{"from": "1900-01-01", "to": "9999-12-31"}))
    notices = [str(i.value) for i in app.info]
    assert any("The link asked for 1900-01-01 to 9999-12-31" in n for n in notices), notices
    assert app.query_params["from"][0] > "1900-01-01"


@pytest.fixture
def hostile_db(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The session's demo database, copied, with one lead source renamed to markdown that would fetch an image."""
    path = tmp_path / "hostile.duckdb"
    shutil.copy(demo_db, path)
    db = Database.open(path)
    with db.writer() as conn:
        conn.execute(sa.update(model.leads).where(model.leads.c.source == "webinar").values(source=HOSTILE_SOURCE))
    db.dispose()
    monkeypatch.setenv("SCORECARD_DB", str(path))
    monkeypatch.delenv("SCORECARD_METRICS", raising=False)
    return path


@pytest.mark.usefixtures("hostile_db")
@pytest.mark.parametrize("page", ["scorecard", "explore", "lead_quality", "ranking"])
def test_a_filter_value_from_the_data_is_shown_as_text(open_page: PageRunner, page: str) -> None:
    app = no_exception(open_page(page, source=HOSTILE_SOURCE))
    assert HOSTILE_SOURCE in app.session_state["source"], "the hostile value is a real filter option"
    shown = [str(e.value) for kind in ("caption", "info", "warning", "error", "markdown") for e in getattr(app, kind)]
    carrying = [s for s in shown if "tracker" in s]
    if page in ("scorecard", "explore"):
        assert carrying, "the filter is named on the page"
    for text in carrying:
        assert _live_markup(text) == [], text
        assert "tracker.invalid/t.png" in _escaped_away(text).replace("\\", "") or "tracker" in text


def test_escaping_leaves_plain_words_alone() -> None:
    import sys

    sys.path.insert(0, str(ROOT))
    from app.chrome import code
    from app.text import plain

    assert plain("Region: EMEA · Source: trade_show") == "Region: EMEA · Source: trade_show"
    assert _live_markup(plain(HOSTILE_SOURCE)) == []
    assert plain("# big\nsecond line") == "\\# big second line"
    assert plain("1. first") == "1\\. first"
    assert code("a ``b`` c") == "``` a ``b`` c ```"


def _data_page(page_file: str) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("data_page_under_test", page_file)
    assert spec is not None and spec.loader is not None
    page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(page)
    page.auth.gate()  # as the dashboard does before every page: here local mode, one admin
    page.render()


@pytest.mark.parametrize(
    ("mapping", "words"),
    [
        (b"version: 1\nsources: &s [*s]\n", "evil.yaml:2: recursive alias"),
        (
            b'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
            + b"".join(
                f"a{i}: &a{i} [{','.join(['*a' if i == 0 else f'*a{i - 1}'] * 9)}]\n".encode() for i in range(8)
            ),
            "alias bomb",
        ),
        (b"\xff\xfe not utf-8 \x80", "not UTF-8 text"),
        (b"", "evil.yaml:1: the file is empty"),
    ],
)
def test_a_hostile_mapping_upload_is_a_notice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mapping: bytes, words: str
) -> None:
    monkeypatch.setenv("SCORECARD_DB", str(tmp_path / "x.duckdb"))
    app = AppTest.from_function(_data_page, args=(str(ROOT / "app" / "data_page.py"),), default_timeout=60)
    app.run()
    app.file_uploader(key="data_files_0").set_value([("leads.csv", b"Lead ID\nL1\n", "text/csv")])
    app.radio(key="data_mapping_kind").set_value("My mapping file")
    app.run()
    uploader = next(u for u in app.get("file_uploader") if u.key == "data_mapping_file")
    uploader.set_value([("evil.yaml", mapping, "application/x-yaml")])
    app.run(timeout=20)
    no_exception(app)
    errors = " ".join(str(e.value) for e in app.error)
    assert words in errors, errors
