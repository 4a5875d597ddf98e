"""A ranking on the data there is: without quotas the default ranking falls back to
bookings, and without any activity logged the minimum-activity rule is not applied; both
are said, never silent.

tests/fixtures/ingest/shapes/deals_noquota.csv (no quotas, no activities), by hand for 2017-Q1:
  Ana Alvarez: Q1 500 (closed Jan 20) + Q2 700 (Feb 10) = 1,200 -> rank 1
  Ben Brown:   Q3 900 (Mar 1)                          =   900 -> rank 2
  Cy Chen: only a lost deal, so no bookings row; Dee Dunn: Q5 closes in Q2 (Apr 3).
Two reps: tier sizes 20/70/10% of 2 round to 0, 2, 0, so both are "middle".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scorecard.catalog.load import load_catalog
from scorecard.cli.main import main
from scorecard.judge.ranking import forced_ranking
from scorecard.language import periods
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database

SHAPES = Path(__file__).resolve().parents[2] / "fixtures" / "ingest" / "shapes"
CATALOG = load_catalog(DEFAULT_METRICS)


@pytest.fixture(scope="module")
def no_quotas(tmp_path_factory: pytest.TempPathFactory) -> str:
    target = tmp_path_factory.mktemp("noquota") / "noquota.duckdb"
    argv = ["import", "--db", str(target), "--mapping", str(SHAPES / "noquota.yaml"), str(SHAPES / "deals_noquota.csv")]
    assert main(argv) == 0
    return str(target)


def test_the_default_ranking_falls_back_to_bookings_and_says_so(no_quotas: str) -> None:
    quarter = periods.parse_period(CATALOG.calendar, "2017-Q1")
    ranking = forced_ranking(Database.open(no_quotas), CATALOG, quarter, group=None)
    assert ranking.of == "bookings"
    # Two reps with bookings in the quarter: ranked, but fewer than the 8 a forced 20/70/10 needs.
    assert [(r.rep, r.value, r.rank, r.tier) for r in ranking.rows] == [
        ("Ana Alvarez", 1200.0, 1.0, "not tiered"),
        ("Ben Brown", 900.0, 2.0, "not tiered"),
    ]
    assert ranking.notes == (
        "ranked on bookings: no rep has a value of quota attainment in 2017-Q1",
        "no rep in this data has a hire date, so tenure is unknown and new reps cannot be flagged",
        "no activities logged in 2017-Q1, so the minimum of 20 is not applied",
    )


def test_the_cli_table_names_the_fallback(no_quotas: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ranking", "--db", no_quotas, "--period", "2017-Q1", "--group", "none"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Forced ranking on Bookings for 2017-Q1")
    assert out[1:4] == [
        "Note: ranked on bookings: no rep has a value of quota attainment in 2017-Q1",
        "Note: no rep in this data has a hire date, so tenure is unknown and new reps cannot be flagged",
        "Note: no activities logged in 2017-Q1, so the minimum of 20 is not applied",
    ]


def test_a_list_of_fallbacks_is_checked_like_of() -> None:
    from scorecard.catalog.load import check_text

    text = DEFAULT_METRICS.read_text(encoding="utf-8").replace(
        "of: [quota_attainment, bookings]", "of: [quota_attainment, bookngs]"
    )
    _, issues = check_text(text)
    assert [i.message for i in issues if i.severity == "error"] == [
        "ranks on unknown metric 'bookngs'; did you mean 'bookings'?"
    ]
