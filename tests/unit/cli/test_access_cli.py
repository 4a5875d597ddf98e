"""`access check`, `access who` and `report --as`: the access file from the command line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from scorecard.cli.main import main
from scorecard.store.db import Database
from tests.fixtures import tiny

ACCESS = """\
users:
  - {email: boss@example.com, role: admin}
  - {email: lena@example.com, role: team_lead, scope: {region: EMEA}}
"""


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("access-cli") / "tiny.duckdb"
    tiny.load(Database.open(path))
    return str(path)


@pytest.fixture
def access_file(tmp_path: Path) -> str:
    path = tmp_path / "access.yaml"
    path.write_text(ACCESS, encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_summarises_a_good_file(access_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "access", "check", access_file) == (
        0, f"{access_file}: OK, 2 entries (1 team lead, 1 admin; 1 scoped)\n", ""
    )


def test_check_lists_every_problem_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "access.yaml"
    bad.write_text("users:\n  - {email: a@b.co, role: boss}\n  - {email: nope, role: admin}\n", encoding="utf-8")
    code, out, err = run(capsys, "access", "check", "--access", str(bad))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{bad}:2: role 'boss' is not one of executive, team_lead, analyst, admin",
        f"{bad}:3: 'nope' is not an address, a domain wildcard (`*@example.com`) or `*`",
    ]


def test_who_names_role_scope_rights_and_line(access_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "access", "who", "Lena@Example.com", "--access", access_file)
    assert code == 0
    assert out.splitlines() == [
        "lena@example.com · Team lead · Region: EMEA",
        "may: view",
        f"from {access_file}:3 (lena@example.com)",
    ]
    code, out, _ = run(capsys, "access", "who", "eve@example.com", "--access", access_file)
    assert code == 1 and out.startswith("refused: eve@example.com is not in the access list")


def test_report_as_a_scoped_lead_counts_their_region_only(
    tiny_path: str, access_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["report", "--db", tiny_path, "--week", "2026-W03", "--format", "csv", "--access", access_file]
    code, out, _ = run(capsys, *argv, "--as", "lena@example.com")
    assert code == 0
    rows = {r["metric"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["leads_created"]["value"] == "1"  # W03: L5 is EMEA; L6 and L7 are NA
    code, out, _ = run(capsys, *argv, "--as", "boss@example.com")
    assert {r["metric"]: r for r in csv.DictReader(io.StringIO(out))}["leads_created"]["value"] == "3"


def test_report_as_refuses_filters_outside_the_scope_and_unknown_people(
    tiny_path: str, access_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["report", "--db", tiny_path, "--access", access_file]
    code, out, err = run(capsys, *argv, "--as", "lena@example.com", "--filter", "region=NA")
    assert (code, out) == (1, "")
    assert err.startswith("error: --as: NA is outside your access (Region: EMEA)")
    code, _, err = run(capsys, *argv, "--as", "eve@elsewhere.org")
    assert code == 1 and "not in the access list" in err
