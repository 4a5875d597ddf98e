"""Many readers at once: N headless Chromium sessions change filters on one dashboard server,
while an import lands in the database underneath them.

    python bench/sessions_bench.py --db data/scorecard.duckdb                # starts its own server
    python bench/sessions_bench.py --url http://127.0.0.1:8630 --sessions 10 --rounds 6

Each session opens the Explore page, then repeatedly picks a region in the sidebar filter (and
clears the filters every fourth change), timing each redraw from the click until the app's script
has finished. Errors counted: exception boxes on the page, error notices, JavaScript page errors
and sessions that stop answering. With --import-file and --mapping, the import runs halfway
through; afterwards every session reloads and must see the imported data (`--expect-source`).

Prints sessions, redraws, errors, p50/p95/max redraw seconds. Used by
tests/app/test_sessions_browser.py with a small number of rounds; RELIABILITY.md has figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]  # fmt: skip
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
RUNNING = "[data-testid='stApp'][data-test-script-state='running']"
REGIONS = ("EMEA", "NA", "APAC", "LATAM")


@dataclass
class Result:
    """What the sessions saw."""

    sessions: int
    redraws: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    saw_import: int = 0
    import_seconds: float | None = None
    unchanged: int = 0
    """Picks that changed nothing (the region was already chosen): no run, not timed."""

    def percentile(self, share: float) -> float:
        ordered = sorted(self.redraws)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]

    def summary(self) -> str:
        p50 = statistics.median(self.redraws) if self.redraws else float("nan")
        imported = (
            f"; import landed in {self.import_seconds:.1f} s during the sessions, {self.saw_import} of "
            f"{self.sessions} sessions saw it after reloading"
            if self.import_seconds is not None
            else ""
        )
        return (
            f"{self.sessions} sessions, {len(self.redraws)} redraws, {len(self.errors)} errors; redraw "
            f"p50 {p50:.2f} s, p95 {self.percentile(0.95):.2f} s, max {max(self.redraws, default=float('nan')):.2f} s"
            f"{imported}"
        )


# Watches the app's script state from inside the page, from just before a click: a run that
# starts and ends between two polls is still seen, and nothing waits for a start that already
# happened. A run whose start and end React renders at once is not seen: after 1.5 s without a
# start, the wait falls back to the app being idle (at worst, 1.5 s too long).
_ARM = """() => {
  if (window.__scorecardWatch) window.__scorecardWatch.disconnect();
  window.__scorecardRan = false;
  window.__scorecardStarted = false;
  const look = () => {
    const app = document.querySelector("[data-testid='stApp']");
    const running = app !== null && app.getAttribute('data-test-script-state') === 'running';
    if (running) window.__scorecardStarted = true;
    else if (window.__scorecardStarted && app !== null) window.__scorecardRan = true;
  };
  // The whole document: the app's root element may be replaced while a session runs.
  window.__scorecardWatch = new MutationObserver(look);
  window.__scorecardWatch.observe(document, {attributes: true, childList: true, subtree: true,
                                             attributeFilter: ['data-test-script-state']});
}"""


async def arm(page: object) -> None:
    """Call before a click: `_settle` then waits for the run that click starts to finish."""
    await page.evaluate(_ARM)  # type: ignore[attr-defined]


async def _settle(page: object, after_click: bool = True) -> None:
    """Wait until the app's script is idle; after a click armed with `arm`, until the run that
    click started has finished (the click must change something, or no run starts)."""
    if after_click:
        armed = await page.evaluate("() => window.__scorecardRan !== undefined")  # type: ignore[attr-defined]
        if armed:
            try:  # React may render a quick run's start and end at once: then no start is ever seen
                await page.wait_for_function("() => window.__scorecardStarted", timeout=1_500, polling=20)  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - playwright's timeout: the run was not seen starting
                pass
            else:
                await page.wait_for_function(  # type: ignore[attr-defined]
                    """() => window.__scorecardRan || document.querySelector(
                        "[data-testid='stApp'][data-test-script-state='notRunning']") !== null""",
                    timeout=120_000,
                    polling=20,
                )
        else:  # not armed: a run may finish before it is seen starting; then the wait below returns at once
            with contextlib.suppress(Exception):  # playwright's timeout: the run was quicker than the poll
                await page.wait_for_selector(RUNNING, timeout=1_500)  # type: ignore[attr-defined]
    await page.wait_for_selector(READY, timeout=120_000)  # type: ignore[attr-defined]


async def _problems(page: object) -> list[str]:
    found = []
    exceptions = await page.locator("[data-testid='stException']").count()  # type: ignore[attr-defined]
    if exceptions:
        found.append(f"{exceptions} exception box(es)")
    alerts = page.locator("[data-testid='stAlertContentError']")  # type: ignore[attr-defined]
    for i in range(await alerts.count()):
        found.append("error notice: " + (await alerts.nth(i).inner_text())[:200])
    return found


async def _session(browser: object, url: str, rounds: int, index: int, result: Result, halfway: asyncio.Event,
                   done: asyncio.Event, expect_source: str | None) -> None:  # fmt: skip
    context = await browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    context.set_default_timeout(180_000)  # a loaded machine is slow, not broken: errors are what the page shows
    context.set_default_navigation_timeout(180_000)
    page = await context.new_page()
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    try:
        await page.goto(f"{url}/explore?grain=month")
        await _settle(page, after_click=False)
        sidebar = page.get_by_test_id("stSidebar")
        for step in range(rounds):
            await arm(page)
            started = time.perf_counter()
            changed = True  # "Clear" always reruns the page
            if step % 4 == 3:
                await page.locator(".st-key-clear_filters button").click()
            else:
                # The text box, not the widget's middle, which may be a chosen region's remove button.
                await sidebar.get_by_test_id("stMultiSelect").first.locator("input").click()
                await page.get_by_role("option").first.wait_for()  # the list is open (slow under load)
                region = REGIONS[(index + step) % len(REGIONS)]
                option = page.get_by_role("option", name=region, exact=True)
                changed = bool(await option.count())  # not offered: the region is already chosen
                if changed:
                    await option.click()
                await page.keyboard.press("Escape")
            if changed:
                await _settle(page)
                result.redraws.append(time.perf_counter() - started)
            else:
                result.unchanged += 1
            result.errors += [f"session {index}, change {step}: {p}" for p in await _problems(page)]
            if step == rounds // 2:
                halfway.set()
        await done.wait()
        if expect_source is not None:
            await page.goto(f"{url}/explore?grain=month&source={expect_source}")
            await _settle(page, after_click=False)
            chosen = await sidebar.get_by_test_id("stMultiSelect").filter(has_text="Lead source").inner_text()
            if expect_source in chosen:
                result.saw_import += 1
            result.errors += [f"session {index}, after the import: {p}" for p in await _problems(page)]
    except Exception as exc:  # noqa: BLE001 - a session that stops answering is an error to count
        result.errors.append(f"session {index}: {type(exc).__name__}: {str(exc)[:300]}")
        halfway.set()
    finally:
        result.errors += [f"session {index}: page error {c[:200]}" for c in crashes]
        await context.close()


async def run(url: str, sessions: int = 10, rounds: int = 6, import_command: list[str] | None = None,
              expect_source: str | None = None) -> Result:  # fmt: skip
    """Drive `sessions` browsers at once against `url`; run `import_command` when all are halfway."""
    from playwright.async_api import async_playwright

    result = Result(sessions)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            halves = [asyncio.Event() for _ in range(sessions)]
            done = asyncio.Event()
            tasks = [
                asyncio.create_task(_session(browser, url, rounds, i, result, halves[i], done, expect_source))
                for i in range(sessions)
            ]
            for event in halves:
                await event.wait()
            if import_command is not None:
                started = time.perf_counter()
                process = await asyncio.create_subprocess_exec(
                    *import_command, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
                )
                _out, err = await process.communicate()
                result.import_seconds = time.perf_counter() - started
                if process.returncode != 0:
                    result.errors.append(f"import failed: {err.decode()[-500:]}")
            done.set()
            await asyncio.gather(*tasks)
        finally:
            await browser.close()
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """`streamlit run dashboard.py` on `port` against `db`, in its own process group."""
    env = {**os.environ, "SCORECARD_DB": db}
    env.pop("SCORECARD_METRICS", None)
    command = [
        sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return process
        except OSError:
            time.sleep(0.25)
    stop_server(process)
    raise RuntimeError("streamlit did not become healthy in 90 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running dashboard (default: start one on --db)")
    parser.add_argument("--db", default=str(ROOT / "data" / "scorecard.duckdb"))
    parser.add_argument("--port", type=int, default=8630)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--import-file", help="a CSV to import halfway through")
    parser.add_argument("--mapping", help="the mapping for --import-file")
    parser.add_argument("--expect-source", help="a lead source the import adds, which sessions must see after")
    args = parser.parse_args()
    command = None
    if args.import_file and args.mapping:
        command = [sys.executable, "-m", "scorecard", "import", "--db", args.db, "--mapping", args.mapping,
                   "--quarantine", os.devnull, args.import_file]  # fmt: skip
    server = None
    url = args.url
    if url is None:
        server = start_server(args.db, args.port, Path(f"/tmp/sessions-bench-{args.port}.log"))
        url = f"http://127.0.0.1:{args.port}"
    try:
        result = asyncio.run(run(url, args.sessions, args.rounds, command, args.expect_source))
    finally:
        if server is not None:
            stop_server(server)
    print(result.summary())
    for error in result.errors[:20]:
        print("  " + error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
