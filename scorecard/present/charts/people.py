"""The forced ranking as a chart: reps' attainment, best first, coloured by tier."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from scorecard.language.settings import Locale
from scorecard.present.charts.axes import FIT_WIDTH, axis, localised, rows_height
from scorecard.present.charts.palette import INK, NOT_RANKED, NOT_TIERED, tier_colors


def attainment_chart(
    frame: pd.DataFrame,
    *,
    tiers: Sequence[str],
    unit: str = "percent",
    title: str = "Quota attainment",
    locale: Locale,
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
            x=alt.X("value:Q", axis=axis(unit, title, locale=locale)),
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
    quota = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color=INK, strokeDash=[4, 3]).encode(x="x:Q")
    layers = [bars, quota] if title == "Quota attainment" else [bars]
    return localised(
        alt.LayerChart(layer=layers).properties(height=rows_height(len(frame), 22), autosize=FIT_WIDTH), locale=locale
    )
