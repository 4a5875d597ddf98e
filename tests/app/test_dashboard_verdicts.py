"""No card shows green, amber or red on data that cannot support it: AppTest and headless Chromium
on an export with only won deals, no activities and no quotas; unmatched filters; windows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_helpers import PageRunner
from streamlit.testing.v1 import AppTest
from test_dashboard_browser import OUTPUT, _settle, chromium, serve

from scorecard.catalog.load import load_catalog
from scorecard.judge import readiness, weekly
from scorecard.language import periods
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database
from tests.fixtures import tiny

WEEK = "2026-W03"
VERDICT_BADGE = re.compile(r"^:(green|orange|red|gray)-badge\[(?::material/\w+: )?(.+)\]$")


@pytest.fixture(scope="module")
def only_won(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("won") / "won.duckdb"
    db = tiny.load_only_won(Database.open(path))
    db.dispose()
    return path


def _expected(path: Path) -> dict[str, weekly.ScorecardRow]:
    """What the core decides for each card (the page must show the same verdict, in grey when not judged)."""
    db = Database.open(path)
    catalog = load_catalog(DEFAULT_METRICS)
    card = weekly.build(db, catalog, periods.parse_week(catalog.calendar, WEEK))
    db.dispose()
    return {row.label: row for row in card.rows}


def _badges(app: AppTest) -> dict[str, tuple[str, str]]:
    """{card title: (badge colour, verdict words)}: the status badge is the one just before the title."""
    out: dict[str, tuple[str, str]] = {}
    last: tuple[str, str] | None = None
    for element in app.markdown:
        text = str(element.value)
        match = VERDICT_BADGE.match(text)
        if match and match.group(2) in ("on target", "near target", "off target", "no target", "not judged"):
            last = (match.group(1), match.group(2))
        elif text.startswith("**") and text.endswith("**") and last is not None:
            out[text.strip("*")] = last
            last = None
    return out


def test_no_card_is_coloured_on_missing_data(open_page: PageRunner, only_won: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SCORECARD_DB", str(only_won))
    app = open_page("scorecard", week=WEEK)
    assert not app.exception, [e.value for e in app.exception]
    expected = _expected(only_won)
    shown = _badges(app)
    assert set(shown) == set(expected)
    ready = readiness.check(Database.open(only_won), load_catalog(DEFAULT_METRICS))
    for label, row in expected.items():
        colour, words = shown[label]
        assert words == row.verdict, label
        if not row.judgeable:
            assert (colour, words) == ("gray", "not judged"), label
    # The metrics whose inputs are missing are among the grey ones, each with its reason under the card.
    captions = " ".join(str(c.value) for c in app.caption)
    for name in ("win_rate", "calls_per_close", "quota_attainment", "unworked_leads"):
        metric = ready.of(name)
        assert metric is not None and not metric.ready
        assert shown[metric.label] == ("gray", "not judged")
    assert "the data has no lost deals, so every closed deal would read as won" in captions
    ready_count, total = ready.scorecard_counts()
    assert any(f"Your data supports {ready_count} of {total} scorecard metrics" in str(w.value) for w in app.warning)


@pytest.mark.usefixtures("dashboard_db")
def test_a_filter_value_no_row_holds_stops_the_page_with_the_values_there_are(open_page: PageRunner) -> None:
    app = open_page("scorecard", region="Eurpoe")
    assert not app.exception
    warnings = [str(w.value) for w in app.warning]
    assert any(w.startswith("Filter matches nothing: no rep, account, campaign, lead or deal has region") and
               "Eurpoe" in w and "EMEA" in w for w in warnings), warnings
    assert not app.metric, "no page of zeros under a filter that matches nothing"


@pytest.mark.usefixtures("dashboard_db")
def test_the_window_is_kept_in_the_address(open_page: PageRunner) -> None:
    app = open_page("scorecard", window="13w")
    assert not app.exception
    assert app.selectbox(key="window_picker").value == "13w"
    assert app.query_params["window"] == ["13w"] or app.query_params["window"] == "13w"
    captions = " ".join(str(c.value) for c in app.caption)
    assert re.search(r"\d{4}-W\d\d–(\d{4}-)?W\d\d", captions), "cards name the 13 weeks they cover"


@pytest.fixture(scope="module")
def won_server(only_won: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(only_won, tmp_path_factory.mktemp("streamlit-won") / "server.log") as url:
        yield url


@pytest.mark.browser
def test_grey_cards_in_chromium(won_server: str, only_won: Path) -> None:

    expected = _expected(only_won)
    judged = [r for r in expected.values() if r.judgeable and r.status != "none"]
    not_judged = [r for r in expected.values() if not r.judgeable]
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(f"{won_server}/?week={WEEK}")
        _settle(page)
        assert page.locator("[data-testid='stException']").count() == 0
        badges = page.locator("span.stMarkdownBadge").filter(visible=True)
        grey = badges.filter(has_text=re.compile(r"not judged$"))
        assert grey.count() == len(not_judged) > 0
        # Every "not judged" badge is drawn in the theme's grey badge background (#eef1f5, set in
        # .streamlit/config.toml with its text colour at WCAG AA contrast), none in a verdict colour.
        styles = grey.evaluate_all("els => els.map(e => getComputedStyle(e).backgroundColor)")
        assert all("238, 241, 245" in style for style in styles), styles
        coloured = badges.filter(has_text=re.compile(r"^(on|near|off) target$"))
        assert coloured.count() == len(judged)
        assert page.get_by_text("the data has no lost deals", exact=False).count() > 0
        page.screenshot(path=str(OUTPUT / "dashboard-only-won-deals.png"), full_page=True)
        page.goto(f"{won_server}/?week={WEEK}&region=Eurpoe")
        _settle(page)
        assert page.get_by_text("Filter matches nothing", exact=False).count() == 1
