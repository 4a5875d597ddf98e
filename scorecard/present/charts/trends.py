"""A metric over time and across a dimension: trend lines, card sparklines, current against proposed
definition, breakdown bars, note marks, and the waterfall of what moved it since last week."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import altair as alt
import pandas as pd

from scorecard.language.formatting import format_delta, format_value
from scorecard.language.settings import Locale
from scorecard.present.charts.axes import BREAK_GAPS, FIT_WIDTH, axis, localised, rows_height
from scorecard.present.charts.palette import ACCENT, BAD, GOOD, INK, NEUTRAL, NOTE_COLOR, STATUS_COLORS
from scorecard.present.frames import short_names

# --- trends and breakdowns ----------------------------------------------------------------


def trend_chart(
    frame: pd.DataFrame,
    *,
    title: str,
    unit: str,
    target: float | None = None,
    height: int = 280,
    notes: pd.DataFrame | None = None,
    locale: Locale,
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
        y=alt.Y("value:Q", axis=axis(unit, title, locale=locale), scale=alt.Scale(zero=unit in ("count", "currency"))),
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
        layers.append(alt.Chart(rule).mark_rule(color=GOOD, strokeDash=[6, 4], strokeWidth=1.5).encode(y="target:Q"))
        heading = alt.TitleParams(
            f"- - - target {format_value(target, unit, locale=locale)}",
            anchor="end",
            fontSize=11,
            fontWeight="normal",
            color=GOOD,
        )
    return localised(alt.LayerChart(layer=layers).properties(height=height, title=heading), locale=locale)


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


def compare_chart(frame: pd.DataFrame, *, title: str, unit: str, height: int = 220, locale: Locale) -> alt.Chart:
    """A metric under its current (grey, dashed) and proposed (blue) definition, week by week.

    `frame` columns: week (label), current, proposed (as `scorecard.preview` gives them).
    """
    long = frame.melt(id_vars=["week"], value_vars=["current", "proposed"], var_name="definition")
    long["text"] = [format_value(v, unit, locale=locale) for v in long["value"]]
    return (
        alt.Chart(long)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("week:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "value:Q", axis=axis(unit, title, locale=locale), scale=alt.Scale(zero=unit in ("count", "currency"))
            ),
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
    locale: Locale,
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
        "x": alt.X("value:Q", axis=axis(unit, title, locale=locale)),
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
        chart.encode(**encode).properties(height=rows_height(len(data), 28), autosize=FIT_WIDTH), locale=locale
    )


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


# --- what moved ----------------------------------------------------------------------------------


def waterfall_chart(
    frame: pd.DataFrame,
    *,
    unit: str,
    direction: str,
    judged: bool = True,
    height: int = 320,
    locale: Locale,
) -> alt.LayerChart:
    """From last week's value to this week's, one floating bar per driver (`drivers.waterfall_frame`).

    The two end bars are blue. A driver is green when it moved the metric its good way and red
    when the bad way, but only when `judged` (the metric's status can be read as a verdict);
    otherwise drivers are grey, so a change the data cannot support is never coloured.
    """
    data = frame.assign(
        color=[
            ACCENT
            if kind != "driver"
            else (
                NEUTRAL
                if not judged or amount == 0
                else GOOD
                if (amount > 0) == (direction == "higher_is_better")
                else BAD
            )
            for kind, amount in zip(frame["kind"], frame["contribution"], strict=True)
        ],
        amount_text=[
            format_value(v, unit, locale=locale) if kind != "driver" else format_delta(v, unit, locale=locale)
            for kind, v in zip(frame["kind"], frame["contribution"], strict=True)
        ],
    )
    x = alt.X("step:N", sort=list(data["step"]), title=None, axis=alt.Axis(labelAngle=-30, labelLimit=160))
    bars = (
        alt.Chart(data)
        .mark_bar(cornerRadius=2)
        .encode(
            x=x,
            y=alt.Y("low:Q", axis=axis(unit, None, locale=locale), scale=alt.Scale(zero=unit in ("count", "currency"))),
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
