"""Metric tests (`tests:` in metrics.yaml) and `python -m scorecard test` on a real demo database.

Expected numbers come from plain SQL run with the duckdb driver directly, never from the engine.
The default catalog's tests must hold on the demo data: this is the CI guard.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from scorecard.catalog.load import load_catalog
from scorecard.cli.main import main
from scorecard.demo import generate as demo
from scorecard.judge import metric_tests
from scorecard.store.config import DEFAULT_METRICS, PROJECT_ROOT
from scorecard.store.db import Database

ORIGINAL = DEFAULT_METRICS.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 5,000-lead demo database up to today (as `scorecard demo` builds it)."""
    path = tmp_path_factory.mktemp("metric_tests") / "demo.duckdb"
    db = Database.open(path)
    demo.build(db, leads=5_000)
    db.dispose()
    return path


def last_complete_week() -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 UTC of the last complete week and of the current one, worked out by hand."""
    today = dt.datetime.now(dt.UTC).date()
    monday = today - dt.timedelta(days=today.weekday())
    start = monday - dt.timedelta(days=7)
    return dt.datetime.combine(start, dt.time()), dt.datetime.combine(monday, dt.time())


def plain_sql(path: Path, sql: str, *params: object) -> float:
    with duckdb.connect(str(path), read_only=True) as conn:
        row = conn.execute(sql, list(params)).fetchone()
    assert row is not None
    return float(row[0] or 0)


def test_default_catalog_tests_pass_on_the_demo_data(demo_path: Path) -> None:
    """`python -m scorecard test` as CI runs it: a real process, exit 0, every test named."""
    done = subprocess.run(
        [sys.executable, "-m", "scorecard", "test", "--db", str(demo_path), "--metrics", str(DEFAULT_METRICS)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    catalog = load_catalog(DEFAULT_METRICS)
    assert len(catalog.tests) >= 8
    for test in catalog.tests:
        assert f"PASS  {test.name} (" in done.stdout
    count = len(catalog.tests)
    assert done.stdout.strip().endswith(f"{count} passed, 0 failed, 0 could not run ({count} tests)")


def write_catalog(tmp_path: Path, tests: str, extra_metrics: str = "") -> Path:
    """The default catalog with its tests replaced by `tests` and `extra_metrics` appended."""
    head, _, rest = ORIGINAL.partition("\ntests:\n")
    _, _, metrics = rest.partition("\nmetrics:\n")
    path = tmp_path / "metrics.yaml"
    path.write_text(head + "\ntests:\n" + tests + "\nmetrics:\n" + metrics + extra_metrics, encoding="utf-8")
    return path


LEADS_AGAIN = """
  - name: leads_again
    label: Leads created, summed
    description: The same count as leads_created, written as a sum of ones.
    owners: [marketing]
    type: sum
    of: leads
    value: "1"
    time: created_at
    scorecard: false
"""


def test_equals_between_equals_metric_and_sum_over_against_plain_sql(
    demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start, end = last_complete_week()
    emea = plain_sql(
        demo_path, "select count(*) from leads where created_at >= ? and created_at < ? and region = 'EMEA'", start, end
    )
    direct = plain_sql(
        demo_path,
        "select sum(amount) from opportunities"
        " where is_won and closed_at >= ? and closed_at < ? and channel = 'direct'",
        start, end,
    )  # fmt: skip
    won = plain_sql(demo_path, "select count(*) from opportunities where is_won and closed_at >= ? and closed_at < ?",
                    start, end)  # fmt: skip
    leads = plain_sql(demo_path, "select count(*) from leads where created_at >= ? and created_at < ?", start, end)
    assert emea > 0 and leads != won  # the demo week has data, and the failing comparison below can fail
    tests = f"""\
  - {{name: emea_leads, metric: leads_created, filters: {{region: EMEA}}, equals: {emea:.0f}}}
  - {{name: emea_leads_off_by_one, metric: leads_created, filters: {{region: EMEA}}, equals: {emea + 1:.0f}}}
  - {{name: direct_bookings, metric: bookings, filters: {{channel: direct}}, equals: {direct:.2f}, tolerance: 0.01}}
  - {{name: emea_leads_bounded, metric: leads_created, filters: {{region: EMEA}},
     between: [{emea - 1:.0f}, {emea:.0f}]}}
  - {{name: emea_leads_too_high, metric: leads_created, filters: {{region: EMEA}}, between: [{emea + 1:.0f}, 1e9]}}
  - {{name: same_count_two_ways, metric: leads_created, equals_metric: leads_again}}
  - {{name: leads_are_not_wins, metric: leads_created, equals_metric: won_deals}}
  - {{name: regions_add_up, metric: leads_created, sum_over: region}}
"""
    path = write_catalog(tmp_path, tests, LEADS_AGAIN)
    code = main(["test", "--db", str(demo_path), "--metrics", str(path)])
    out = capsys.readouterr().out
    assert code == 1
    outcome = {line.split()[1]: line.split()[0] for line in out.splitlines() if line[:4] in ("PASS", "FAIL", "ERRO")}
    assert outcome == {
        "emea_leads": "PASS",
        "emea_leads_off_by_one": "FAIL",
        "direct_bookings": "PASS",
        "emea_leads_bounded": "PASS",
        "emea_leads_too_high": "FAIL",
        "same_count_two_ways": "PASS",
        "leads_are_not_wins": "FAIL",
        "regions_add_up": "PASS",
    }
    # a readable diff: expected, actual and the difference
    block = out.split("FAIL  emea_leads_off_by_one")[1].split("\nPASS")[0]
    assert f"expected: = {emea + 1:,.0f}" in block and f"actual:   {emea:,.0f}" in block and "difference: -1" in block
    assert "below the low bound" in out.split("FAIL  emea_leads_too_high")[1]
    assert f"won_deals = {won:,.0f}" in out.split("FAIL  leads_are_not_wins")[1]
    assert out.strip().endswith("5 passed, 3 failed, 0 could not run (8 tests)")


def test_a_test_that_cannot_run_is_an_error_not_a_pass(demo_path: Path, tmp_path: Path) -> None:
    tests = "  - {name: quota_by_source, metric: quota, filters: {source: web}, between: [0, 1e12]}\n"
    catalog = load_catalog(write_catalog(tmp_path, tests))
    [result] = metric_tests.run(Database.open(demo_path), catalog)
    assert result.outcome == "error" and not result.passed
    assert "cannot take these filters" in result.detail


def test_a_week_with_no_value_fails_a_between(demo_path: Path, tmp_path: Path) -> None:
    tests = "  - {name: long_ago, metric: win_rate, week: 2001-W10, between: [0, 1]}\n"
    catalog = load_catalog(write_catalog(tmp_path, tests))
    [result] = metric_tests.run(Database.open(demo_path), catalog)
    assert result.outcome == "fail" and "no value" in result.detail


def test_no_tests_declared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head, _, rest = ORIGINAL.partition("\ntests:\n")
    path = tmp_path / "m.yaml"
    path.write_text(head + "\nmetrics:\n" + rest.partition("\nmetrics:\n")[2], encoding="utf-8")
    assert main(["test", "--metrics", str(path), "--db", str(tmp_path / "none.duckdb")]) == 0
    assert "no tests declared" in capsys.readouterr().out
