"""Every dashboard page through Streamlit's AppTest on a small demo database.

Pages render without exceptions, filters change the numbers shown, URL parameters restore
the view, and a filter that matches nothing shows a plain message instead of a chart.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import dashboard
from scorecard.language.settings import Calendar
from scorecard.present import views
from scorecard.store.config import DEFAULT_METRICS
from tests.fixtures.dashboard import EMPTY_CAMPAIGN, ROOT, PageRunner

PAGES = ("scorecard", "explore", "ranking", "lead-quality", "definitions")


def texts(app: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(app, kind)]


def charts_of(app: AppTest) -> list[object]:
    return list(app.get("vega_lite_chart"))


def ok(app: AppTest) -> AppTest:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, texts(app, "error")
    return app


# --- every page -------------------------------------------------------------------------------


@pytest.mark.usefixtures("dashboard_db")
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(open_page: PageRunner, page: str) -> None:
    app = ok(open_page(page))
    assert app.title, "every page has a title"
    if page != "definitions":
        assert app.multiselect(key="region").options, "the sidebar offers the regions in the data"


def test_the_data_page_is_wired_in_when_present() -> None:
    present = (Path(dashboard.__file__).parent / "app" / "data_page.py").exists()
    page = dashboard._data_page()
    assert (page is not None) == present
    if present:
        from app import data_page

        assert page is data_page.render
    assert [title for _, _, title, _, _ in dashboard.PAGES] == [
        "Weekly scorecard", "Explore", "Forced ranking", "Lead quality", "Metric definitions"
    ]


def _broken_data_page(root: str, folder: str) -> None:
    import sys

    for path in (root, folder):
        if path not in sys.path:
            sys.path.insert(0, path)
    import dashboard

    page = dashboard._data_page("broken_data_page_for_test")
    assert page is not None
    page()


def test_a_missing_data_page_is_left_out_and_a_broken_one_shows_its_error(tmp_path: Path) -> None:
    assert dashboard._data_page("app.no_such_page") is None
    (tmp_path / "broken_data_page_for_test.py").write_text("def render(:\n    pass\n")
    app = AppTest.from_function(_broken_data_page, args=(str(ROOT), str(tmp_path))).run()
    assert not app.exception
    assert "The Data page could not be loaded" in texts(app, "error")[0]


def test_a_missing_database_says_how_to_build_it(
    open_page: PageRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nothing-here.duckdb"
    monkeypatch.setenv("SCORECARD_DB", str(missing))
    for page in ("scorecard", "explore", "ranking", "lead-quality"):
        app = open_page(page)
        assert not app.exception
        assert "No Scorecard data yet" in texts(app, "info")[0]
        assert f"python -m scorecard demo --db {missing}" in texts(app, "code")[0]
    assert not open_page("definitions").exception  # definitions need no data


# --- weekly scorecard -----------------------------------------------------------------------------


def card_values(app: AppTest) -> list[str]:
    return [str(m.value) for m in app.metric]


@pytest.mark.usefixtures("dashboard_db")
def test_scorecard_shows_every_section_and_metric(open_page: PageRunner) -> None:
    app = ok(open_page("scorecard"))
    assert [s.value for s in app.subheader] == [
        "What marketing hands over",
        "What sales does with it",
        "What both own",
    ]
    assert len(app.metric) >= 15
    assert app.query_params["week"] == views.week_choices(Calendar())[0].label  # the week is always in the URL
    captions = " ".join(texts(app, "caption"))
    assert "cohort of " in captions and "target ≥" in captions and "n = " in captions


@pytest.mark.usefixtures("dashboard_db")
def test_scorecard_filter_changes_the_numbers(open_page: PageRunner) -> None:
    app = ok(open_page("scorecard"))
    everyone = card_values(app)
    region = app.multiselect(key="region").options[0]
    app.multiselect(key="region").set_value([region])
    ok(app.run())
    assert card_values(app) != everyone
    assert f"Region: {region}" in " ".join(texts(app, "caption"))


@pytest.mark.usefixtures("dashboard_db")
def test_scorecard_url_restores_week_and_filters(open_page: PageRunner) -> None:
    week = views.week_choices(Calendar())[5].label
    app = ok(open_page("scorecard", week=week, region=["EMEA", "NA"]))
    assert app.selectbox(key="week_picker").value == week
    assert app.multiselect(key="region").value == ["EMEA", "NA"]
    assert app.query_params["week"] == week and app.query_params["region"] == ["EMEA", "NA"]
    # A week before the data: a notice, and the nearest week that has data (the oldest offered).
    bad = ok(open_page("scorecard", week="1999-W01"))
    oldest = bad.selectbox(key="week_picker").options[-1].split(" ")[0]  # options read "2023-W46 · 13–19 Nov"
    assert bad.selectbox(key="week_picker").value == oldest
    warnings = texts(bad, "warning")
    assert any(t.startswith("1999-W01 is outside the data") and t.endswith(f"with data, {oldest}.") for t in warnings)


@pytest.mark.usefixtures("dashboard_db")
def test_scorecard_filter_with_no_data_shows_a_message(open_page: PageRunner) -> None:
    app = ok(open_page("scorecard", campaign=EMPTY_CAMPAIGN))
    assert app.multiselect(key="campaign").value == [EMPTY_CAMPAIGN]
    assert any("Nothing matches these filters" in t for t in texts(app, "info"))
    assert not app.metric


@pytest.mark.usefixtures("dashboard_db")
def test_scorecard_definition_opens_yaml_and_sql(open_page: PageRunner) -> None:
    app = ok(open_page("scorecard"))
    app.button(key="definition_lead_to_close").click()
    ok(app.run())
    code = texts(app, "code")
    assert any(c.startswith("- name: lead_to_close") for c in code)
    assert any("SELECT" in c and "leads" in c for c in code)


@pytest.mark.usefixtures("dashboard_db")
def test_scorecard_offers_csv_xlsx_png_and_pdf(open_page: PageRunner) -> None:
    app = ok(open_page("scorecard"))
    labels = [b.label for b in app.get("download_button")]
    assert labels == ["CSV", "XLSX", "PNG", "PDF"]


# --- explore ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("dashboard_db")
def test_explore_draws_a_trend_and_a_breakdown(open_page: PageRunner) -> None:
    app = ok(open_page("explore"))
    assert texts(app, "subheader")[0] == "Bookings by week"
    assert len(charts_of(app)) == 2
    assert app.query_params["metric"] == "bookings" and app.query_params["by"] == "region"


@pytest.mark.usefixtures("dashboard_db")
def test_explore_url_restores_the_view(open_page: PageRunner) -> None:
    app = ok(
        open_page("explore", metric="win_rate", grain="month", by="segment", region="EMEA",
                  **{"from": "2026-01-01", "to": "2026-06-30"})
    )
    assert texts(app, "subheader")[0] == "Win rate by month"
    assert app.selectbox(key="explore_by").value == "segment"
    assert app.multiselect(key="region").value == ["EMEA"]
    assert "2026-01-01 to 2026-06-30" in " ".join(texts(app, "caption"))
    table = app.dataframe[0].value
    assert list(table.columns)[:2] == ["Segment", "Win rate"]


@pytest.mark.usefixtures("dashboard_db")
def test_explore_filter_changes_the_breakdown(open_page: PageRunner) -> None:
    app = ok(open_page("explore", by="product"))
    everyone = app.dataframe[0].value.iloc[:, 1].tolist()
    app.multiselect(key="segment").set_value([app.multiselect(key="segment").options[0]])
    ok(app.run())
    assert app.dataframe[0].value.iloc[:, 1].tolist() != everyone


@pytest.mark.usefixtures("dashboard_db")
def test_explore_drills_from_a_region_to_its_reps(open_page: PageRunner) -> None:
    app = ok(open_page("explore"))
    region = app.dataframe[0].value.iloc[0, 0]
    app.selectbox(key="drill").select(region)
    ok(app.run())
    assert app.multiselect(key="region").value == [region]
    assert app.selectbox(key="explore_by").value == "rep"
    assert app.dataframe[0].value.columns[0] == "Rep"
    assert app.query_params["by"] == "rep"  # bound filters reach the URL in the browser (see the e2e test)
    app.button(key="drill_up").click()
    ok(app.run())
    assert app.multiselect(key="region").value == []
    assert app.selectbox(key="explore_by").value == "region"


@pytest.mark.usefixtures("dashboard_db")
def test_explore_filter_with_no_data_shows_a_message(open_page: PageRunner) -> None:
    app = ok(open_page("explore", metric="leads_created", campaign=EMPTY_CAMPAIGN))
    assert any(t.startswith("No data for Leads created") for t in texts(app, "info"))
    assert not charts_of(app)


# --- forced ranking --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("dashboard_db")
def test_ranking_shows_tiers_and_the_context_of_each_rank(open_page: PageRunner) -> None:
    app = ok(open_page("ranking"))
    table = app.dataframe[0].value
    # The main table holds what explains a rank and nothing else, so it fits at 1440 px.
    # The last complete quarter's leads have not had their 180 days yet: their lead-to-close is "so far".
    lead_quality = "Lead-to-close of their leads (so far)"
    assert list(table.columns) == ["Rank", "Rep", "Quota attainment", "Tier", "Tenure (months)", "Deals closed",
                                   lead_quality, "Win rate", "Note"]
    assert {"top", "middle"} <= set(table["Tier"])
    assert table[lead_quality].notna().any(), "an AE's leads are the leads behind their deals"
    assert len(charts_of(app)) == 1
    detail = app.dataframe[1].value
    for column in ("Peer group", "Percentile", "Calls per close", "Sales cycle (median days)",
                   "Open pipeline (period end)", "Tenure (months)"):
        assert column in detail.columns, column
    assert len(detail) >= len(table)


@pytest.mark.usefixtures("dashboard_db")
def test_ranking_url_restores_quarter_and_peer_group(open_page: PageRunner) -> None:
    quarter = views.quarter_choices(Calendar())[2].label
    app = ok(open_page("ranking", quarter=quarter, peers="everyone", region="EMEA"))
    assert app.selectbox(key="quarter_picker").value == quarter
    assert app.segmented_control(key="ranking_peers").value == "everyone"
    table = app.dataframe[1].value  # the detail view lists every group
    assert set(table["Peer group"]) == {"all"}
    assert len(table) < len(ok(open_page("ranking", quarter=quarter, peers="everyone")).dataframe[1].value)


@pytest.mark.usefixtures("dashboard_db")
def test_ranking_filter_with_no_data_shows_a_message(open_page: PageRunner) -> None:
    app = ok(open_page("ranking", team="marketing"))  # marketers carry no quota
    assert not charts_of(app)
    assert any("No rep has quota attainment or bookings to rank on" in t for t in texts(app, "info"))


@pytest.mark.usefixtures("dashboard_db")
def test_ranking_says_when_a_filter_cannot_apply(open_page: PageRunner) -> None:
    app = ok(open_page("ranking", campaign=EMPTY_CAMPAIGN))
    assert "cannot be filtered this way" in texts(app, "warning")[0]
    assert not charts_of(app)


# --- lead quality ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("dashboard_db")
def test_lead_quality_by_source_campaign_and_cohort(open_page: PageRunner) -> None:
    app = ok(open_page("lead-quality"))
    assert [s for s in texts(app, "subheader")] == [
        "By lead source",
        "Early signal, projection and final",
        "By campaign",
        "How cohorts mature",
    ]
    assert len(charts_of(app)) == 5  # source, outlook, campaigns, cost vs margin, maturation
    outlook = app.dataframe[1].value
    projected, final = outlook["Projected (not judged)"], outlook["Lead-to-close (220 d), final"]
    # Young cohorts carry a projected range and no final value; mature ones the other way round.
    assert (projected != "").any() and final.notna().any()
    assert not ((projected != "") & final.notna()).any()
    assert "from" in app.query_params and "to" in app.query_params


@pytest.mark.usefixtures("dashboard_db")
def test_lead_quality_url_and_filters(open_page: PageRunner) -> None:
    dates = {"from": "2025-06-01", "to": "2026-01-31"}
    app = ok(open_page("lead-quality", curves="region", source="referral", **dates))
    assert app.segmented_control(key="lead_curves").value == "region"
    assert app.date_input(key="lead_range").value == (dt.date(2025, 6, 1), dt.date(2026, 1, 31))
    sources = app.dataframe[0].value
    assert sources.iloc[:, 0].tolist() == ["referral"]


@pytest.mark.usefixtures("dashboard_db")
def test_lead_quality_filter_with_no_data_shows_a_message(open_page: PageRunner) -> None:
    app = ok(open_page("lead-quality", campaign=EMPTY_CAMPAIGN))
    assert any(t.startswith("No leads were created") for t in texts(app, "info"))
    assert not charts_of(app)


# --- metric definitions --------------------------------------------------------------------------------


@pytest.mark.usefixtures("dashboard_db")
def test_definitions_url_opens_a_metric_with_its_yaml_and_sql(open_page: PageRunner) -> None:
    app = ok(open_page("definitions", metric="pipeline_coverage"))
    assert app.selectbox(key="definition_metric").value == "pipeline_coverage"
    code = texts(app, "code")
    assert code[0].startswith("- name: pipeline_coverage\n")
    assert "formula:" in code[0]
    # derived: the statements of open_pipeline and quota, in each of three dialects
    assert sum("FROM opportunities" in c for c in code) == 3
    assert sum("FROM quotas" in c for c in code) == 3


@pytest.mark.usefixtures("dashboard_db")
def test_a_broken_catalog_on_disk_keeps_the_last_valid_one(
    open_page: PageRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = tmp_path / "metrics.yaml"
    shutil.copy(DEFAULT_METRICS, catalog)
    monkeypatch.setenv("SCORECARD_METRICS", str(catalog))
    assert not ok(open_page("scorecard")).warning
    catalog.write_text(catalog.read_text().replace("type: ratio", "type: ration", 1))
    for page in ("scorecard", "definitions"):
        app = open_page(page)
        assert not app.exception
        warning = texts(app, "warning")[0]
        assert "showing the last valid version" in warning
        assert "metrics.yaml:" in warning and "ration" in warning
    assert open_page("scorecard").metric, "the scorecard is still served"


@pytest.mark.usefixtures("dashboard_db")
def test_dashboard_file_runs_as_streamlit_runs_it() -> None:
    """As a script (not imported), so Streamlit's "magic" would show any stray module-level string."""
    app = ok(AppTest.from_file(ROOT / "dashboard.py", default_timeout=60).run())
    first = next(iter(app.main.children.values()))
    assert first.type == "title" and first.value == "Weekly scorecard"


@pytest.mark.usefixtures("dashboard_db")
@pytest.mark.parametrize("page", ["scorecard", "explore", "ranking", "lead-quality", "definitions", "data"])
def test_every_table_writes_a_dash_for_a_missing_value(open_page: PageRunner, page: str) -> None:
    # Streamlit draws a missing cell as "None" unless the table names a placeholder; tables are drawn
    # on a canvas, so the browser test cannot read them: every table here must set it.
    app = ok(open_page(page, **({"by": "campaign", "metric": "won_deals"} if page == "explore" else {})))
    for table in app.dataframe:
        assert table.proto.placeholder == "–", page
