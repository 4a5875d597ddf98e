"""No card is coloured on data that cannot support it, seen in headless Chromium: an export with only
won deals, no activities and no quotas (the AppTest side is tests/app/test_dashboard_verdicts.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_dashboard_browser import OUTPUT, _settle, chromium, serve

from tests.fixtures import verdicts
from tests.fixtures.verdicts import WEEK


@pytest.fixture(scope="module")
def only_won(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return verdicts.only_won(tmp_path_factory.mktemp("won") / "won.duckdb")


@pytest.fixture(scope="module")
def won_server(only_won: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(only_won, tmp_path_factory.mktemp("streamlit-won") / "server.log") as url:
        yield url


@pytest.mark.browser
def test_grey_cards_in_chromium(won_server: str, only_won: Path) -> None:

    expected = verdicts.expected(only_won)
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
