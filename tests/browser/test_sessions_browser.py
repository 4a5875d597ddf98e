"""Ten headless Chromium sessions change filters on one server while an import lands underneath them;
and a lead source written as markdown reaches no browser as a link or an image.

Drives `bench/sessions_bench.py` (the figures in RELIABILITY.md come from its longer runs).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from scorecard.store import model
from scorecard.store.db import Database
from tests.fixtures.dashboard import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sys.path.insert(0, str(ROOT / "bench"))
import sessions_bench  # noqa: E402

HOSTILE = "![x](http://tracker.invalid/t.png) [click](http://evil.invalid)"
MAPPING = """\
version: 1
name: during
sources:
  - name: leads
    table: leads
    match: {headers: [Lead ID]}
    columns:
      id: Lead ID
      created_at: Created
      source: {constant: imported_during_sessions}
      account_id: {column: Company, lookup: {by: name, create: true}}
"""


@pytest.fixture(scope="module")
def served(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    if not sessions_bench.CHROMIUM.exists():
        pytest.fail(f"{sessions_bench.CHROMIUM} is missing: apt-get install chromium")
    folder = tmp_path_factory.mktemp("sessions")
    path = folder / "sessions.duckdb"
    shutil.copy(demo_db, path)
    db = Database.open(path)
    with db.writer() as conn:
        conn.execute(sa.update(model.leads).where(model.leads.c.source == "content").values(source=HOSTILE))
    db.dispose()
    port = sessions_bench.free_port()
    server = sessions_bench.start_server(str(path), port, folder / "server.log")
    try:
        yield f"http://127.0.0.1:{port}", path
    finally:
        sessions_bench.stop_server(server)


def test_ten_sessions_change_filters_while_an_import_lands(served: tuple[str, Path], tmp_path: Path) -> None:
    url, path = served
    (tmp_path / "during.yaml").write_text(MAPPING)
    (tmp_path / "during.csv").write_text("Lead ID,Created,Company\nX1,2026-11-20,Newco\nX2,2026-11-21,Newco\n")
    command = [sys.executable, "-m", "scorecard", "import", "--db", str(path), "--mapping",
               str(tmp_path / "during.yaml"), "--quarantine", os.devnull, str(tmp_path / "during.csv")]  # fmt: skip
    result = asyncio.run(
        sessions_bench.run(url, sessions=10, rounds=3, import_command=command, expect_source="imported_during_sessions")
    )
    print(result.summary())
    assert result.errors == [], result.errors[:5]
    assert len(result.redraws) == 30, result.summary()  # three different regions each: every pick reruns
    assert result.saw_import == 10, "every session sees the import once it has committed"


def test_markdown_in_the_data_reaches_no_browser_as_a_link_or_image(served: tuple[str, Path]) -> None:
    from urllib.parse import quote, urlparse

    from playwright.sync_api import sync_playwright

    url, _path = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(sessions_bench.CHROMIUM), args=sessions_bench.LAUNCH_ARGS
        )
        try:
            page = browser.new_page()
            fetched: list[str] = []
            page.on("request", lambda request: fetched.append(request.url))
            for path in ("", "explore"):
                page.goto(f"{url}/{path}?source={quote(HOSTILE)}")
                page.wait_for_selector(sessions_bench.READY, timeout=120_000)
                main = page.get_by_test_id("stMain")
                assert main.get_by_text("tracker.invalid/t.png", exact=False).count() > 0, "shown as text"
                assert page.locator("img[src*='tracker.invalid']").count() == 0
                links = page.locator("a[href*='evil.invalid'], a[href*='tracker.invalid']")
                assert links.count() == 0, [links.nth(i).evaluate("e => e.outerHTML") for i in range(links.count())]
                assert page.locator("[data-testid='stException']").count() == 0
            assert not [u for u in fetched if (urlparse(u).hostname or "").endswith(".invalid")], fetched
        finally:
            browser.close()
