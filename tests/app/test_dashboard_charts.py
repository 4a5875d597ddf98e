"""Chart builders (scorecard.charts) as plain functions: marks, encodings, data values, colours."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scorecard.judge.noise import Change
from scorecard.judge.weekly import Scorecard, ScorecardRow, TrendPoint
from scorecard.language import periods as cal
from scorecard.language.formatting import DEFAULT_LOCALE as USD
from scorecard.language.settings import Calendar
from scorecard.present.charts import export, page, palette, people, trends
from scorecard.present.charts import quality as quality_charts

ROOT = Path(__file__).resolve().parents[2]


def rows_of(spec: dict[str, Any], part: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The inline data rows of a (layer of a) chart spec."""
    data = (part or spec).get("data") or spec["data"]
    return spec["datasets"][data["name"]] if "name" in data else data["values"]


def test_trend_chart_draws_a_line_points_and_a_target() -> None:
    frame = pd.DataFrame(
        {
            "period": ["2026-W46", "2026-W47"],
            "start": [dt.date(2026, 11, 9), dt.date(2026, 11, 16)],
            "value": [0.1, 0.2],
            "value_text": ["10.0%", "20.0%"],
            "n": [50, 3],
            "low_sample": [False, True],
            "mature": [True, True],
        }
    )
    spec = trends.trend_chart(frame, title="Win rate", unit="percent", target=0.3, locale=USD).to_dict()
    line, points, rule = spec["layer"]
    assert line["mark"]["type"] == "line" and line["mark"]["color"] == palette.ACCENT
    assert line["encoding"]["x"]["field"] == "start" and line["encoding"]["x"]["type"] == "temporal"
    assert line["encoding"]["y"]["field"] == "value" and line["encoding"]["y"]["axis"]["format"] == ".0%"
    assert points["mark"]["type"] == "point"
    assert [r["solid"] for r in rows_of(spec, line)] == [True, False]  # the low-sample week is hollow
    assert [r["note"] for r in rows_of(spec, line)] == ["", "low sample"]
    assert rule["mark"]["type"] == "rule" and rule["mark"]["color"] == palette.GOOD
    assert rows_of(spec, rule) == [{"target": 0.3, "text": "target 30.0%"}]
    # The target is named in the title line above the plot, where no data point can sit under it.
    assert spec["title"]["text"] == "- - - target 30.0%" and spec["title"]["anchor"] == "end"
    assert spec["config"]["locale"]["number"]["currency"] == ["$", ""]


def test_trend_chart_leaves_a_gap_where_a_week_has_no_value() -> None:
    frame = pd.DataFrame(
        {
            "period": ["2026-W45", "2026-W46", "2026-W47"],
            "start": [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)],
            "value": [0.1, None, 0.2],
            "value_text": ["10.0%", "–", "20.0%"],
            "n": [50, 0, 40],
            "low_sample": [False, True, False],
            "mature": [True, True, True],
        }
    )
    spec = trends.trend_chart(frame, title="Win rate", unit="percent", locale=USD).to_dict()
    line = spec["layer"][0]
    # The empty week stays in the data as null and breaks the path: no stroke bridges W45 to W47.
    assert [r["value"] for r in rows_of(spec, line)] == [0.1, None, 0.2]
    assert line["mark"]["invalid"] == "break-paths-filter-domains"
    assert "target" not in spec["title"]["text"]


def test_sparkline_breaks_at_missing_weeks_and_dots_a_lone_week() -> None:
    spec = trends.sparkline([1.0, 2.0, None, 3.0, None, 4.0, 5.0], color=palette.BAD)
    line, dots = spec["layer"]
    assert line["mark"]["invalid"] == "break-paths-filter-domains" and line["mark"]["color"] == palette.BAD
    data = rows_of(spec, line)
    assert [r["value"] for r in data] == [1.0, 2.0, None, 3.0, None, 4.0, 5.0]
    # Week 3 has no neighbour with a value: a dot, not a stroke; week 6 is the newest: a dot.
    assert [r["i"] for r in data if r["dot"]] == [3, 6]
    assert dots["transform"] == [{"filter": "datum.dot"}]
    assert line["encoding"]["x"]["scale"]["domain"] == [0, 6]  # a missing week keeps its place


def test_breakdown_chart_colours_by_status_and_can_be_clicked() -> None:
    frame = pd.DataFrame(
        {
            "group": ["NA", "EMEA", "APAC"],
            "value": [0.4, 0.25, 0.1],
            "value_text": ["40.0%", "25.0%", "10.0%"],
            "n": [40, 30, 2],
            "low_sample": [False, False, True],
            "status": ["green", "amber", "red"],
        }
    )
    spec = trends.breakdown_chart(
        frame, title="Win rate", unit="percent", dimension_label="Region", locale=USD
    ).to_dict()
    assert spec["mark"]["type"] == "bar"
    assert spec["params"][0]["name"] == trends.PICK and spec["params"][0]["select"]["fields"] == ["group"]
    assert spec["encoding"]["y"]["field"] == "label" and spec["encoding"]["y"]["sort"]["order"] == "descending"
    assert spec["encoding"]["y"]["title"] is None  # no axis title to sit on the labels
    assert spec["encoding"]["y"]["axis"]["labelLimit"] == 0  # labels are short already: never cut by Vega
    assert spec["encoding"]["color"] == {"field": "color", "scale": None, "type": "nominal"}
    assert [r["color"] for r in rows_of(spec)] == [palette.GOOD, palette.AMBER, palette.BAD]
    # 28 px a bar, as a number (a step height with a fitted width makes Vega-Lite warn on every draw).
    assert spec["height"] == 3 * 28 and spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    plain = trends.breakdown_chart(
        frame.assign(status="none"),
        title="Bookings",
        unit="currency",
        dimension_label="Region",
        selectable=False,
        locale=USD,
    ).to_dict()
    assert "params" not in plain
    assert {r["color"] for r in rows_of(plain)} == {palette.ACCENT}


def test_attainment_chart_colours_tiers_best_green_worst_red() -> None:
    frame = pd.DataFrame(
        {
            "rep": ["Ana", "Ben", "Cy"],
            "group": ["EMEA"] * 3,
            "value": [1.3, 0.9, 0.2],
            "value_text": ["130.0%", "90.0%", "20.0%"],
            "tier": ["top", "middle", "bottom"],
            "rank": [1.0, 2.0, 3.0],
        }
    )
    spec = people.attainment_chart(frame, tiers=["top", "middle", "bottom"], locale=USD).to_dict()
    bars, quota = spec["layer"]
    scale = bars["encoding"]["color"]["scale"]
    assert scale["domain"] == ["top", "middle", "bottom", "not ranked"]
    assert scale["range"] == [palette.GOOD, palette.ACCENT, palette.BAD, palette.NEUTRAL]
    assert quota["mark"]["type"] == "rule" and rows_of(spec, quota) == [{"x": 1.0}]
    assert [r["rep"] for r in rows_of(spec, bars)] == ["Ana", "Ben", "Cy"]
    # Two columns of legend entries fit a phone's chart width; one row of four spilled out of it.
    assert bars["encoding"]["color"]["legend"]["columns"] == 2


def test_volume_quality_chart_lines_up_panels_by_lead_count() -> None:
    frame = pd.DataFrame(
        {
            "group": ["referral", "trade_show"],
            "leads_created": [20.0, 200.0],
            "leads_created_text": ["20", "200"],
            "leads_created_status": ["none", "none"],
            "lead_to_close": [0.1, 0.01],
            "lead_to_close_text": ["10.0%", "1.0%"],
            "lead_to_close_status": ["green", "red"],
        }
    )
    spec = quality_charts.volume_quality_chart(
        frame,
        dimension_label="Lead source",
        measures=[("leads_created", "Leads created", "count"), ("lead_to_close", "Lead-to-close", "percent")],
        locale=USD,
    ).to_dict()
    volume, quality = spec["hconcat"]
    assert volume["encoding"]["y"]["field"] == "label"
    assert volume["encoding"]["y"]["sort"] == ["trade_show", "referral"] == quality["encoding"]["y"]["sort"]
    assert volume["encoding"]["y"]["axis"]["title"] is None and volume["encoding"]["y"]["axis"]["labelLimit"] == 0
    assert spec["autosize"] == {"type": "pad"}  # panels side by side cannot be fitted: no Vega warning
    assert volume["encoding"]["x"]["field"] == "leads_created"
    assert [r["color"] for r in rows_of(spec, volume)] == [palette.ACCENT, palette.ACCENT]
    assert [r["color"] for r in rows_of(spec, quality)] == [palette.GOOD, palette.BAD]


def test_cost_margin_chart_has_the_break_even_line() -> None:
    frame = pd.DataFrame(
        {
            "campaign": ["Flexible terms", "Referral"],
            "cost_per_won_deal": [9_000.0, 1_000.0],
            "margin_per_won_deal": [4_000.0, 8_000.0],
            "cost_to_margin": [1.8, 0.1],
            "won_deals": [5, 3],
            "status": ["red", "green"],
            "cost_per_won_deal_text": ["$9,000", "$1,000"],
            "margin_per_won_deal_text": ["$4,000", "$8,000"],
            "cost_to_margin_text": ["1.80x", "0.10x"],
        }
    )
    spec = quality_charts.cost_margin_chart(frame, locale=USD).to_dict()
    line, _label, points = spec["layer"]
    diagonal = rows_of(spec, line)
    assert diagonal[0] == {"x": 0.0, "y": 0.0} and diagonal[1]["x"] == diagonal[1]["y"] == pytest.approx(9_450.0)
    assert points["mark"]["type"] == "circle"
    assert points["encoding"]["x"]["field"] == "margin_per_won_deal"
    assert points["encoding"]["y"]["field"] == "cost_per_won_deal"
    assert [r["color"] for r in rows_of(spec, points)] == [palette.BAD, palette.GOOD]


def test_maturation_chart_draws_one_line_per_group_and_the_window() -> None:
    frame = pd.DataFrame(
        {
            "group": ["referral", "referral", "trade_show", "trade_show"],
            "weeks": [0, 1, 0, 1],
            "share": [0.0, 0.05, 0.0, 0.01],
            "share_text": ["0.0%", "5.0%", "0.0%", "1.0%"],
            "members": [100, 90, 900, 800],
        }
    )
    spec = quality_charts.maturation_chart(frame, group_label="Lead source", window_weeks=26, locale=USD).to_dict()
    lines, window = spec["layer"]
    assert lines["mark"]["type"] == "line"
    assert lines["encoding"]["color"]["field"] == "label"
    assert lines["encoding"]["color"]["scale"]["domain"] == ["referral", "trade_show"]
    assert spec["params"][0]["bind"] == "legend"
    assert rows_of(spec, window) == [{"weeks": 26}]


def test_maturation_legend_never_cuts_names_to_the_same_text() -> None:
    names = [
        "Paid search: revenue analytics (NA) Q3 2025",
        "Paid search: revenue analytics (NA) Q1 2026",
        "Paid search: revenue analytics (EMEA) Q3 2025",
        "Paid search: revenue analytics (NA) Q4 2025",
    ]
    frame = pd.DataFrame(
        {
            "group": [n for n in names for _ in range(2)],
            "weeks": [0, 1] * 4,
            "share": [0.0, 0.1] * 4,
            "share_text": ["0.0%", "10.0%"] * 4,
            "members": [10] * 8,
        }
    )
    spec = quality_charts.maturation_chart(frame, group_label="Campaign", locale=USD).to_dict()
    color = spec["layer"][0]["encoding"]["color"]
    legend = color["legend"]
    assert legend["labelLimit"] == 0 and legend["orient"] == "bottom" and legend["columns"] == 1
    labels = color["scale"]["domain"]
    assert len(set(labels)) == 4 and all(len(label) <= 30 for label in labels), labels
    assert "Paid search: reve…(NA) Q3 2025" in labels
    tooltip = {t["field"] for t in spec["layer"][0]["encoding"]["tooltip"]}
    assert "group" in tooltip  # the full name is a hover away


def _card() -> Scorecard:
    calendar = Calendar()
    week = cal.parse_week(calendar, "2026-W47")
    trend = tuple(TrendPoint(f"2026-W{36 + i}", 10.0 + i, 40) for i in range(12))

    def row(metric: str, section: str, direction: str, delta: float, **extra: Any) -> ScorecardRow:
        beyond = Change(delta, delta - 1.0, delta + 1.0, delta != 0, "order-statistic z")  # larger than its noise
        return ScorecardRow(
            metric=metric, label=metric.replace("_", " ").capitalize(), section=section,
            owners=("sales", "marketing"), format="hours", direction=direction, value=21.0, previous=21.0 - delta,
            delta=delta, target=8.0, n=40, low_sample=False, min_sample=20, trend=trend,
            week="2026-W47", **{"status": "red", "judgeable": True, "change": beyond, **extra},
        )

    rows = (
        row("speed_to_lead", "sales", "lower_is_better", -2.0),
        row("leads_created", "handover", "higher_is_better", -5.0, cohort="2026-W21"),
        row("bookings", "shared", "higher_is_better", 0.0),
        row("win_rate", "sales", "higher_is_better", -3.0, status="none", judgeable=False, flags=("low_sample",),
            reason="only 3 deals in the week; at least 10 are needed to judge"),
    )
    return Scorecard(week, {}, rows, "test")


def test_scorecard_figure_colours_changes_by_direction() -> None:
    spec = page.scorecard_figure(_card(), title="Scorecard, week 2026-W47", subtitle="all data", locale=USD).to_dict()
    texts = {r["text"]: r for layer in spec["layer"] if layer["mark"]["type"] == "text" for r in rows_of(spec, layer)}
    assert texts["-2.0 h"]["color"] == palette.GOOD  # speed to lead fell: good
    assert texts["-5.0 h"]["color"] == palette.BAD  # leads fell: bad
    assert texts["no change"]["color"] == palette.MUTED
    # Win rate fell, but on 3 deals: no colour, "not judged", and the reason printed under the table.
    assert texts["-3.0 h"]["color"] == palette.MUTED and "not judged" in texts
    assert "Win rate: only 3 deals in the week; at least 10 are needed to judge" in texts
    assert "Leads created  (cohort of 2026-W21)" in texts
    assert [
        t for t in texts if t.startswith("What")
    ] == ["What marketing hands over", "What sales does with it", "What both own"]
    sparks = [layer for layer in spec["layer"] if layer["mark"]["type"] == "line"]
    assert len(rows_of(spec, sparks[0])) == 4 * 12
    assert sparks[0]["encoding"]["detail"]["field"] == "run"


def test_scorecard_figure_greys_a_change_within_noise() -> None:
    """The same -2.0 h that is green beyond its noise is grey, in the PNG/PDF figure as on the
    cards, when its interval (here -6 h to +2 h) holds no change."""
    card = _card()
    quiet = dataclasses.replace(card.rows[0], change=Change(-2.0, -6.0, 2.0, False, "order-statistic z"))
    spec = page.scorecard_figure(
        dataclasses.replace(card, rows=(quiet, *card.rows[1:])), title="t", subtitle="s", locale=USD
    ).to_dict()
    texts = {r["text"]: r for layer in spec["layer"] if layer["mark"]["type"] == "text" for r in rows_of(spec, layer)}
    assert texts["-2.0 h"]["color"] == palette.MUTED
    assert texts["-5.0 h"]["color"] == palette.BAD  # the other rows keep their colour


def test_scorecard_figure_breaks_a_trend_at_a_missing_week() -> None:
    card = _card()
    gappy = tuple(
        TrendPoint(p.week, None if i in (4, 6) else p.value, p.n) for i, p in enumerate(card.rows[0].trend)
    )
    rows = (dataclasses.replace(card.rows[0], trend=gappy), *card.rows[1:])
    spec = page.scorecard_figure(dataclasses.replace(card, rows=rows), title="t", subtitle="s", locale=USD).to_dict()
    layers = [layer for layer in spec["layer"] if layer["mark"]["type"] in ("line", "circle")]
    points = [r for r in rows_of(spec, layers[-2]) if r["metric"] == "speed_to_lead"]
    # Weeks 0-3, week 5 alone, weeks 7-11: three runs, so no stroke crosses weeks 4 or 6.
    runs = {r["run"] for r in points}
    assert len(runs) == 3 and len(points) == 10
    assert [r["i"] for r in points if r["alone"]] == [5]
    dots = rows_of(spec, layers[-1])
    assert {(r["metric"], r["i"]) for r in dots if r["metric"] == "speed_to_lead"} == {
        ("speed_to_lead", 5), ("speed_to_lead", 11)
    }


def test_scorecard_figure_renders_to_png_and_pdf_without_a_browser() -> None:
    figure = page.scorecard_figure(_card(), title="Scorecard", subtitle="all data", locale=USD)
    png = export.to_png(figure, scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") > 1000  # width in pixels: a full page
    assert export.to_pdf(figure)[:5] == b"%PDF-"


def test_theme_repeats_the_chart_palette() -> None:
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    assert theme["greenColor"] == palette.GOOD
    assert theme["orangeColor"] == palette.AMBER
    assert theme["redColor"] == palette.BAD
    assert theme["grayColor"] == palette.NEUTRAL
    assert theme["primaryColor"] == palette.ACCENT
    assert theme["chartCategoricalColors"] == list(palette.CATEGORY_COLORS)
    verdicts = {palette.GOOD, palette.AMBER, palette.BAD}
    assert not verdicts & set(palette.CATEGORY_COLORS)


def test_money_on_axes_is_in_the_catalogs_currency_and_marks() -> None:
    import re

    import vl_convert

    from scorecard.language.settings import Locale

    euro = Locale(code="EUR", symbol="€", symbol_position="after", thousands=".", decimal=",")
    frame = pd.DataFrame(
        {"group": ["a", "b"], "value": [1500.0, -2500.0], "value_text": ["", ""], "n": [3, 4],
         "low_sample": [False, False], "status": ["none", "none"]}
    )

    def labels(locale: Locale) -> list[str]:
        spec = trends.breakdown_chart(frame, title="Bookings", unit="currency", dimension_label="Region",
                                      locale=locale).properties(width=400).to_dict()
        return re.findall(r"<text[^>]*>([^<]*)</text>", vl_convert.vegalite_to_svg(spec))

    # Rendered by Vega itself (vl-convert), so the expression and the locale are both checked.
    assert {"-2,5k\u00a0€", "-1k\u00a0€", "0\u00a0€", "1,5k\u00a0€"} <= set(labels(euro))
    assert {"-$2.5k", "-$1k", "$0", "$1.5k"} <= set(labels(Locale()))
    assert not any("$" in label for label in labels(euro))
