"""Every page can show the SQL behind its numbers; a derived metric shows its formula over its components."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.fixtures.dashboard import PageRunner


def sql_blocks(app: AppTest) -> list[str]:
    return [str(c.value) for c in app.get("code") if c.language == "sql"]


def expander_labels(app: AppTest) -> list[str]:
    return [e.label for e in app.expander]


@pytest.mark.usefixtures("dashboard_db")
def test_explore_shows_the_sql_of_its_chart_and_breakdown(open_page: PageRunner) -> None:
    app = open_page("explore", metric="win_rate", by="region")
    assert not app.exception
    labels = expander_labels(app)
    assert any(label.startswith("SQL behind this chart (Win rate by") for label in labels), labels
    assert "SQL behind this breakdown (by region)" in labels
    blocks = sql_blocks(app)
    assert len(blocks) >= 2 and all("FROM opportunities" in b for b in blocks)
    assert all(c.proto.wrap_lines for c in app.get("code") if c.language == "sql")


@pytest.mark.usefixtures("dashboard_db")
def test_derived_metric_shows_its_formula_over_its_components(open_page: PageRunner) -> None:
    app = open_page("explore", metric="cost_per_won_deal")
    assert not app.exception
    markdown = [m.value for m in app.markdown]
    formula = "`cost_per_won_deal` = `(campaign_cost + campaign_cost_of_sale) / campaign_won_deals`"
    assert any(m.startswith(formula) for m in markdown)
    captions = [c.value for c in app.caption]
    for part in ("campaign_cost", "campaign_cost_of_sale", "campaign_won_deals"):
        assert any(f"(`{part}`)" in c for c in captions), part
    assert any("FROM campaigns" in b for b in sql_blocks(app))


@pytest.mark.usefixtures("dashboard_db")
def test_ranking_and_lead_quality_show_their_sql(open_page: PageRunner) -> None:
    ranking = open_page("ranking")
    assert not ranking.exception
    assert "SQL behind the ranking and its context" in expander_labels(ranking)
    blocks = sql_blocks(ranking)
    assert any("FROM quotas" in b for b in blocks) and any("FROM activities" in b for b in blocks)
    quality = open_page("lead-quality")
    assert not quality.exception
    labels = expander_labels(quality)
    assert "SQL behind the tables by source and by campaign" in labels and "SQL behind the curves" in labels
    assert any("FROM leads" in b for b in sql_blocks(quality))
