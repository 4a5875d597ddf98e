"""End to end: `streamlit run dashboard.py` in a subprocess, driven by a real headless Chromium.

Visits every page at 1440 px and on a phone (390 px) and fails on anything a reader would
take for broken: an exception box, a request that leaves the machine (the dashboard must
work offline), a warning from a chart in the console, "None"/"nan"/"NaT" in the page text,
a table wider than its frame at 1440 px, or a page that scrolls sideways on the phone. It
also drills down by clicking a bar and changes a filter through the widget. Screenshots of
every page at both widths are saved under test-output/ for review. The server is always
terminated. Needs the Debian `chromium` package at /usr/bin/chromium (CI installs it);
without it the test fails and says so.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.fixtures.dashboard import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import sessions_bench  # noqa: E402  (its server stop is shared with the benchmarks)

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
if (ROOT / "app" / "access_page.py").exists():
    PAGES.append(("access", "Access"))
VIEWS = [  # (name, address, heading): views beyond each page's default
    ("explore-gaps", "explore?metric=win_rate&region=LATAM", "Explore"),  # weeks without a close: gaps
    ("explore-campaigns", "explore?metric=leads_created&by=campaign", "Explore"),  # long names
    ("lead-quality-region", "lead-quality?region=EMEA&curves=campaign", "Lead quality"),
]
WIDTHS = {"desktop": 1440, "phone": 390}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
MISSING_WORDS = re.compile(r"\b(None|nan|NaN|NaT)\b")
STREAMLIT_PROBE = re.compile(r"^/[^/]+/_stcore/(health|host-config)$")
"""A direct link to /<page> makes Streamlit's frontend first try /<page>/_stcore/health and host-config
(404) before the root ones: streamlit/streamlit#7074, open upstream; the only failed requests allowed."""


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (test-output/ made for screenshots);
    the test fails, saying how to install it, where it is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run browser tests")
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(db_path: Path, log_path: Path) -> Iterator[str]:
    """The dashboard served on a free port against `db_path`; stopped afterwards, whatever happens."""
    port = _free_port()
    env = {**os.environ, "SCORECARD_DB": str(db_path)}
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
            sessions_bench.stop_server(process)


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard on the demo database."""
    with serve(demo_db, tmp_path_factory.mktemp("streamlit") / "server.log") as url:
        yield url


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


def _settle(page: Any) -> None:
    """Wait until the app has finished its script run (after letting a new run start)."""
    page.wait_for_timeout(400)
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_timeout(800)  # charts draw after the run ends


class Watch:
    """What the browser saw that a reader should never meet: outside requests, failed loads, chart warnings."""

    def __init__(self, page: Any) -> None:
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.warnings: list[str] = []
        self.crashes: list[str] = []
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.crashes.append(str(error)))

    def _request(self, request: Any) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOCAL_HOSTS:
            self.outside.append(request.url)

    def _response(self, response: Any) -> None:
        if response.status >= 400 and not STREAMLIT_PROBE.match(urlparse(response.url).path):
            self.failed.append(f"{response.status} {response.url}")

    def _console(self, message: Any) -> None:
        text = message.text
        if message.type == "warning" and ("WARN" in text or "Infinite extent" in text):
            self.warnings.append(text)  # Vega / Vega-Lite warnings about a chart
        elif message.type == "error" and "Failed to load resource" not in text:  # those are counted in failed
            self.warnings.append(text)

    def clear(self) -> None:
        self.outside.clear()
        self.failed.clear()
        self.warnings.clear()

    def problems(self) -> list[str]:
        return [*(f"request to {u}" for u in self.outside), *(f"failed {f}" for f in self.failed),
                *(f"console: {w}" for w in self.warnings), *(f"page error: {c}" for c in self.crashes)]


def _layout_problems(page: Any, width: int) -> list[str]:
    """Tables wider than their frame (at desktop width), and any sideways scrolling of the page."""
    problems = []
    sizes = page.evaluate(
        """() => {
            const main = document.querySelector("[data-testid='stMain']");
            const page = document.scrollingElement;
            const tables = [...document.querySelectorAll("[data-testid='stDataFrame']")].map(frame => {
                const scroller = frame.querySelector(".dvn-scroller");
                const box = frame.getBoundingClientRect();
                return {inner: scroller ? scroller.scrollWidth : 0, frame: scroller ? scroller.clientWidth : 0,
                        right: box.right, visible: box.width > 0};
            });
            return {page: [page.scrollWidth, page.clientWidth],
                    main: main ? [main.scrollWidth, main.clientWidth] : null, tables, viewport: window.innerWidth};
        }"""
    )
    for name, pair in (("page", sizes["page"]), ("main area", sizes["main"])):
        if pair and pair[0] > pair[1] + 1:
            problems.append(f"the {name} scrolls sideways: {pair[0]} px of content in {pair[1]} px")
    for i, table in enumerate(sizes["tables"]):
        if not table["visible"]:
            continue  # in a closed expander or another tab
        if width >= 1440 and table["inner"] > table["frame"] + 1:
            problems.append(f"table {i} is {table['inner']} px wide in a {table['frame']} px frame")
        if table["right"] > sizes["viewport"] + 1:
            problems.append(f"table {i} ends at {table['right']:.0f} px, past the {sizes['viewport']} px screen")
    return problems


def _missing_words(page: Any) -> list[str]:
    text = page.locator("[data-testid='stMain']").inner_text()
    return [text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " | ") for m in MISSING_WORDS.finditer(text)]


def _screenshot(page: Any, name: str, width: int) -> None:
    """The whole page: Streamlit scrolls inside its main area, so the window is made as tall as it."""
    height = int(page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight"))
    page.set_viewport_size({"width": width, "height": min(max(900, height + 40), 9000)})
    page.wait_for_timeout(600)
    page.screenshot(path=str(OUTPUT / f"{name}.png"))
    page.set_viewport_size({"width": width, "height": 900})


def _check(page: Any, watch: Watch, label: str, heading: str, width: int) -> list[str]:
    found = [f"{label}: {p}" for p in watch.problems()]
    title = page.locator("h1, h2").first.inner_text().strip()
    if title != heading:
        found.append(f"{label}: heading is {title!r}, not {heading!r}")
    if page.locator("[data-testid='stException']").count():
        found.append(f"{label}: exception box")
    found += [f"{label}: missing value shown as {m!r}" for m in _missing_words(page)]
    found += [f"{label}: {p}" for p in _layout_problems(page, width)]
    return found


def test_every_page_reads_right_on_desktop_and_phone(server: str) -> None:

    problems: list[str] = []
    with chromium() as browser:
        for device, width in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": 900})
            watch = Watch(page)
            views = [(path or "scorecard", path, title) for path, title in PAGES] + VIEWS
            for name, address, heading in views:
                watch.clear()
                page.goto(f"{server}/{address}")
                _settle(page)
                if name == "data":  # the table of every table's freshness
                    page.get_by_role("tab", name="Freshness and loads").click()
                    _settle(page)
                problems += _check(page, watch, f"{device} /{address}", heading, width)
                _screenshot(page, f"dashboard-{device}-{name}", width)
            if device == "phone":  # cards stack: each scorecard card fits the screen
                page.goto(server)
                _settle(page)
                boxes = [m.bounding_box() for m in page.locator("[data-testid='stMetric']").all()]
                assert boxes and all(b is not None and b["x"] + b["width"] <= width for b in boxes)
            page.close()
    assert not problems, "\n".join(problems)


def test_a_click_drill_leaves_no_bar_faded_and_filters_follow_the_reader(server: str) -> None:

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        watch = Watch(page)
        page.goto(f"{server}/explore")
        _settle(page)
        assert page.get_by_text("all data").count() > 0
        bars = page.get_by_test_id("stVegaLiteChart").nth(1).locator("g.mark-rect path")
        bars.nth(1).wait_for(timeout=30_000)  # the breakdown draws one bar per region
        bars.first.click()
        _settle(page)
        assert "by=rep" in page.url and "region=" in page.url, page.url
        bars = page.get_by_test_id("stVegaLiteChart").nth(1).locator("g.mark-rect path")
        bars.first.wait_for(timeout=30_000)
        opacities = [float(bars.nth(i).get_attribute("opacity") or 1) for i in range(bars.count())]
        # A new chart for the reps: none selected, so none faded (low samples are 0.45, never 0.3).
        assert opacities and min(opacities) > 0.3, opacities
        page.screenshot(path=str(OUTPUT / "dashboard-explore-drilled.png"), full_page=True)

        page.goto(f"{server}/explore")
        _settle(page)
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
        assert not watch.problems(), watch.problems()


def test_ranking_explaining_columns_fit_at_1440_px(server: str) -> None:
    """The main ranking table (rank, attainment, tier, tenure, deals closed, lead quality, win rate) needs no
    sideways scrolling at 1440 px: the grid's scroller is no wider than its box and ends inside the window."""

    with chromium() as browser:
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
