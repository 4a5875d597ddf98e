"""A red region is never hidden by a green total, and no company is judged against targets it never set.

The data: deals closed in 2026-W03 (Jan 12-18), by region. NA and EMEA win 60 of 100 each, APAC 1 of
30: company-wide 121 of 230 = 52.6%, comfortably green against the 30% target (its 95% Wilson interval,
worked out with statsmodels below, is all above 30%), while APAC's 3.3% is red (its interval is all
below the 20% amber line) on 30 deals, more than win rate's `min_sample` of 10.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from statsmodels.stats.proportion import proportion_confint

from scorecard.catalog.load import load_catalog
from scorecard.cli.main import main
from scorecard.judge import readiness, weekly
from scorecard.language import periods
from scorecard.store import model
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database, bulk_insert, create_schema, refresh_maintained
from tests.fixtures import tiny

DEALS = {"NA": (100, 60), "EMEA": (100, 60), "APAC": (30, 1)}  # region: (closed, won)


def _deals() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for region, (closed, won) in DEALS.items():
        for i in range(closed):
            day = dt.datetime(2026, 1, 12) + dt.timedelta(hours=3 * i % 150)
            rows.append({
                "id": f"{region}-{i}", "channel": "direct", "region": region, "created_at": day - dt.timedelta(days=40),
                "closed_at": day, "stage": "won" if i < won else "lost", "is_won": i < won, "amount": 1000.0,
            })  # fmt: skip
    return rows


def _load(db: Database, kind: str | None) -> Database:
    """The deals, recorded as loaded by `kind` ("import", "demo") or by other means (None)."""
    with db.writer() as conn:
        create_schema(conn)
        bulk_insert(conn, model.opportunities, tiny.frame_of("opportunities", _deals()))
        if kind is not None:
            conn.execute(sa.insert(model.loads).values(id=1, loaded_at=dt.datetime(2026, 1, 20), kind=kind))
        refresh_maintained(conn)
    return db


@pytest.fixture
def deals_db(make_db: Callable[[str], Database], engine_kind: str) -> Database:
    return _load(make_db(engine_kind), "demo")


def _win_rate(db: Database, catalog_path: Path = DEFAULT_METRICS) -> weekly.ScorecardRow:
    catalog = load_catalog(catalog_path)
    week = periods.parse_week(catalog.calendar, "2026-W03")
    return weekly.build(db, catalog, week, metrics=["win_rate"]).row("win_rate")


def test_a_green_total_names_its_red_region(deals_db: Database) -> None:
    row = _win_rate(deals_db)
    low, high = proportion_confint(121, 230, alpha=0.05, method="wilson")
    assert row.value == pytest.approx(121 / 230) and row.interval == pytest.approx((low, high)) and low > 0.3
    assert (row.status, row.judgeable, row.flags) == ("green", True, ())
    apac_low, apac_high = proportion_confint(1, 30, alpha=0.05, method="wilson")
    assert apac_high < 0.2  # red whatever the noise
    assert [(e.dimension, e.slice, e.status, e.n) for e in row.exceptions] == [("region", "APAC", "red", 30)]
    assert row.exceptions[0].value == pytest.approx(1 / 30)
    assert row.exceptions[0].interval == pytest.approx((apac_low, apac_high))


def test_a_slice_red_only_within_noise_is_not_an_exception(make_db: Callable[[str], Database], engine_kind: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """APAC at 3 wins of 16 (18.8%) reads red by value, but its interval (6.6% to 43.0%) reaches above
    the 20% amber line: within noise, so not an exception."""
    monkeypatch.setitem(DEALS, "APAC", (16, 3))
    low, high = proportion_confint(3, 16, alpha=0.05, method="wilson")
    assert low < 0.2 < high
    row = _win_rate(_load(make_db(engine_kind), "demo"))
    assert row.status == "green" and row.exceptions == ()


def test_example_targets_judge_nothing_on_imported_data_until_confirmed(
    make_db: Callable[[str], Database], engine_kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _load(make_db(engine_kind), "import")
    ready = readiness.check(db, load_catalog(DEFAULT_METRICS))
    assert ready.origin == "imported" and not ready.examples_judge and "win_rate" in ready.example_targets
    assert "judge nothing on this imported data" in (ready.example_notice() or "")
    row = _win_rate(db)
    assert (row.status, row.judgeable) == ("none", False) and "example_target" in row.flags
    assert row.reason is not None and "scorecard targets confirm" in row.reason
    assert row.exceptions == ()  # an unjudged total names no exceptions either

    catalog = tmp_path / "metrics.yaml"
    shutil.copyfile(DEFAULT_METRICS, catalog)
    assert main(["targets", "list", "--metrics", str(catalog)]) == 0
    assert "  win_rate\n" in capsys.readouterr().out
    assert main(["targets", "confirm", "win_rate", "--metrics", str(catalog), "--author", "cro"]) == 0
    assert "confirmed 1 target(s)" in capsys.readouterr().out
    assert "target: {green: 0.3, amber: 0.2}\n" in catalog.read_text()  # the example mark gone, thresholds kept
    assert load_catalog(catalog).metric("sales_accept_rate").target.example  # type: ignore[union-attr]
    confirmed = _win_rate(db, catalog)
    assert (confirmed.status, confirmed.judgeable, confirmed.flags) == ("green", True, ())
    assert [e.slice for e in confirmed.exceptions] == ["APAC"]
    # Confirming a target that is no example any more is a plain error, and changes nothing.
    before = catalog.read_text()
    assert main(["targets", "confirm", "win_rate", "--metrics", str(catalog)]) == 1
    assert "has no example target to confirm" in capsys.readouterr().err and catalog.read_text() == before


def test_example_targets_judge_on_the_demo_and_doctor_says_where_they_do_not(
    make_db: Callable[[str], Database], engine_kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert readiness.check(_load(make_db(engine_kind), "demo"), load_catalog(DEFAULT_METRICS)).examples_judge
    db = _load(make_db(engine_kind), "import")
    assert main(["doctor", "--db", db.url.render_as_string(hide_password=False)]) == 0
    out = capsys.readouterr().out
    assert "Targets: 13 targets are still the shipped examples and judge nothing on this imported data" in out
    assert main(["doctor", "--db", db.url.render_as_string(hide_password=False), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["origin"] == "imported" and report["example_targets_judge"] is False
    assert "win_rate" in report["example_targets"]
