"""The command line: validate, report, ranking, sql, schema; errors are one line, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from scorecard.cli.main import main
from scorecard.store.config import DEFAULT_METRICS, PROJECT_ROOT
from scorecard.store.db import Database
from tests.fixtures import tiny


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "tiny.duckdb"
    tiny.load(Database.open(path))
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_ok(capsys):  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "validate", str(DEFAULT_METRICS))
    assert code == 0 and out.startswith(f"{DEFAULT_METRICS}: OK: ") and "metrics" in out


def test_validate_reports_every_problem_one_per_line(tmp_path: Path, capsys):  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    text = DEFAULT_METRICS.read_text().replace("label: Leads created", "lable: Leads created", 1)
    text = text.replace("target: {green: 0.5, amber: 0.35, example: true}", "target: {green: 0.3, amber: 0.35}")
    bad.write_text(text)
    code, out, err = run(capsys, "validate", str(bad))
    lines = out.strip().splitlines()
    assert code == 1 and "Traceback" not in out + err
    lable = text.splitlines().index("    lable: Leads created") + 1
    threshold = text.splitlines().index("    target: {green: 0.3, amber: 0.35}") + 1
    assert f"{bad}:{lable}: metric leads_created: unknown key 'lable'; did you mean 'label'?" in lines
    assert any(
        line.startswith(f"{bad}:{threshold}: metric sales_accept_rate: thresholds in the wrong order") for line in lines
    )
    assert len(lines) == 3  # plus the missing label


def test_validate_missing_file(capsys):  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "validate", "/nonexistent/metrics.yaml")
    assert code == 1 and err.startswith("error: /nonexistent/metrics.yaml: cannot read")


def test_report_json_shape(tiny_path: str, capsys):  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "report", "--db", tiny_path, "--week", "2026-W03", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    required = {
        "metric",
        "label",
        "value",
        "previous",
        "delta",
        "target",
        "status",
        "n",
        "low_sample",
        "owners",
        "trend",
    }
    assert all(required <= set(r) for r in rows)
    by_name = {r["metric"]: r for r in rows}
    assert by_name["leads_created"]["value"] == 3 and by_name["leads_created"]["previous"] == 4
    # Win rate: sales answers for it, marketing contributes; bookings is a shared outcome.
    assert by_name["win_rate"]["owners"] == ["sales"]
    assert (by_name["win_rate"]["owner"], by_name["win_rate"]["contributors"]) == ("sales", ["marketing"])
    assert by_name["bookings"]["owner"] == "both" and by_name["bookings"]["owners"] == ["sales", "marketing"]
    assert len(by_name["bookings"]["trend"]) == 12 and by_name["bookings"]["trend"][-1] == {
        "week": "2026-W03",
        "value": 8000.0,
        "n": 2,
        "provisional": False,
    }


def test_report_filters_repeat_as_any_of(tiny_path: str, capsys):  # type: ignore[no-untyped-def]
    code, out, _ = run(
        capsys,
        "report",
        "--db",
        tiny_path,
        "--week",
        "2026-W03",
        "--format",
        "csv",
        "--filter",
        "source=referral",
        "--filter",
        "source=webinar",
    )
    assert code == 0
    rows = {r["metric"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["leads_created"]["value"] == "2"  # L5 referral + L7 webinar
    assert rows["leads_created"]["trend"].endswith(";1;2")  # W02: L3 referral


def test_report_table_groups_sections(tiny_path: str, capsys):  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "report", "--db", tiny_path, "--week", "2026-W03")
    assert code == 0
    assert out.index("What marketing hands over") < out.index("What sales does with it") < out.index("What both own")
    assert "Bookings" in out and "$8,000" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--week", "2026-W99"], "--week: '2026-W99': 2026 has no week 99"),
        (["report", "--filter", "regoin=EMEA"], "unknown dimension 'regoin'"),
        (["report", "--filter", "region"], "write DIMENSION=VALUE"),
        (["sql", "bookngs"], "unknown metric 'bookngs'; did you mean 'bookings'?"),
        (["ranking", "--group", "planet"], "unknown peer group 'planet'"),
    ],
)
def test_errors_are_one_line(tiny_path: str, capsys, argv: list[str], message: str):  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, *argv, *(["--db", tiny_path] if argv[0] != "sql" else []))
    assert code == 1 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_report_on_missing_database(tmp_path: Path, capsys):  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "report", "--db", str(tmp_path / "none.duckdb"))
    assert code == 1 and "has no Scorecard data" in err


def test_sql_prints_bound_statement_per_dialect(capsys):  # type: ignore[no-untyped-def]
    code, out, _ = run(
        capsys, "sql", "calls_per_close", "--dialect", "sqlite", "--week", "2026-W03", "--filter", "region=EMEA"
    )
    assert (
        code == 0
        and out.startswith("WITH periods(period, p_start, p_end")
        and "activities.type = 'call'" in out
        and "IN ('EMEA')" in out
    )
    code, out, _ = run(capsys, "sql", "cost_per_won_deal", "--week", "2026-W03")
    assert code == 0 and out.count("-- ") == 3  # three component statements, each labelled


def test_ranking_table_and_json(tiny_path: str, capsys):  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "ranking", "--db", tiny_path, "--period", "2026-Q1", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    # Tiny has 2 sales reps with quotas; both have under 20 activities in Q1 (Ana 8, Ben 6), so neither is ranked.
    assert {r["rep"] for r in rows} == {"Ana Alves", "Ben Brown"} and {r["tier"] for r in rows} == {"not ranked"}


def test_schema_command_matches_published_file(capsys):  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "schema")
    assert code == 0 and json.loads(out) == json.loads((PROJECT_ROOT / "metrics.schema.json").read_text())


@pytest.mark.slow  # a real process
def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "scorecard", "--help"], capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    assert result.returncode == 0 and "validate" in result.stdout and "report" in result.stdout


def test_sql_prints_one_period_per_line_as_the_page_does(capsys):  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "sql", "win_rate", "--week", "2026-W03", "--weeks", "12")
    assert code == 0
    lines = out.splitlines()
    # The 12 weeks of the periods list: the first after "WITH periods(...) AS (", then one UNION ALL line each,
    # written as typed literals (DuckDB): 7 values of about 20 characters.
    assert lines[0] == "WITH periods(period, p_start, p_end, p_first, p_last, a_first, a_last) AS ("
    assert lines[1].startswith("  SELECT DATE '2025-10-27', TIMESTAMP '2025-10-27 00:00:00'")  # 12 weeks to W03
    assert sum(line.startswith("    UNION ALL SELECT DATE '") for line in lines) == 11
    assert max(len(line) for line in lines[:13]) < 200  # one short line a period
    # The logic follows, laid out one clause and one column a line.
    assert "\nSELECT\n" in out and "\nGROUP BY\n" in out


@pytest.mark.parametrize("argv", [["ranking", "--period", "2026-Q1"], ["report", "--week", "2026-W03"]])
@pytest.mark.slow  # real processes closing a pipe
def test_a_closed_pipe_ends_quietly(tiny_path: str, argv: list[str]):  # type: ignore[no-untyped-def]
    # `python -m scorecard ranking | head`: the reader is gone before anything is written.
    process = subprocess.Popen(
        [sys.executable, "-m", "scorecard", *argv, "--db", tiny_path],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=PROJECT_ROOT,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141  # 128 + SIGPIPE, like other Unix tools
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_report_table_writes_money_in_the_catalogs_currency(tiny_path: str, tmp_path: Path, capsys):  # type: ignore[no-untyped-def]
    euro = tmp_path / "metrics.yaml"
    text = DEFAULT_METRICS.read_text()
    start, end = text.index("locale:"), text.index("relationships:")
    euro.write_text(
        text[:start] + 'locale: {code: EUR, symbol: "€", symbol_position: after, thousands: ".", decimal: ","}\n\n'
        + text[end:]
    )
    code, out, _ = run(capsys, "report", "--db", tiny_path, "--week", "2026-W03", "--metrics", str(euro))
    assert code == 0
    bookings = next(line for line in out.splitlines() if line.strip().startswith("Bookings"))
    # Tiny W03 bookings: O2 5000 + O5 3000 = 8000; W02 1000 (tests/test_metrics.py).
    assert "8.000\u00a0€" in bookings and "1.000\u00a0€" in bookings and "$" not in bookings
