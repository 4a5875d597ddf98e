"""The dashboard in headless Chromium: first visits, filter changes and ten sessions at once.

    python bench/browser_bench.py --db /tmp/scorecard-bench/demo-1000000.duckdb [--write BENCHMARKS.md]

Starts its own server (bench/sessions_bench.py's), then times, from the click or the address
until the app's script has finished (`data-test-script-state='notRunning'`; after a click, the
end of the run that click started, watched from inside the page so no run is missed between
two polls):
1. the first visit to each page, each in a new browser session: once right after the server
   starts (nothing cached anywhere), once more in new sessions (the server has seen the page);
2. on the weekly scorecard, 20 filter changes in the sidebar's product filter, each one click,
   walking a Gray code over the products so every filter is one never seen before; then the
   same 20 filters backwards, each one seen before (p50 and p95 of each, reported apart);
3. ten sessions changing filters at once on the Explore page (sessions_bench.run).

Prints figures; asserts nothing. Called by `python -m scorecard bench --browser`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sessions_bench as sessions  # noqa: E402

from scorecard.benchmark.run import write  # noqa: E402

PAGES = ("", "explore", "ranking", "lead-quality", "definitions", "data", "access")
PRODUCTS = ("Brightline Platform", "Pipeline Analytics", "Forecast Studio", "Partner Hub", "Implementation Services")
BEGIN, END = "<!-- bench:browser:begin -->", "<!-- bench:browser:end -->"


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else float("nan")


def gray_walk(count: int) -> list[tuple[int, frozenset[str]]]:
    """`count` one-click steps from no filter, each reaching a product set not seen before:
    (index of the product toggled, the set after the click)."""
    steps = []
    for i in range(1, count + 1):
        code, before = i ^ (i >> 1), (i - 1) ^ ((i - 1) >> 1)
        flipped = (code ^ before).bit_length() - 1
        steps.append((flipped, frozenset(p for b, p in enumerate(PRODUCTS) if code >> b & 1)))
    return steps


async def _problems(page: object) -> list[str]:
    return await sessions._problems(page)


async def first_visits(browser: object, url: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for path in PAGES:
        context = await browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
        context.set_default_timeout(120_000)
        page = await context.new_page()
        started = time.perf_counter()
        await page.goto(f"{url}/{path}")
        await sessions._settle(page, after_click=False)
        out[path] = time.perf_counter() - started
        problems = await _problems(page)
        await context.close()
        print(f"    /{path:14s} {out[path]:6.2f} s" + (f"   ({'; '.join(problems)})" if problems else ""), flush=True)
    return out


async def _toggle(page: object, product: str, selected: bool) -> None:
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").nth(1)  # type: ignore[attr-defined]
    if selected:  # the tag's own remove button
        await box.get_by_role("button", name=f"Remove {product}", exact=True).last.click()
    else:
        await box.locator("input").click()
        await page.get_by_role("option", name=product, exact=True).click()  # type: ignore[attr-defined]
        await page.keyboard.press("Escape")  # type: ignore[attr-defined]


async def filter_changes(browser: object, url: str, count: int) -> tuple[list[float], list[float], list[str]]:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    context.set_default_timeout(120_000)
    page = await context.new_page()
    errors: list[str] = []
    await page.goto(f"{url}/")
    await sessions._settle(page, after_click=False)
    walk = gray_walk(count)
    chosen: set[str] = set()

    async def click(index: int) -> float:
        product = PRODUCTS[index]
        await sessions.arm(page)
        started = time.perf_counter()
        await _toggle(page, product, product in chosen)
        await sessions._settle(page)
        seconds = time.perf_counter() - started
        chosen.symmetric_difference_update({product})
        shown = sorted(v.split("=", 1)[1].replace("+", " ") for v in page.url.split("?", 1)[-1].split("&") if
                       v.startswith("product="))  # fmt: skip
        if shown != sorted(chosen):
            errors.append(f"after toggling {product}: address has {shown}, expected {sorted(chosen)}")
        errors.extend(await _problems(page))
        return seconds

    never = []
    for flipped, expected in walk:
        never.append(await click(flipped))
        print(f"    new filter {sorted(expected)!s:90.90s} {never[-1]:6.2f} s", flush=True)
    seen = []
    for flipped, _ in reversed(walk):
        seen.append(await click(flipped))
    print(f"    seen-before filters: {', '.join(f'{s:.2f}' for s in seen)}", flush=True)
    await context.close()
    return never, seen, errors


async def measure(url: str, changes: int, sessions_count: int, rounds: int) -> dict[str, object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(sessions.CHROMIUM), args=sessions.LAUNCH_ARGS)
        try:
            print("  first visit to each page, server just started:", flush=True)
            cold = await first_visits(browser, url)
            print("  first visit to each page in a new session, server warm:", flush=True)
            warm = await first_visits(browser, url)
            print(f"  {changes} filter changes on the weekly scorecard:", flush=True)
            never, seen, errors = await filter_changes(browser, url, changes)
        finally:
            await browser.close()
    print(f"  {sessions_count} sessions changing filters at once on Explore ({rounds} changes each)...", flush=True)
    together = await sessions.run(url, sessions_count, rounds)
    return {"cold": cold, "warm": warm, "never": never, "seen": seen, "errors": errors, "sessions": together}


def report(db: str, leads: int, found: dict[str, object]) -> str:
    cold, warm = found["cold"], found["warm"]
    never, seen = found["never"], found["seen"]
    together = found["sessions"]
    assert isinstance(cold, dict) and isinstance(warm, dict) and isinstance(never, list) and isinstance(seen, list)
    assert isinstance(together, sessions.Result)
    lines = [
        f"Dashboard in headless Chromium on the {leads:,}-lead demo (`{Path(db).name}`), seconds from the click or",
        "the address until the app's script finished.",
        "",
        "| page | first visit, server just started | first visit in a new session |",
        "|---|---:|---:|",
        *[f"| /{p} | {cold[p]:.2f} | {warm[p]:.2f} |" for p in PAGES],
        "",
        "| filter change on the weekly scorecard | p50 | p95 | max | changes |",
        "|---|---:|---:|---:|---:|",
        f"| never seen before | {statistics.median(never):.2f} | {percentile(never, 0.95):.2f} | {max(never):.2f} | "
        f"{len(never)} |",
        f"| seen before | {statistics.median(seen):.2f} | {percentile(seen, 0.95):.2f} | {max(seen):.2f} | "
        f"{len(seen)} |",
        f"| {together.sessions} sessions at once (Explore) | {statistics.median(together.redraws):.2f} | "
        f"{together.percentile(0.95):.2f} | {max(together.redraws):.2f} | {len(together.redraws)} |",
    ]
    errors = [*found["errors"], *together.errors]  # type: ignore[misc]
    lines += ["", f"Errors seen on the pages: {len(errors)}" + (f" (first: {errors[0]})" if errors else "")]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=6, help="filter changes per session in the many-sessions part")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--write", help="put the table into this Markdown file (e.g. BENCHMARKS.md)")
    args = parser.parse_args(argv)
    import duckdb

    with duckdb.connect(args.db, read_only=True) as conn:
        row = conn.execute("SELECT count(*) FROM leads").fetchone()
    leads = int(row[0]) if row else 0
    port = args.port or sessions.free_port()
    log = Path(f"/tmp/browser-bench-{port}.log")
    print(f"browser benchmark: {leads:,} leads, server on port {port} (log {log})", flush=True)
    server = sessions.start_server(args.db, port, log)
    try:
        found = asyncio.run(measure(f"http://127.0.0.1:{port}", args.changes, args.sessions, args.rounds))
    finally:
        sessions.stop_server(server)
    text = report(args.db, leads, found)
    print()
    print(text)
    if args.write:
        write(Path(args.write), text, BEGIN, END)
        print(f"\nwritten to {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
