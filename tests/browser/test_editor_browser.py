"""End to end in Chromium: an analyst edits a target on the definitions page, saves, and the
weekly scorecard shows the new colour (a real `streamlit run` on a copy of metrics.yaml)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_dashboard_browser import (
    OUTPUT,
    _free_port,
    _settle,
    _wait_until_healthy,
    chromium,
    sessions_bench,
)

from scorecard.catalog.history import History
from scorecard.store.config import DEFAULT_METRICS
from tests.fixtures.dashboard import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OLD_TARGET = "target: {green: 0.5, amber: 0.35, example: true}"


@pytest.fixture(scope="module")
def edited_server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("editor_browser")
    catalog = folder / "metrics.yaml"
    shutil.copy(DEFAULT_METRICS, catalog)
    port = _free_port()
    log_path = folder / "server.log"
    env = {**os.environ, "SCORECARD_DB": str(demo_db), "SCORECARD_METRICS": str(catalog)}
    command = [
        sys.executable, "-m", "streamlit", "run", "dashboard.py",
        "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_until_healthy(port, process, log_path)
            yield f"http://127.0.0.1:{port}", catalog
        finally:
            sessions_bench.stop_server(process)


def _card_text(page: object, label: str) -> str:
    """The text of the scorecard card whose label is `label` (the innermost block holding it)."""
    blocks = page.locator("[data-testid='stVerticalBlock']").filter(has_text=label)  # type: ignore[attr-defined]
    return str(blocks.last.inner_text())


def test_edit_a_target_save_and_see_the_new_colour(edited_server: tuple[str, Path]) -> None:

    server, catalog = edited_server
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server)
        _settle(page)
        before = _card_text(page, "Sales-accept rate")
        assert any(word in before for word in ("on target", "near target", "off target")), before
        # a share lies in [0, 1]: green at >= 0 puts every value on target, green at >= 1.01 none
        if "off target" in before:
            new_target, expected = "target: {green: 0, amber: 0}", "on target"
        else:
            new_target, expected = "target: {green: 1.01, amber: 1.0}", "off target"

        page.goto(f"{server}/definitions")
        _settle(page)
        page.get_by_role("tab", name="Edit").click()
        area = page.locator("textarea[aria-label='metrics.yaml']")
        area.fill(catalog.read_text().replace(OLD_TARGET, new_target))
        area.press("Control+Enter")
        _settle(page)
        page.get_by_text("Valid: the same check as").first.wait_for(timeout=60_000)
        page.get_by_text("Targets change colour:").first.wait_for(timeout=120_000)
        message = page.get_by_label("What changed and why (required)")
        message.fill("sales-accept target for the browser test")
        message.press("Enter")
        _settle(page)
        page.get_by_role("button", name="Save", exact=True).click()
        _settle(page)
        page.get_by_text("Saved as v2").first.wait_for(timeout=60_000)
        page.screenshot(path=str(OUTPUT / "editor-saved.png"), full_page=True)
        assert new_target in catalog.read_text()
        assert History(catalog).versions()[-1].message == "sales-accept target for the browser test"

        page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Weekly scorecard").click()
        _settle(page)
        after = _card_text(page, "Sales-accept rate")
        assert expected in after, after
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(OUTPUT / "editor-new-colour.png"), full_page=True)
