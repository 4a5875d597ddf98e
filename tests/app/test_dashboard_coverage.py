"""Pages open where the data is: on an export that ended in 2017 every page defaults to
its last complete week or quarter and says so; a week outside the data in the address
gives a notice and the nearest week that has data.

The database holds tests/fixtures/ingest/dates/deals_dates.csv only (imported in UTC):
the first row is created 2017-02-27 (2017-W09), the last closes 2017-11-20 (a Monday:
2017-W47, in 2017-Q4).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scorecard.cli.main import main
from tests.fixtures.dashboard import PageRunner

DATES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest" / "dates"


@pytest.fixture(scope="module")
def old_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("old") / "old.duckdb"
    argv = ["import", "--db", str(target), "--mapping", str(DATES / "mapping.yaml"), str(DATES / "deals_dates.csv")]
    assert main(argv) == 0
    return target


@pytest.fixture
def old_data(old_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCORECARD_DB", str(old_db))
    monkeypatch.delenv("SCORECARD_METRICS", raising=False)
    return old_db


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(app, kind)]


def clean(app: AppTest) -> AppTest:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, texts(app, "error")
    return app


@pytest.mark.usefixtures("old_data")
def test_the_scorecard_opens_on_the_last_week_with_data(open_page: PageRunner) -> None:
    app = clean(open_page("scorecard"))
    picker = app.selectbox(key="week_picker")
    assert picker.value == "2017-W47"
    # the weeks the data covers, 2017-W47 back to 2017-W09 (39 weeks), shown with their days
    assert picker.options[0].startswith("2017-W47") and picker.options[-1].startswith("2017-W09")
    assert len(picker.options) == 39
    assert "Data ends 2017-11-20; showing 2017-W47. Pick another period above." in texts(app, "info")
    assert app.query_params["week"] == "2017-W47"


@pytest.mark.usefixtures("old_data")
def test_a_week_after_the_data_gives_a_notice_and_the_nearest_week(open_page: PageRunner) -> None:
    app = clean(open_page("scorecard", week="2027-W05"))
    assert app.selectbox(key="week_picker").value == "2017-W47"
    # (The other warnings on this page: the readiness notice, since this old export supports few
    # metrics, and the example targets, which judge nothing on data that was imported.)
    notices = [w for w in texts(app, "warning") if "shipped examples and judge nothing on this imported data" in w]
    assert len(notices) == 1 and notices[0].startswith("13 targets are still the shipped examples")
    weeks = [w for w in texts(app, "warning") if not w.startswith("Your data supports") and w not in notices]
    assert weeks == [
        "2027-W05 is outside the data: the data covers 2017-02-27 to 2017-11-20 (weeks 2017-W09 to 2017-W47). "
        "Showing the nearest week with data, 2017-W47."
    ]
    inside = clean(open_page("scorecard", week="2017-W20"))
    assert inside.selectbox(key="week_picker").value == "2017-W20"
    assert not [w for w in texts(inside, "warning") if not w.startswith("Your data supports") and w not in notices]


@pytest.mark.usefixtures("old_data")
def test_ranking_and_explore_open_where_the_data_is(open_page: PageRunner) -> None:
    ranking = clean(open_page("ranking"))
    assert ranking.selectbox(key="quarter_picker").value == "2017-Q4"
    assert [o[:7] for o in ranking.selectbox(key="quarter_picker").options] == [
        "2017-Q4",
        "2017-Q3",
        "2017-Q2",
        "2017-Q1",
    ]
    explore = clean(open_page("explore"))
    # 52 weeks ending with 2017-W47 (Nov 20-26): from Monday 2016-11-28 to Sunday 2017-11-26
    assert (explore.query_params["from"], explore.query_params["to"]) == ("2016-11-28", "2017-11-26")


@pytest.mark.usefixtures("old_data")
def test_lead_quality_and_definitions_open_cleanly_on_old_data(open_page: PageRunner) -> None:
    lead_quality = clean(open_page("lead-quality"))
    # cohorts judged as of the end of the data: 52 weeks ending with the newest cohort that had
    # its 220 days by 2017-11-27 (the Monday after the last week with data)
    assert lead_quality.query_params["to"] < "2017-06-01"
    clean(open_page("definitions"))
