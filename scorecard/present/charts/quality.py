"""What leads and data are worth: lead volume beside quality, cost against margin per campaign, how
cohorts mature and where young ones are heading, and how filled the catalog's columns are."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from scorecard.language.settings import Locale
from scorecard.present.charts.axes import AS_DRAWN, BREAK_GAPS, axis, localised, row_step
from scorecard.present.charts.palette import ACCENT, BAD, CATEGORY_COLORS, MUTED, NEUTRAL, STATUS_COLORS
from scorecard.present.frames import short_names


def volume_quality_chart(
    frame: pd.DataFrame,
    *,
    dimension_label: str,
    measures: Sequence[tuple[str, str, str]],
    label_width: int = 120,
    width: int = 200,
    locale: Locale,
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
            color=[STATUS_COLORS[s] if s in ("green", "amber", "red") else ACCENT for s in frame[f"{column}_status"]],
            label=[labels[str(g)] for g in frame["group"]],
        )
        y_axis = alt.Axis(title=None, labels=i == 0, ticks=i == 0, labelLimit=0)
        panels.append(
            alt.Chart(data, title=alt.TitleParams(title, anchor="start", fontSize=13))
            .mark_bar(cornerRadiusEnd=2)
            .encode(
                x=alt.X(f"{column}:Q", axis=axis(unit, None, locale=locale)),
                y=alt.Y("label:N", sort=order, axis=y_axis, scale=alt.Scale(paddingInner=0.25)),
                color=alt.Color("color:N", scale=None),
                tooltip=[
                    alt.Tooltip("group:N", title=dimension_label),
                    *[alt.Tooltip(f"{c}_text:N", title=t) for c, t, _ in measures],
                ],
            )
            .properties(width=width, height=row_step(24))
        )
    return localised(alt.hconcat(*panels, spacing=12).properties(autosize=AS_DRAWN), locale=locale)


def cost_margin_chart(frame: pd.DataFrame, *, locale: Locale) -> alt.LayerChart:
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
            x=alt.X(
                "margin_per_won_deal:Q",
                axis=axis("currency", "Margin per won deal", locale=locale),
                scale=alt.Scale(domain=[0, top]),
            ),
            y=alt.Y(
                "cost_per_won_deal:Q",
                axis=axis("currency", "Cost per won deal", locale=locale),
                scale=alt.Scale(domain=[0, top]),
            ),
            size=alt.Size(
                "won_deals:Q", title="Won deals", scale=alt.Scale(range=[30, 400]), legend=alt.Legend(orient="right")
            ),
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
    return localised(alt.LayerChart(layer=[line, label, points]).properties(height=380), locale=locale)


def maturation_chart(
    frame: pd.DataFrame, *, group_label: str, window_weeks: int | None = None, locale: Locale
) -> alt.LayerChart:
    """Share of each group's leads won by weeks since the lead was created, one line per group.

    `frame` columns: group, weeks, share, share_text, members and optionally `label` (a short
    unique name for the legend; `frames.maturation_frame` adds it). A grey rule marks the end
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
            y=alt.Y("share:Q", axis=axis("percent", "Share won", locale=locale)),
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
    return localised(alt.LayerChart(layer=layers).properties(height=340), locale=locale)


def outlook_chart(frame: pd.DataFrame, *, label: str, locale: Locale) -> alt.LayerChart:
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
        y=alt.Y("low:Q", axis=axis("percent", label, locale=locale)), y2="high:Q", tooltip=tooltip
    )
    middle = base.mark_line(color=NEUTRAL, strokeDash=[4, 3]).encode(y="mid:Q", tooltip=tooltip)
    so_far = base.mark_line(color=NEUTRAL, strokeWidth=1).encode(y="so_far_young:Q", tooltip=tooltip)
    final = base.mark_line(color=ACCENT, strokeWidth=2, point=True).encode(y="final:Q", tooltip=tooltip)
    return alt.LayerChart(layer=[band, middle, so_far, final]).properties(height=300)


# --- the data page ---------------------------------------------------------------------------------


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
        .properties(height=row_step(22))
    )
