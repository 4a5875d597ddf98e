"""Altair chart builders for the dashboard and the exports: plain functions returning charts.

No Streamlit here: pages pass finished, tidy frames (built by `scorecard.views`) and get a
chart back, so the same figure is drawn in the browser and rendered to PNG/PDF by
vl-convert without one. Colour means one thing everywhere: green good, amber close,
red bad (read in each metric's direction), blue for plain quantities, grey for "no
verdict". The palette lives here and `.streamlit/config.toml` repeats it for
Streamlit's own elements (a test keeps the two in step); the theme also sets the text
and background colours of badges and deltas, each pair at WCAG AA contrast.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import altair as alt
import pandas as pd

from scorecard.judge.drivers import Movement, drivers_line
from scorecard.judge.weekly import Scorecard, ScorecardRow
from scorecard.language.formatting import DEFAULT_LOCALE, format_delta, format_value
from scorecard.language.settings import Locale
from scorecard.present.report import SECTIONS
from scorecard.present.views import change_tone, noted_positions, owners_text, short_names
from scorecard.store.notes import Note

# --- one palette ------------------------------------------------------------------------

GOOD: Final = "#0f766e"
"""Teal green: on target, or a change in the metric's good direction.

Good, amber and bad are chosen to stay apart for readers with deuteranopia or protanopia
(tests/app/test_palette.py simulates both); status is always written in words as well."""
AMBER: Final = "#d97706"
"""Amber: between the amber and green thresholds."""
BAD: Final = "#b42318"
"""Brick red: off target, or a change in the metric's bad direction."""
NEUTRAL: Final = "#94a3b8"
"""Grey: no target, no change, not ranked, or too few to judge."""
ACCENT: Final = "#2563eb"
"""Blue: a plain quantity with no verdict (lead counts, a metric without a target)."""
INK: Final = "#1f2937"
MUTED: Final = "#6b7280"
RULE: Final = "#e5e7eb"

STATUS_COLORS: Final[Mapping[str, str]] = MappingProxyType(
    {"green": GOOD, "amber": AMBER, "red": BAD, "none": NEUTRAL}
)
"""Scorecard status -> colour."""

CATEGORY_COLORS: Final[tuple[str, ...]] = (
    "#2563eb",
    "#db2777",
    "#0891b2",
    "#7c3aed",
    "#1e293b",
    "#60a5fa",
    "#c084fc",
    "#64748b",
    "#0e7490",
    "#4338ca",
)
"""Colours for categories (sources, campaigns). None is green, amber or red, which carry verdicts."""

NOT_RANKED: Final = "not ranked"
NOT_TIERED: Final = "not tiered"
FONT: Final = "DejaVu Sans, Helvetica, Arial, sans-serif"


def tier_colors(tiers: Sequence[str]) -> dict[str, str]:
    """Tier -> colour: the best tier green, the worst red, those between blue, unranked grey."""
    colors: dict[str, str] = {}
    for i, tier in enumerate(tiers):
        if i == 0 and len(tiers) > 1:
            colors[tier] = GOOD
        elif i == len(tiers) - 1 and len(tiers) > 1:
            colors[tier] = BAD
        else:
            colors[tier] = ACCENT
    colors[NOT_RANKED] = NEUTRAL
    colors[NOT_TIERED] = NEUTRAL  # ranked in a group too small to tier: no verdict, no colour
    return colors


TONE_COLORS: Final[Mapping[str, str]] = MappingProxyType({"good": GOOD, "bad": BAD, "none": NEUTRAL})
"""A change's tone (`views.change_tone`) -> colour."""


def change_color(row: ScorecardRow, compact: bool = False) -> str:
    """Green if last week's change went the metric's good way, red if the bad way, grey if none as shown."""
    return TONE_COLORS[change_tone(row, compact)]


BREAK_GAPS: Final = "break-paths-filter-domains"
"""Vega-Lite `invalid` mode for lines: a week without a value breaks the line instead of being bridged."""


def vega_locale(locale: Locale = DEFAULT_LOCALE) -> dict[str, Any]:
    """The catalog's locale as a Vega number locale, so axis labels use its currency and marks."""
    currency = ["", "\u00a0" + locale.symbol] if locale.symbol_position == "after" else [locale.symbol, ""]
    return {
        "number": {
            "decimal": locale.decimal,
            "thousands": locale.thousands,
            "grouping": [3],
            "currency": currency,
            "minus": "-",
        }
    }


def localised(chart: Any, locale: Locale = DEFAULT_LOCALE) -> Any:
    """A top-level chart whose number formats follow `locale` (Vega's `config.locale`)."""
    return chart.configure(locale=vega_locale(locale))


# --- number formats on axes ---------------------------------------------------------------

_SUFFIX = {"days": " d", "hours": " h", "ratio": "x"}


def axis(unit: str, title: str | None = None, locale: Locale = DEFAULT_LOCALE, **kwargs: Any) -> alt.Axis:
    """An axis whose labels read like `formatting.format_value` for the metric's unit.

    Money carries the catalog's symbol where it writes it ($1.5M, 1,5M €); the marks
    come from the chart's Vega locale (`localised`).
    """
    if unit == "percent":
        return alt.Axis(title=title, format=".0%", **kwargs)
    if unit == "currency":
        symbol = locale.symbol.replace("\\", "\\\\").replace("'", "\\'")
        sign = "(datum.value < 0 ? '-' : '')"  # -$5k, never $-5k
        amount = "replace(format(abs(datum.value), '~s'), 'G', 'B')"  # billions are B, as on the cards
        label = (
            f"{sign} + {amount} + '\u00a0{symbol}'"
            if locale.symbol_position == "after"
            else f"{sign} + '{symbol}' + {amount}"
        )
        return alt.Axis(title=title, labelExpr=label, **kwargs)
    if unit == "count":
        return alt.Axis(title=title, format="~s", **kwargs)
    if unit in _SUFFIX:
        digits = ".1f" if unit == "ratio" else ",.0f"
        return alt.Axis(title=title, labelExpr=f"format(datum.value, '{digits}') + '{_SUFFIX[unit]}'", **kwargs)
    return alt.Axis(title=title, format=",.2~f", **kwargs)


def _rows(step: int) -> alt.Step:
    """Height of a chart with one band per row: a fixed step per row, whatever the container does."""
    return alt.Step(step)


def _height(rows: int, step: int) -> int:
    """Height in pixels of `rows` bands of `step` pixels, for a chart that also fits the page's width.

    (A step height with a fitted width makes Vega-Lite log a warning on every draw.)
    """
    return max(1, rows) * step


FIT_WIDTH: Final = alt.AutoSizeParams(type="fit-x", contains="padding")
"""Autosize of a bar chart with a height per row: fit the page's width only."""
AS_DRAWN: Final = alt.AutoSizeParams(type="pad")
"""Autosize of side-by-side panels, which Vega cannot fit to a width: drawn at their own size."""


# --- trends and breakdowns ----------------------------------------------------------------


def trend_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str,
    target: float | None = None,
    height: int = 280,
    notes: pd.DataFrame | None = None,
    locale: Locale = DEFAULT_LOCALE,
) -> alt.LayerChart:
    """A metric over time: a line through each period's value, a dashed green target.

    With `notes` (columns start, period, text; see `note_marks`) the periods that carry a note
    get a violet dotted rule whose tooltip reads the notes.

    `frame` columns: period (label), start (date), value, value_text, n, low_sample,
    mature. Points of low-sample or still-maturing periods are drawn hollow and grey,
    so a reader does not take a young cohort or three closes for a trend. A period
    without a value is a gap in the line, never a stroke bridging it. The target is
    named in the chart's title line, where no data point can sit under it.
    """
    data = frame.assign(
        start=pd.to_datetime(frame["start"]),
        note=[_point_note(low, mature) for low, mature in zip(frame["low_sample"], frame["mature"], strict=True)],
        solid=[bool(mature and not low) for low, mature in zip(frame["low_sample"], frame["mature"], strict=True)],
    )
    base = alt.Chart(data).encode(
        x=alt.X("start:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=8)),
        y=alt.Y("value:Q", axis=axis(unit, title, locale), scale=alt.Scale(zero=unit in ("count", "currency"))),
        tooltip=[
            alt.Tooltip("period:N", title="Period"),
            alt.Tooltip("value_text:N", title=title),
            alt.Tooltip("n:Q", title="n", format=","),
            alt.Tooltip("note:N", title="Note"),
        ],
    )
    line = base.mark_line(color=ACCENT, strokeWidth=2, interpolate="linear", invalid=BREAK_GAPS)
    points = base.mark_point(size=46, strokeWidth=1.6, filled=True).encode(
        stroke=alt.Stroke("solid:N", scale=alt.Scale(domain=[True, False], range=[ACCENT, NEUTRAL]), legend=None),
        fill=alt.Fill("solid:N", scale=alt.Scale(domain=[True, False], range=[ACCENT, "#ffffff"]), legend=None),
    )
    layers: list[alt.Chart] = [line, points]
    if notes is not None and len(notes):
        layers.insert(0, note_marks(notes))
    heading = alt.TitleParams("", anchor="end", fontSize=11, fontWeight="normal", color=GOOD)
    if target is not None:
        rule = pd.DataFrame({"target": [target], "text": [f"target {format_value(target, unit, locale=locale)}"]})
        layers.append(
            alt.Chart(rule).mark_rule(color=GOOD, strokeDash=[6, 4], strokeWidth=1.5).encode(y="target:Q")
        )
        heading = alt.TitleParams(
            f"- - - target {format_value(target, unit, locale=locale)}",
            anchor="end", fontSize=11, fontWeight="normal", color=GOOD,
        )
    return localised(alt.LayerChart(layer=layers).properties(height=height, title=heading), locale)


def sparkline(
    values: Sequence[float | None],
    *,
    color: str = ACCENT,
    height: int = 56,
    notes: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """A card's 12-week trend, as a Vega-Lite spec: a line that breaks where a week has no value,
    the newest week as a dot.

    Weeks are evenly spaced by position, so a missing week keeps its place (a gap), and a
    week alone between gaps is a dot, not a stroke to a neighbour it does not have. `notes`
    maps a week's position to its notes: that week gets a violet dotted rule whose tooltip
    reads them (the same mark as on the trend charts).

    The chart is built and validated by Altair once per shape (number of weeks, colour,
    height, notes or not) and the card's numbers are put into a copy: building and
    validating it anew took about 20 ms a card, 0.4 s of every weekly page's 21 cards.
    """
    points = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values]
    known = {i for i, v in enumerate(points) if v is not None}
    newest = max(known) if known else None
    rows = [
        {"i": i, "value": v, "dot": i in known and (i == newest or (i - 1 not in known and i + 1 not in known))}
        for i, v in enumerate(points)
    ]
    spec = json.loads(_sparkline_template(len(points), color, height, bool(notes)))
    spec["datasets"] = {"points": rows}
    if notes:
        spec["datasets"]["notes"] = [{"i": i, "text": text} for i, text in notes.items()]
    return spec  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=256)
def _sparkline_template(length: int, color: str, height: int, with_notes: bool) -> str:
    """The sparkline's spec without its numbers (named datasets `points`, `notes`), as JSON text."""
    x = alt.X("i:Q", axis=None, scale=alt.Scale(domain=[0, max(1, length - 1)], nice=False, zero=False))
    y = alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False, nice=False))
    points = alt.NamedData(name="points")
    line = alt.Chart(points).mark_line(color=color, strokeWidth=2, invalid=BREAK_GAPS).encode(x=x, y=y)
    dots = (
        alt.Chart(points).transform_filter(alt.datum.dot).mark_circle(color=color, size=28, opacity=1).encode(x=x, y=y)
    )
    layers: list[alt.Chart] = [line, dots]
    if with_notes:
        layers.insert(
            0,
            alt.Chart(alt.NamedData(name="notes"))
            .mark_rule(color=NOTE_COLOR, strokeDash=[2, 2], strokeWidth=1.5)
            .encode(x=x, tooltip=[alt.Tooltip("text:N", title="Notes")]),
        )
    chart = (
        alt.LayerChart(layer=layers)
        .properties(height=height, padding={"left": 4, "right": 6, "top": 4, "bottom": 4})
        .configure_view(stroke=None)
    )
    return json.dumps(chart.to_dict())


def compare_chart(frame: pd.DataFrame, *, title: str, unit: str, height: int = 220) -> alt.Chart:
    """A metric under its current (grey, dashed) and proposed (blue) definition, week by week.

    `frame` columns: week (label), current, proposed (as `scorecard.preview` gives them).
    """
    long = frame.melt(id_vars=["week"], value_vars=["current", "proposed"], var_name="definition")
    long["text"] = [format_value(v, unit) for v in long["value"]]
    return (
        alt.Chart(long)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("week:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", axis=axis(unit, title), scale=alt.Scale(zero=unit in ("count", "currency"))),
            color=alt.Color(
                "definition:N",
                scale=alt.Scale(domain=["current", "proposed"], range=[NEUTRAL, ACCENT]),
                legend=alt.Legend(orient="top", title=None),
            ),
            strokeDash=alt.StrokeDash(
                "definition:N", scale=alt.Scale(domain=["current", "proposed"], range=[[5, 4], [1, 0]]), legend=None
            ),
            tooltip=[
                alt.Tooltip("week:N", title="Week"),
                alt.Tooltip("definition:N", title="Definition"),
                alt.Tooltip("text:N", title=title),
            ],
        )
        .properties(height=height)
    )


def _point_note(low_sample: bool, mature: bool) -> str:
    notes = []
    if not mature:
        notes.append("cohort still maturing")
    if low_sample:
        notes.append("low sample")
    return ", ".join(notes)


PICK: Final = "pick"
"""Name of the click selection on a breakdown chart (the dashboard drills down on it)."""


def breakdown_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str,
    dimension_label: str,
    selectable: bool = True,
    locale: Locale = DEFAULT_LOCALE,
) -> alt.Chart:
    """One bar per dimension value, best first; bars coloured by status when the metric has a target.

    `frame` columns: group, value, value_text, n, low_sample, status (green/amber/red/none).
    Low-sample bars are faded. With `selectable`, clicking a bar selects its group (param "pick").
    Long names are cut in the middle to short unique labels (the tooltip has the full name);
    the axis has no title, so it can never sit on the labels (the page names the dimension).
    """
    labels = short_names([str(g) for g in frame["group"]])
    data = frame.assign(
        color=[STATUS_COLORS.get(s, ACCENT) if s != "none" else ACCENT for s in frame["status"]],
        label=[labels[str(g)] for g in frame["group"]],
    )
    encode: dict[str, Any] = {
        "x": alt.X("value:Q", axis=axis(unit, title, locale)),
        "y": alt.Y(
            "label:N",
            sort=alt.EncodingSortField(field="value", order="descending"),
            title=None,
            scale=alt.Scale(paddingInner=0.25),
            axis=alt.Axis(labelLimit=0),
        ),
        "color": alt.Color("color:N", scale=None),
        "tooltip": [
            alt.Tooltip("group:N", title=dimension_label),
            alt.Tooltip("value_text:N", title=title),
            alt.Tooltip("n:Q", title="n", format=","),
            alt.Tooltip("sample:N", title="Sample"),
        ],
    }
    data = data.assign(sample=["low sample" if low else "" for low in data["low_sample"]])
    chart = alt.Chart(data).mark_bar(cornerRadiusEnd=2)
    faded = alt.when(alt.datum.low_sample).then(alt.value(0.45))
    if selectable:
        pick = alt.selection_point(name=PICK, fields=["group"], on="click", clear="dblclick")
        chart = chart.add_params(pick)
        faded = alt.when(~pick).then(alt.value(0.3)).when(alt.datum.low_sample).then(alt.value(0.45))
    encode["opacity"] = faded.otherwise(alt.value(1.0))
    return localised(
        chart.encode(**encode).properties(height=_height(len(data), 28), autosize=FIT_WIDTH), locale
    )


def fill_chart(frame: pd.DataFrame) -> alt.Chart:
    """How filled each column the catalog reads is, per table: a bar per column, 0-100% of rows.

    `frame` columns: table, column, share (0..1), filled, rows. Empty columns are drawn in the
    verdict red (a metric that reads them cannot be judged); partly filled ones in the accent.
    """
    data = frame.assign(
        name=[f"{t}.{c}" for t, c in zip(frame["table"], frame["column"], strict=True)],
        color=[BAD if s == 0 else ACCENT for s in frame["share"]],
    )
    return (
        alt.Chart(data)
        .mark_bar(cornerRadiusEnd=2)
        .encode(
            x=alt.X("share:Q", axis=alt.Axis(format="%", title="Rows with a value"), scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("name:N", sort=None, title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False)),
            color=alt.Color("color:N", scale=None),
            tooltip=[
                alt.Tooltip("name:N", title="Column"),
                alt.Tooltip("share:Q", title="Filled", format=".1%"),
                alt.Tooltip("filled:Q", title="Rows with a value", format=","),
                alt.Tooltip("rows:Q", title="Rows", format=","),
            ],
        )
        .properties(height=_rows(22))
    )


# --- forced ranking -------------------------------------------------------------------------


def attainment_chart(
    frame: pd.DataFrame,
    *,
    tiers: Sequence[str],
    unit: str = "percent",
    title: str = "Quota attainment",
    locale: Locale = DEFAULT_LOCALE,
) -> alt.LayerChart:
    """Attainment by rep, best first, coloured by tier, with a rule at 100% of quota.

    `frame` columns: rep, group, value, value_text, tier, rank (None when not ranked).
    Ranked on another metric (`title`, e.g. bookings when there are no quotas), there is no rule.
    """
    colors = tier_colors(tiers)
    domain = [*tiers, NOT_RANKED, *([NOT_TIERED] if (frame["tier"] == NOT_TIERED).any() else [])]
    data = frame.assign(rank_text=["–" if pd.isna(r) else f"{r:g}" for r in frame["rank"]])
    bars = (
        alt.Chart(data)
        .mark_bar(cornerRadiusEnd=2)
        .encode(
            x=alt.X("value:Q", axis=axis(unit, title, locale)),
            y=alt.Y(
                "rep:N",
                sort=alt.EncodingSortField(field="value", order="descending"),
                title=None,
                scale=alt.Scale(paddingInner=0.2),
            ),
            color=alt.Color(
                "tier:N",
                scale=alt.Scale(domain=domain, range=[colors[t] for t in domain]),
                legend=alt.Legend(title="Tier", orient="top", columns=2, labelLimit=0),
            ),
            tooltip=[
                alt.Tooltip("rep:N", title="Rep"),
                alt.Tooltip("group:N", title="Peer group"),
                alt.Tooltip("value_text:N", title=title),
                alt.Tooltip("rank_text:N", title="Rank"),
                alt.Tooltip("tier:N", title="Tier"),
            ],
        )
    )
    quota = (
        alt.Chart(pd.DataFrame({"x": [1.0]}))
        .mark_rule(color=INK, strokeDash=[4, 3])
        .encode(x="x:Q")
    )
    layers = [bars, quota] if title == "Quota attainment" else [bars]
    return localised(
        alt.LayerChart(layer=layers).properties(height=_height(len(frame), 22), autosize=FIT_WIDTH), locale
    )


# --- lead quality -------------------------------------------------------------------------------


def volume_quality_chart(
    frame: pd.DataFrame,
    *,
    dimension_label: str,
    measures: Sequence[tuple[str, str, str]],
    label_width: int = 120,
    width: int = 200,
    locale: Locale = DEFAULT_LOCALE,
) -> alt.HConcatChart:
    """Lead count beside what the leads were worth, one row per source or campaign.

    `frame` has a `group` column and, per measure (column, title, unit), the value, a
    `<column>_text` and a `<column>_status` column. The first measure sets the order, so
    volume and quality line up row by row: many poor leads and few good ones are told apart.
    """
    labels = short_names([str(g) for g in frame["group"]], limit=max(12, label_width // 7))
    order = [labels[str(g)] for g in frame.sort_values(measures[0][0], ascending=False)["group"]]
    panels = []
    for i, (column, title, unit) in enumerate(measures):
        data = frame.assign(
            color=[
                STATUS_COLORS[s] if s in ("green", "amber", "red") else ACCENT for s in frame[f"{column}_status"]
            ],
            label=[labels[str(g)] for g in frame["group"]],
        )
        y_axis = alt.Axis(title=None, labels=i == 0, ticks=i == 0, labelLimit=0)
        panels.append(
            alt.Chart(data, title=alt.TitleParams(title, anchor="start", fontSize=13))
            .mark_bar(cornerRadiusEnd=2)
            .encode(
                x=alt.X(f"{column}:Q", axis=axis(unit, None, locale)),
                y=alt.Y("label:N", sort=order, axis=y_axis, scale=alt.Scale(paddingInner=0.25)),
                color=alt.Color("color:N", scale=None),
                tooltip=[
                    alt.Tooltip("group:N", title=dimension_label),
                    *[alt.Tooltip(f"{c}_text:N", title=t) for c, t, _ in measures],
                ],
            )
            .properties(width=width, height=_rows(24))
        )
    return localised(alt.hconcat(*panels, spacing=12).properties(autosize=AS_DRAWN), locale)


def cost_margin_chart(frame: pd.DataFrame, *, locale: Locale = DEFAULT_LOCALE) -> alt.LayerChart:
    """Cost per won deal against margin per won deal, one point per campaign, and the break-even line.

    Above the line each sale costs more than it earns. `frame` columns: campaign,
    cost_per_won_deal, margin_per_won_deal, cost_to_margin, won_deals, status and the
    matching `_text` columns. Points are coloured by the cost-to-margin status.
    """
    data = frame.assign(color=[STATUS_COLORS.get(s, NEUTRAL) for s in frame["status"]])
    top = float(max(data["cost_per_won_deal"].max(), data["margin_per_won_deal"].max(), 1.0)) * 1.05
    diagonal = pd.DataFrame({"x": [0.0, top], "y": [0.0, top]})
    line = alt.Chart(diagonal).mark_line(color=MUTED, strokeDash=[5, 4]).encode(x="x:Q", y="y:Q")
    label = (
        alt.Chart(pd.DataFrame({"x": [top * 0.72], "y": [top * 0.72], "text": ["cost = margin"]}))
        .mark_text(color=MUTED, angle=0, align="right", dx=-6, dy=-8, fontSize=11)
        .encode(x="x:Q", y="y:Q", text="text:N")
    )
    points = (
        alt.Chart(data)
        .mark_circle(opacity=0.85, stroke="#ffffff", strokeWidth=0.8)
        .encode(
            x=alt.X("margin_per_won_deal:Q", axis=axis("currency", "Margin per won deal", locale),
                    scale=alt.Scale(domain=[0, top])),
            y=alt.Y("cost_per_won_deal:Q", axis=axis("currency", "Cost per won deal", locale),
                    scale=alt.Scale(domain=[0, top])),
            size=alt.Size("won_deals:Q", title="Won deals", scale=alt.Scale(range=[30, 400]),
                          legend=alt.Legend(orient="right")),
            color=alt.Color("color:N", scale=None),
            tooltip=[
                alt.Tooltip("campaign:N", title="Campaign"),
                alt.Tooltip("cost_per_won_deal_text:N", title="Cost per won deal"),
                alt.Tooltip("margin_per_won_deal_text:N", title="Margin per won deal"),
                alt.Tooltip("cost_to_margin_text:N", title="Cost-to-margin"),
                alt.Tooltip("won_deals:Q", title="Won deals"),
            ],
        )
    )
    return localised(alt.LayerChart(layer=[line, label, points]).properties(height=380), locale)


def maturation_chart(
    frame: pd.DataFrame, *, group_label: str, window_weeks: int | None = None, locale: Locale = DEFAULT_LOCALE
) -> alt.LayerChart:
    """Share of each group's leads won by weeks since the lead was created, one line per group.

    `frame` columns: group, weeks, share, share_text, members and optionally `label` (a short
    unique name for the legend; `views.maturation_frame` adds it). A grey rule marks the end
    of the metric's window: until a cohort reaches it, its lead-to-close is not final.
    Clicking a legend entry brings that line forward. The legend sits under the plot with
    labels never cut by Vega (the labels are already short and unique).
    """
    if "label" not in frame:
        names = short_names(sorted(frame["group"].astype(str).unique()))
        frame = frame.assign(label=[names[str(g)] for g in frame["group"]])
    labels = list(dict.fromkeys(frame.sort_values("group")["label"].astype(str)))
    focus = alt.selection_point(name="focus", fields=["label"], bind="legend")
    columns = 1 if max((len(label) for label in labels), default=0) > 16 else 4
    lines = (
        alt.Chart(frame)
        .mark_line(strokeWidth=2, interpolate="linear", invalid=BREAK_GAPS)
        .add_params(focus)
        .encode(
            opacity=alt.when(focus).then(alt.value(1.0)).otherwise(alt.value(0.15)),
            x=alt.X("weeks:Q", title="Weeks since the lead was created", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("share:Q", axis=axis("percent", "Share won")),
            color=alt.Color(
                "label:N",
                title=group_label,
                scale=alt.Scale(domain=labels, range=list(CATEGORY_COLORS[: max(1, len(labels))])),
                legend=alt.Legend(orient="bottom", columns=columns, labelLimit=0, symbolType="stroke"),
            ),
            tooltip=[
                alt.Tooltip("group:N", title=group_label),
                alt.Tooltip("weeks:Q", title="Weeks"),
                alt.Tooltip("share_text:N", title="Share won"),
                alt.Tooltip("members:Q", title="Leads in the curve", format=","),
            ],
        )
    )
    layers: list[alt.Chart] = [lines]
    if window_weeks is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"weeks": [window_weeks]}))
            .mark_rule(color=NEUTRAL, strokeDash=[4, 3])
            .encode(x="weeks:Q")
        )
    return localised(alt.LayerChart(layer=layers).properties(height=340), locale)


# --- the one-page scorecard (PNG / PDF) ------------------------------------------------------

_PAGE_WIDTH: Final = 1120
_ROW: Final = 26
_COLUMNS: Final = {  # left edge (or right edge for numbers) of each column, in pixels
    "label": 16,
    "owners": 350,
    "value": 540,
    "target": 640,
    "change": 755,
    "status": 790,
    "trend": 880,
    "n": 1100,
}
_SPARK_WIDTH: Final = 150
_MOVED_LEFT: Final = 1130
_MOVED_WIDTH: Final = 400
_MOVED_CHARS: Final = 70
_MAX_NOTES: Final = 12
_NOTE_CHARS: Final = 180
NOTE_COLOR: Final = "#7c3aed"
"""Violet: a week that carries a note (never a verdict colour)."""


def scorecard_figure(
    card: Scorecard,
    *,
    title: str,
    subtitle: str,
    movements: Mapping[str, Movement] | None = None,
    notes: Sequence[Note] = (),
    locale: Locale = DEFAULT_LOCALE,
) -> alt.LayerChart:
    """The weekly scorecard as one page: sections, values, targets, coloured changes, status, trends.

    Drawn as marks on a pixel grid so it renders the same in a browser and in vl-convert
    (PNG/PDF for a meeting). Each trend is scaled to its own row; the last point is the week shown.
    With `movements` ({metric: Movement}) a "What moved" column gives each change's top two
    drivers; with `notes`, weeks that carry a note are ringed on the trends and the week's
    notes are listed under the table.
    """
    page_width = _PAGE_WIDTH + (_MOVED_WIDTH if movements else 0)
    texts: list[dict[str, Any]] = []
    rings: list[dict[str, Any]] = []
    dots: list[dict[str, Any]] = []
    sparks: list[dict[str, Any]] = []
    reasons: list[str] = []
    y = 28.0
    texts.append(_text(_COLUMNS["label"], y, title, size=20, weight="bold"))
    y += 24
    texts.append(_text(_COLUMNS["label"], y, subtitle, size=12, color=MUTED))
    y += 34
    for key, heading in (
        ("owners", "Owners"),
        ("value", "Value"),
        ("target", "Target"),
        ("change", "vs last week"),
        ("status", "Status"),
        ("trend", "12 weeks"),
        ("n", "n"),
    ):
        align = "right" if key in ("value", "target", "change", "n") else "left"
        texts.append(_text(_COLUMNS[key], y, heading, size=11, color=MUTED, align=align, weight="bold"))
    if movements:
        dimension = next(iter(movements.values())).dimension
        texts.append(_text(_MOVED_LEFT, y, f"What moved (by {dimension})", size=11, color=MUTED, weight="bold"))
    y += 10
    rules = [{"y": y}]
    for section, heading in SECTIONS.items():
        rows = [r for r in card.rows if r.section == section]
        if not rows:
            continue
        y += _ROW
        texts.append(_text(_COLUMNS["label"], y, heading, size=14, weight="bold", color=ACCENT))
        for row in rows:
            y += _ROW
            label = row.label + (f"  (cohort of {row.cohort})" if row.cohort else "")
            texts.append(_text(_COLUMNS["label"], y, label, size=12))
            texts.append(_text(_COLUMNS["owners"], y, owners_text(row.owners), size=11, color=MUTED))
            texts.append(_text(_COLUMNS["value"], y, format_value(row.value, row.format, locale=locale), size=12,
                               align="right", weight="bold"))
            target = "" if row.target is None else ("≥ " if row.direction == "higher_is_better" else "≤ ") + (
                format_value(row.target, row.format, locale=locale)
            )
            texts.append(_text(_COLUMNS["target"], y, target, size=11, color=MUTED, align="right"))
            tone = change_tone(row)
            texts.append(_text(_COLUMNS["change"], y, format_delta(row.delta, row.format, locale=locale), size=11,
                               color=MUTED if tone == "none" else TONE_COLORS[tone], align="right"))
            dots.append({"x": _COLUMNS["status"] + 6, "y": y - 4, "color": STATUS_COLORS[row.status]})
            texts.append(_text(_COLUMNS["status"] + 16, y, row.verdict, size=10, color=MUTED))
            if not row.judgeable and row.reason:
                reasons.append(f"{row.label}: {row.reason.removeprefix('not judged: ')}")
            elif row.settled:
                reasons.append(
                    f"{row.label}: judged on {row.settled}, the latest settled week; {row.week} so far "
                    f"{format_value(row.provisional, row.format, locale=locale)}, provisional"
                )
            spark = _spark(row, _COLUMNS["trend"], y - 4)
            sparks += spark
            noted = noted_positions(row, notes)
            rings += [p for p in spark if p["i"] in noted]
            movement = (movements or {}).get(row.metric)
            if movement is not None and movement.decomposed:
                moved = drivers_line(movement, row.format)
                texts.append(_text(_MOVED_LEFT, y, moved[:_MOVED_CHARS], size=10, color=MUTED))
            elif movement is not None and movement.change:
                texts.append(_text(_MOVED_LEFT, y, "not split into drivers (see the app)", size=10, color=MUTED))
            sample = f"{row.n:,}" + (" low" if row.low_sample else "")
            texts.append(_text(_COLUMNS["n"], y, sample, size=10, color=INK if row.low_sample else MUTED,
                               align="right", weight="bold" if row.low_sample else "normal"))
        y += 6
        rules.append({"y": y + 6})
    shown = sorted((n for n in notes if n.week == card.week.label), key=lambda n: (n.metric is not None, n.created_at))
    if shown:
        labels = {r.metric: r.label for r in card.rows}
        y += _ROW
        texts.append(_text(_COLUMNS["label"], y, f"Notes on {card.week.label}", size=13, weight="bold", color=ACCENT))
        for note in shown[:_MAX_NOTES]:
            y += 18
            about = "Whole week" if note.metric is None else labels.get(note.metric, note.metric)
            texts.append(_text(_COLUMNS["label"], y, f"{about}: {note.line()}"[:_NOTE_CHARS], size=11))
        if len(shown) > _MAX_NOTES:
            y += 18
            texts.append(_text(_COLUMNS["label"], y, f"… and {len(shown) - _MAX_NOTES} more", size=11, color=MUTED))
    y += _ROW
    footnote = _FOOTNOTE + (" Ringed weeks carry a note." if rings else "")
    texts.append(_text(_COLUMNS["label"], y, footnote, size=10, color=MUTED))
    for reason in reasons:
        y += 16
        texts.append(_text(_COLUMNS["label"], y, _clip(reason, 190), size=10, color=MUTED))
    height = int(y + 16)

    x_scale = alt.Scale(domain=[0, page_width], range=[0, page_width], nice=False, zero=False)
    y_scale = alt.Scale(domain=[0, height], range=[0, height], nice=False, zero=False)

    def xy(chart: alt.Chart, x: str = "x", y_field: str = "y") -> alt.Chart:
        return chart.encode(
            x=alt.X(f"{x}:Q", scale=x_scale, axis=None), y=alt.Y(f"{y_field}:Q", scale=y_scale, axis=None)
        )

    layers: list[alt.Chart] = [
        alt.Chart(pd.DataFrame(rules))
        .mark_rule(color=RULE, strokeWidth=1)
        .encode(y=alt.Y("y:Q", scale=y_scale, axis=None), x=alt.value(0), x2=alt.value(page_width)),
    ]
    frame = pd.DataFrame(texts)
    for (size, weight, align), part in frame.groupby(["size", "weight", "align"], sort=False):
        layers.append(
            xy(
                alt.Chart(part)
                .mark_text(fontSize=size, fontWeight=weight, align=align, baseline="alphabetic", font=FONT)
                .encode(text="text:N", color=alt.Color("color:N", scale=None))
            )
        )
    if dots:
        layers.append(xy(alt.Chart(pd.DataFrame(dots)).mark_circle(size=110, opacity=1).encode(
            color=alt.Color("color:N", scale=None))))
    if sparks:
        spark_frame = pd.DataFrame(sparks)
        layers.append(xy(alt.Chart(spark_frame).mark_line(color=ACCENT, strokeWidth=1.5).encode(
            detail="run:N", order="i:Q")))
        marked = spark_frame[spark_frame["last"] | spark_frame["alone"]]
        layers.append(xy(alt.Chart(marked).mark_circle(size=22, opacity=1).encode(
            color=alt.Color("color:N", scale=None))))
    if rings:
        layers.append(xy(alt.Chart(pd.DataFrame(rings)).mark_point(
            shape="circle", size=70, filled=False, strokeWidth=1.5, color=NOTE_COLOR)))
    return (
        alt.LayerChart(layer=layers)
        .properties(width=page_width, height=height, background="#ffffff", padding=12)
        .configure_view(stroke=None)
    )


_FOOTNOTE: Final = (
    "Green/amber/red only where the data supports a verdict; 'not judged' says why below. "
    "'low': below the metric's minimum sample. Cohort metrics show the newest mature cohort."
)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: int,
    color: str = INK,
    align: str = "left",
    weight: str = "normal",
) -> dict[str, Any]:
    return {"x": x, "y": y, "text": text, "size": size, "color": color, "align": align, "weight": weight}


def _spark(row: ScorecardRow, left: float, middle: float) -> list[dict[str, Any]]:
    """Points of a row's trend, one `run` per stretch of consecutive weeks with a value.

    The line is drawn per run, so a week without a value is a gap, not a stroke across
    it; a week alone between gaps is `alone` and drawn as a dot.
    """
    values = [None if p.value is None or math.isnan(p.value) else p.value for p in row.trend]
    known = [v for v in values if v is not None]
    if not known:
        return []
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = _SPARK_WIDTH / max(1, len(values) - 1)
    points = []
    run = 0
    for i, value in enumerate(values):
        if value is None:
            run += 1
            continue
        offset = 0.5 if high == low else (value - low) / span
        before = i > 0 and values[i - 1] is not None
        after = i + 1 < len(values) and values[i + 1] is not None
        points.append(
            {
                "metric": row.metric,
                "run": f"{row.metric}/{run}",
                "i": i,
                "x": left + i * step,
                "y": middle + 8 - offset * 16,
                "last": i == len(values) - 1,
                "alone": not before and not after,
                "color": change_color(row) if change_tone(row) != "none" else ACCENT,
            }
        )
    return points


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """Render a chart to PNG without a browser (vl-convert)."""
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(chart.to_dict(), scale=scale))


def to_pdf(chart: alt.TopLevelMixin) -> bytes:
    """Render a chart to a one-page PDF without a browser (vl-convert)."""
    import vl_convert

    return bytes(vl_convert.vegalite_to_pdf(chart.to_dict()))


# --- what moved ----------------------------------------------------------------------------------


def waterfall_chart(
    frame: pd.DataFrame,
    *,
    unit: str,
    direction: str,
    judged: bool = True,
    height: int = 320,
) -> alt.LayerChart:
    """From last week's value to this week's, one floating bar per driver (`drivers.waterfall_frame`).

    The two end bars are blue. A driver is green when it moved the metric its good way and red
    when the bad way, but only when `judged` (the metric's status can be read as a verdict);
    otherwise drivers are grey, so a change the data cannot support is never coloured.
    """
    data = frame.assign(
        color=[
            ACCENT if kind != "driver" else (
                NEUTRAL if not judged or amount == 0 else GOOD if (amount > 0) == (direction == "higher_is_better")
                else BAD
            )
            for kind, amount in zip(frame["kind"], frame["contribution"], strict=True)
        ],
        amount_text=[
            format_value(v, unit) if kind != "driver" else format_delta(v, unit)
            for kind, v in zip(frame["kind"], frame["contribution"], strict=True)
        ],
    )
    x = alt.X("step:N", sort=list(data["step"]), title=None, axis=alt.Axis(labelAngle=-30, labelLimit=160))
    bars = (
        alt.Chart(data)
        .mark_bar(cornerRadius=2)
        .encode(
            x=x,
            y=alt.Y("low:Q", axis=axis(unit, None), scale=alt.Scale(zero=unit in ("count", "currency"))),
            y2="high:Q",
            color=alt.Color("color:N", scale=None),
            tooltip=[
                alt.Tooltip("step:N", title="Step"),
                alt.Tooltip("amount_text:N", title="Amount"),
                alt.Tooltip("effect:N", title="Effect"),
            ],
        )
    )
    labels = (
        alt.Chart(data)
        .mark_text(dy=-6, fontSize=11, color=INK, baseline="bottom")
        .encode(x=x, y="high:Q", text="amount_text:N")
    )
    return alt.LayerChart(layer=[bars, labels]).properties(height=height)


def note_marks(frame: pd.DataFrame) -> alt.Chart:
    """Violet ticks at the periods that carry notes, the notes in the tooltip (a layer for `trend_chart`).

    `frame` columns: start (date), period (label), text (the notes, one per line)."""
    return (
        alt.Chart(frame.assign(start=pd.to_datetime(frame["start"])))
        .mark_rule(color=NOTE_COLOR, strokeDash=[2, 3], strokeWidth=1.5)
        .encode(
            x="start:T",
            tooltip=[alt.Tooltip("period:N", title="Period"), alt.Tooltip("text:N", title="Notes")],
        )
    )


def outlook_chart(frame: pd.DataFrame, *, label: str) -> alt.LayerChart:
    """Lead-to-close by cohort week: the final value of mature cohorts (blue line), and for young
    cohorts the projected range (grey band) around its middle (grey dashes) above what they have
    reached so far (thin grey). A projection is never green, amber or red.

    `frame`: projection.outlook's columns plus `cohort_first` (a date) and text columns.
    """
    base = alt.Chart(frame).encode(x=alt.X("first:T", title="Cohort week (leads created)"))
    tooltip = [
        alt.Tooltip("cohort:N", title="Cohort"),
        alt.Tooltip("members:Q", title="Leads", format=","),
        alt.Tooltip("final_text:N", title="Final"),
        alt.Tooltip("range_text:N", title="Projected (not judged)"),
        alt.Tooltip("so_far_text:N", title="So far"),
        alt.Tooltip("early_text:N", title="Early signal"),
    ]
    band = base.mark_area(color=NEUTRAL, opacity=0.25).encode(
        y=alt.Y("low:Q", axis=axis("percent", label)), y2="high:Q", tooltip=tooltip
    )
    middle = base.mark_line(color=NEUTRAL, strokeDash=[4, 3]).encode(y="mid:Q", tooltip=tooltip)
    so_far = base.mark_line(color=NEUTRAL, strokeWidth=1).encode(y="so_far_young:Q", tooltip=tooltip)
    final = base.mark_line(color=ACCENT, strokeWidth=2, point=True).encode(y="final:Q", tooltip=tooltip)
    return alt.LayerChart(layer=[band, middle, so_far, final]).properties(height=300)
