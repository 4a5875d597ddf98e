"""Lead quality (marketing and sales together): what each source and campaign's leads were worth.

Lead count beside lead-to-close and revenue per lead, so 200 trade-show names and 20
referrals are compared on value; per campaign, what each won deal cost against the margin
it earned; and cohort maturation curves, so a campaign is not judged before its leads
have had time to close. The default range is the last 12 months of cohorts that can be judged.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Final

import pandas as pd
import streamlit as st

from app import chrome, context, controls, queries, sql_view, tables
from app.text import plain
from scorecard.engine.runner import maturation_sql
from scorecard.language import periods as cal
from scorecard.language.definitions import CohortMetric
from scorecard.language.formatting import number_text
from scorecard.present import frames, views
from scorecard.present.charts import quality
from scorecard.sql.query import Query

TOP_CAMPAIGNS: Final = 15
STATUS_KEY: Final = "Bar colour: on, near or off the metric's target (hover for the value); blue: no target."
CURVE_GROUPS: Final = ("source", "region", "segment", "campaign")
CURVE_CAMPAIGNS: Final = 8


def render() -> None:
    """Draw the lead quality page."""
    chrome.page_header(
        "Lead quality",
        "What leads from each source and campaign were worth, judged only once their cohort has matured.",
    )
    ctx = context.context()
    if ctx is None:
        return
    filters = controls.current_filters(ctx)
    catalog = ctx.catalog
    calendar = catalog.calendar
    covered = queries.coverage_of(ctx)
    today = cal.today(calendar, covered.now)  # the day after the last week with data, if it ends early
    judgeable = views.judgeable_range(catalog, covered.now)
    oldest = min(today.replace(year=today.year - 10), covered.first_week.first, judgeable[0])
    first, last = controls.url_date_range(
        "Leads created",
        default=judgeable,
        key="lead_range",
        bounds=(oldest, max(today, cal.today(calendar))),
        help="Default: the last 12 months of lead cohorts that have had their whole window to close.",
    )
    cohort = catalog.metrics.get(views.COHORT_METRIC)
    if isinstance(cohort, CohortMetric) and last > judgeable[1]:
        st.caption(
            f":material/hourglass_top: Leads created after {judgeable[1]} have had less than "
            f"{cohort.window_days} days to close: their lead-to-close and revenue per lead will still rise."
        )
    period = cal.custom(calendar, first, last)
    as_of = views.as_of(calendar, today)
    by_source = _quality(ctx, "source", views.SOURCE_QUALITY, period, filters, as_of)
    if by_source is None or by_source.empty or not by_source[views.SOURCE_QUALITY[0]].fillna(0).gt(0).any():
        st.info(
            f"No leads were created between {first} and {last} with these filters "
            f"({plain(views.filters_text(filters, catalog))}).",
            icon=":material/filter_alt_off:",
        )
        return
    _by_source(ctx, by_source)
    _outlook(ctx, filters, covered.now)
    _by_campaign(ctx, period, filters, as_of)
    _maturation(ctx, period, filters, as_of)
    sql_view.expander(
        ctx,
        [
            *_queries(ctx, "source", views.SOURCE_QUALITY, period, filters, as_of),
            *_queries(ctx, "campaign", [*views.SOURCE_QUALITY, *views.CAMPAIGN_ECONOMICS], period, filters, as_of),
        ],
        "SQL behind the tables by source and by campaign",
    )


def _quality(
    ctx: context.Context,
    dimension: str,
    names: Sequence[str],
    period: cal.Period,
    filters: dict[str, list[str]],
    as_of: dt.datetime,
) -> pd.DataFrame | None:
    """Per value of `dimension`, each metric the catalog defines and the filters allow."""
    by_metric = {}
    for name, query in _queries(ctx, dimension, names, period, filters, as_of):
        frame = queries.guarded(queries.metric_frame, ctx, name, query)
        if frame is None:
            return None
        by_metric[name] = frame
    if not by_metric:
        return None
    return frames.quality_frame(by_metric, dimension, ctx.catalog, period, filters, queries.readiness_of(ctx))


def _queries(
    ctx: context.Context,
    dimension: str,
    names: Sequence[str],
    period: cal.Period,
    filters: dict[str, list[str]],
    as_of: dt.datetime,
) -> list[tuple[str, Query]]:
    """The (metric, query) pairs behind a quality table: what it runs and what its SQL expander shows."""
    if dimension not in ctx.catalog.dimensions:
        return []
    return [
        (name, Query.build((period,), group_by=[dimension], filters=filters, as_of=as_of))
        for name in names
        if name in ctx.catalog.metrics and not queries.unsupported(ctx, name, [dimension, *filters])
    ]


def _measures(ctx: context.Context, frame: pd.DataFrame, names: Sequence[str]) -> list[tuple[str, str, str]]:
    return [(n, ctx.catalog.metrics[n].label, ctx.catalog.metrics[n].format) for n in names if n in frame]


def _by_source(ctx: context.Context, frame: pd.DataFrame) -> None:
    label = ctx.catalog.dimensions["source"].label if "source" in ctx.catalog.dimensions else "Lead source"
    st.subheader("By lead source")
    measures = _measures(ctx, frame, views.SOURCE_QUALITY)
    st.altair_chart(
        quality.volume_quality_chart(
            frame, dimension_label=label, measures=measures, label_width=110, locale=ctx.catalog.locale
        )
    )
    st.caption(f"{label}s sorted by lead count. {STATUS_KEY}")
    with st.expander("Table", icon=":material/table:"):
        tables.table(
            frame,
            [("group", label, None), *[(c, t, u) for c, t, u in measures]],
            name="lead-quality-by-source",
            locale=ctx.catalog.locale,
        )


def _outlook(ctx: context.Context, filters: dict[str, list[str]], now: dt.datetime) -> None:
    """Early signal, projection and final side by side, per cohort week up to the last complete week."""
    catalog = ctx.catalog
    metric = catalog.metrics.get(views.COHORT_METRIC)
    if not isinstance(metric, CohortMetric) or queries.unsupported(ctx, metric.name, list(filters)):
        return
    week = cal.last_complete_week(catalog.calendar, now)
    frame = queries.guarded(queries.outlook_of, ctx, week, filters)
    if frame is None or frame.empty:
        return
    shown = frames.outlook_frame(frame, metric.format, locale=catalog.locale)
    early = catalog.metrics.get("lead_to_opportunity")
    st.subheader("Early signal, projection and final")
    st.caption(
        f"{metric.label} per week of leads created. Blue: final, once a cohort has had its {metric.window_days} days. "
        "Grey band: where a younger cohort is headed if it matures as the last 26 mature cohorts did (10th to 90th "
        "percentile) — a projection, never judged or coloured. "
        + (f"Early signal: {early.label.lower()}, known within weeks." if early is not None else "")
    )
    st.altair_chart(quality.outlook_chart(shown, label=metric.label, locale=catalog.locale), width="stretch")
    with st.expander("Table", icon=":material/table:"):
        tables.table(
            shown.iloc[::-1],
            [
                ("cohort", "Cohort", None),
                ("members", "Leads", "count"),
                ("early_text", early.label if early is not None else "Early signal", None),
                ("so_far", "Won so far", metric.format),
                ("range_text", "Projected (not judged)", None),
                ("final", f"{metric.label}, final", metric.format),
            ],
            name="lead-to-close-outlook",
            locale=catalog.locale,
        )


def _by_campaign(
    ctx: context.Context, period: cal.Period, filters: dict[str, list[str]], as_of: dt.datetime
) -> None:
    catalog = ctx.catalog
    if "campaign" not in catalog.dimensions:
        return
    label = catalog.dimensions["campaign"].label
    frame = _quality(ctx, "campaign", [*views.SOURCE_QUALITY, *views.CAMPAIGN_ECONOMICS], period, filters, as_of)
    st.subheader("By campaign")
    if frame is None or frame.empty:
        st.info("No campaign has leads or won deals in these dates with these filters.")
        return
    first = views.SOURCE_QUALITY[0]
    with_leads = frame[frame[first].fillna(0) > 0] if first in frame else frame
    measures = _measures(ctx, frame, views.SOURCE_QUALITY)
    if len(with_leads):
        top = with_leads.head(TOP_CAMPAIGNS)
        st.altair_chart(
            quality.volume_quality_chart(
                top, dimension_label=label, measures=measures, label_width=230, width=170, locale=ctx.catalog.locale
            )
        )
        st.caption(
            f"The {len(top)} campaigns with the most leads (of {len(with_leads)} with leads in these dates). "
            f"{STATUS_KEY}"
        )
    economics = frames.cost_margin_frame(frame)
    if len(economics):
        st.markdown("**Cost per won deal against margin per won deal**")
        chart_column, note_column = st.columns([3, 1], gap="large")
        with chart_column:
            st.altair_chart(quality.cost_margin_chart(economics, locale=ctx.catalog.locale), width="stretch")
        with note_column:
            losing = economics[economics["cost_per_won_deal"] > economics["margin_per_won_deal"]]
            st.metric("Lose money per win", f"{len(losing)} of {len(economics)}", border=True,
                      help="Campaigns whose cost per won deal exceeds the margin per won deal, of the "
                      f"{len(economics)} campaigns in the chart (those with won deals, a cost and a margin)")
            st.caption(
                "Position: all-in cost per won deal (the campaign's cost plus the cost of sale of the deals its "
                "leads became) against margin per won deal; above the dashed line each win loses money. Colour: "
                "the cost-to-margin ratio against its target. Size: won deals. Campaigns that ended in these "
                "dates, with their leads' deals won within the lead-to-close window: one cohort, its own spend "
                "and its own wins."
            )
    columns = [("group", label, None), *measures, *_measures(ctx, frame, views.CAMPAIGN_ECONOMICS)]
    st.caption(
        f"{len(frame)} campaigns had leads or closed deals in these dates: {len(with_leads)} with leads; "
        f"{len(economics)} with won deals, a cost and a margin (the chart above). Campaigns without won deals "
        "show – for what a won deal cost."
    )
    with st.expander(f"All {len(frame)} campaigns", icon=":material/table:"):
        tables.table(frame, columns, name="lead-quality-by-campaign", locale=ctx.catalog.locale, height=420)


def _maturation(
    ctx: context.Context, period: cal.Period, filters: dict[str, list[str]], as_of: dt.datetime
) -> None:
    catalog = ctx.catalog
    metric = catalog.metrics.get(views.COHORT_METRIC)
    if not isinstance(metric, CohortMetric):
        return
    st.subheader("How cohorts mature")
    st.caption(
        "Share of leads won by weeks since they were created. Each curve follows one fixed set of leads, "
        "those old enough for the whole curve, so it can only rise: a fall would mean won deals went away. "
        f"{metric.label} is final at {metric.window_days} days (dashed)."
    )
    groups = [g for g in CURVE_GROUPS if g in catalog.dimensions]
    if not groups:
        return
    by = controls.url_choice(
        "Curves by",
        groups,
        param="curves",
        default=groups[0],
        key="lead_curves",
        format_func=lambda g: catalog.dimensions[g].label,
        segmented=True,
    )
    if queries.unsupported(ctx, metric.name, [by, *filters]):
        st.info(f"Maturation curves cannot be split by {catalog.dimensions[by].label.lower()}.")
        return
    curve_filters = dict(filters)
    if by == "campaign":
        top = _top_campaigns(ctx, period, filters, as_of)
        if top:
            curve_filters["campaign"] = top
    window_weeks = math.ceil(metric.window_days / 7)
    query = Query.build((period,), group_by=[by], filters=curve_filters, as_of=as_of)
    curves = queries.guarded(queries.curves_of, ctx, metric.name, query, window_weeks + 4)
    if curves is None or curves.empty:
        st.info("No lead cohorts to draw with these filters.")
        return
    frame = frames.maturation_frame(curves, by, locale=catalog.locale)
    st.altair_chart(
        quality.maturation_chart(
            frame, group_label=catalog.dimensions[by].label, window_weeks=window_weeks, locale=catalog.locale
        ),
        width="stretch",
    )
    span = int(frame["weeks"].max()) if len(frame) else 0
    leads = int(frame.groupby("group")["members"].first().sum()) if len(frame) else 0
    st.caption(
        f"{number_text(leads, locale=catalog.locale)} leads created {period.first} to {period.last} "
        f"that were at least {span} weeks old by today"
        + (f"; the {CURVE_CAMPAIGNS} campaigns with the most leads." if by == "campaign" else ".")
    )
    with st.expander("SQL behind the curves", icon=":material/code:"):
        st.caption(
            "One statement counts the members of each cohort by age in weeks and by the week of their event; "
            "each curve point adds those counts up, so only leads at least that old are counted."
        )
        sql = maturation_sql(catalog, metric.name, query, window_weeks + 4, ctx.db.dialect)
        st.code(sql, language="sql", wrap_lines=True)


def _top_campaigns(
    ctx: context.Context, period: cal.Period, filters: dict[str, list[str]], as_of: dt.datetime
) -> list[str]:
    first = views.SOURCE_QUALITY[0]
    if first not in ctx.catalog.metrics:
        return []
    query = Query.build((period,), group_by=["campaign"], filters=filters, as_of=as_of)
    frame = queries.metric_frame(ctx, first, query)
    top = frame.dropna(subset=["d_campaign"]).sort_values("value", ascending=False).head(CURVE_CAMPAIGNS)
    return [str(v) for v in top["d_campaign"]]
