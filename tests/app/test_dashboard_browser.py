"""End to end: `streamlit run dashboard.py` in a subprocess, driven by a real headless Chromium.

Visits every page, changes a filter through the widget, checks that no exception box
appears and that the filter reaches the URL, and saves a screenshot of each page under
test-output/. The server is always terminated. Needs the Debian `chromium` package at
/usr/bin/chromium (CI installs it); without it the test fails and says so.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_helpers import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
OUTPUT = ROOT / "test-output"
PAGES = [  # (path, the page's first heading)
    ("", "Weekly scorecard"),
    ("explore", "Explore"),
    ("ranking", "Forced ranking"),
    ("lead-quality", "Lead quality"),
    ("definitions", "Metric definitions"),
]
if (ROOT / "app" / "data_page.py").exists():
    PAGES.append(("data", "Data"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard served on a free port against the demo database; stopped afterwards, whatever happens."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "SCORECARD_DB": str(demo_db)}
    env.pop("SCORECARD_METRICS", None)
    command = [
        sys.executable, "-m", "streamlit", "run", "dashboard.py",
        "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            _wait_until_healthy(port, process, log_path)
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop(process)


def _wait_until_healthy(port: int, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"streamlit did not become healthy in {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server (its own process group, started above) and wait for it."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def _settle(page: object) -> None:
    """Wait until the app has finished its script run (after letting a new run start)."""
    page.wait_for_timeout(400)  # type: ignore[attr-defined]
    page.wait_for_selector(READY, timeout=60_000)  # type: ignore[attr-defined]


def test_every_page_in_chromium(server: str) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run browser tests")
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            crashes: list[str] = []
            page.on("pageerror", lambda error: crashes.append(str(error)))
            for path, title in PAGES:
                page.goto(f"{server}/{path}")
                _settle(page)
                assert page.locator("h1, h2").first.inner_text().strip() == title
                assert page.locator("[data-testid='stException']").count() == 0, f"exception on /{path}"
                page.screenshot(path=str(OUTPUT / f"dashboard-{path or 'scorecard'}.png"), full_page=True)

            page.goto(f"{server}/explore")
            _settle(page)
            assert page.get_by_text("all data").count() > 0
            region = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first
            region.click()
            page.get_by_role("option", name="EMEA", exact=True).click()
            page.keyboard.press("Escape")
            _settle(page)
            assert "region=EMEA" in page.url, page.url
            assert page.locator("[data-testid='stException']").count() == 0
            assert page.get_by_text("Region: EMEA").count() > 0, "the filter reached the numbers"
            page.screenshot(path=str(OUTPUT / "dashboard-explore-filtered.png"), full_page=True)

            page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Weekly scorecard").click()
            _settle(page)
            assert "region=EMEA" in page.url, "the filter follows the reader to the next page"
            assert page.get_by_text("Region: EMEA").count() > 0
            assert page.locator("[data-testid='stException']").count() == 0
            assert not crashes, crashes
        finally:
            browser.close()


def test_ranking_explaining_columns_fit_at_1440_px(server: str) -> None:
    """The main ranking table (rank, attainment, tier, tenure, deals closed, lead quality, win rate) needs no
    sideways scrolling at 1440 px: the grid's scroller is no wider than its box and ends inside the window."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run browser tests")
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{server}/ranking")
            _settle(page)
            table = page.locator("[data-testid='stDataFrame']").first
            table.scroll_into_view_if_needed()
            page.wait_for_selector("[data-testid='stDataFrame'] .dvn-scroller", timeout=30_000)
            scroll_width, client_width, right = page.evaluate(
                """() => { const el = document.querySelector("[data-testid='stDataFrame']");
                           const s = el.querySelector('.dvn-scroller');
                           return [s.scrollWidth, s.clientWidth, el.getBoundingClientRect().right]; }"""
            )
            page.screenshot(path=str(OUTPUT / "dashboard-ranking-1440.png"))
            assert scroll_width <= client_width, (scroll_width, client_width)
            assert right <= 1440, right
        finally:
            browser.close()
