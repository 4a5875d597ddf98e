"""Explore (team leads): any metric's trend by week, month or quarter, broken down by any dimension.

Filters (sidebar), the metric, the grain, the date range and the breakdown are all in the
page address. Clicking a bar (or picking a value under the chart) drills down: a region
becomes a filter and the breakdown moves to that region's reps, a lead source to its
campaigns.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Final

import streamlit as st

from app import chrome, context, controls, queries, sql_view, tables
from app.text import plain
from scorecard.judge.weekly import target_for
from scorecard.language import periods as cal
from scorecard.language.definitions import MetricBase
from scorecard.present import frames, views
from scorecard.present.charts import trends
from scorecard.sql.query import Query

GRAINS: Final = ("week", "month", "quarter")
DEFAULT_METRIC: Final = "bookings"
DEFAULT_BREAKDOWN: Final = "region"
BY_KEY: Final = "explore_by"
CHART_KEY: Final = "breakdown_chart"
DRILL_KEY: Final = "drill"
CHART_BARS: Final = 30
"""Bars drawn at most (the best and the worst half each); the table beside lists every value."""
SIDE_BY_SIDE_NAMES: Final = 24
"""Longest name (characters) for which the breakdown table fits beside the chart at 1440 px."""


def render() -> None:
    """Draw the explore page."""
    chrome.page_header("Explore", "Trends and breakdowns of any metric, under any filter. Click a bar to drill down.")
    ctx = context.context()
    if ctx is None:
        return
    filters = controls.current_filters(ctx)
    catalog = ctx.catalog
    calendar = catalog.calendar
    names = views.explorable_metrics(catalog)
    pick_metric, pick_grain, pick_range = st.columns([3, 2, 3], vertical_alignment="bottom")
    with pick_metric:
        name = controls.url_choice(
            "Metric",
            names,
            param="metric",
            default=DEFAULT_METRIC if DEFAULT_METRIC in names else names[0],
            key="explore_metric",
            format_func=lambda n: catalog.metrics[n].label,
        )
    with pick_grain:
        grain = controls.url_choice(
            "Trend by", GRAINS, param="grain", default="week", key="explore_grain", segmented=True
        )
    with pick_range:
        today = cal.today(calendar)
        covered = queries.coverage_of(ctx)
        default = views.default_range(calendar, covered.now)
        oldest = min(today.replace(year=today.year - 10), covered.first_week.first, default[0])
        first, last = controls.url_date_range(
            "Dates",
            default=default,
            key="explore_range",
            bounds=(oldest, today),
        )
    chrome.data_ends_note(covered, f"the 52 weeks to {covered.last_week.label}")
    metric = catalog.metric(name)
    reason = queries.unsupported(ctx, name, list(filters))
    if reason:
        st.warning(f"{plain(reason)}.", icon=":material/block:")
        return
    ready = queries.readiness_of(ctx)
    needs = ready.of(name)
    if needs is not None and not needs.ready:
        st.warning(
            f"{metric.label} is shown but not judged: {plain(needs.reason)}. No value below is coloured.",
            icon=":material/block:",
        )
    as_of = views.as_of(calendar, last)
    periods = cal.periods_between(calendar, first, last, grain)  # type: ignore[arg-type]
    trend_query = Query.build(periods, filters=filters, as_of=as_of)
    frame = queries.guarded(queries.metric_frame, ctx, name, trend_query)
    if frame is None:
        return
    trend = frames.trend_frame(frame, periods, metric, as_of, catalog=catalog, ready=ready)
    scope = views.filters_text(filters, catalog)
    if not frames.has_data(trend):
        st.info(
            f"No data for {metric.label} between {first} and {last} with these filters ({plain(scope)}). "
            "Widen the dates or clear some filters.",
            icon=":material/filter_alt_off:",
        )
        return
    st.subheader(f"{metric.label} by {grain}", help=metric.description.strip() or None)
    gaps = int(trend["value"].isna().sum())
    st.caption(
        f"{first} to {last} · {plain(scope)}"
        + (f" · {gaps} {grain}(s) without a value are gaps in the line" if gaps else "")
    )
    marks = frames.note_marks_frame(queries.notes_between(ctx, periods[0].first, periods[-1].last, name), periods)
    st.altair_chart(
        trends.trend_chart(
            trend,
            title=metric.label,
            unit=metric.format,
            target=_target(metric, periods[-1], filters),
            locale=catalog.locale,
            notes=marks,
        ),
        width="stretch",
    )
    if len(marks):
        st.caption(f"Violet dotted lines: {len(marks)} {grain}(s) with notes; point at one to read them.")
    maturing = trend[~trend["mature"]]
    if len(maturing):
        st.caption(
            f"Hollow points from {maturing['period'].iloc[0]} on: still changing (cohorts inside their window, "
            "or leads and deals not yet settled), so their value is provisional. Hollow points are also used "
            "for low samples."
        )
    sql_view.expander(ctx, [(name, trend_query)], f"SQL behind this chart ({metric.label} by {grain})")
    _breakdown(ctx, name, filters, first, last, as_of)


def _target(metric: MetricBase, period: cal.Period, filters: Mapping[str, Sequence[str]]) -> float | None:
    thresholds = target_for(metric.target, period, {k: tuple(v) for k, v in filters.items()})
    if thresholds is None:
        return None
    return thresholds.value if thresholds.value is not None else thresholds.green


def _breakdown(
    ctx: context.Context,
    name: str,
    filters: dict[str, list[str]],
    first: dt.date,
    last: dt.date,
    as_of: dt.datetime,
) -> None:
    catalog = ctx.catalog
    metric = catalog.metric(name)
    dimensions = list(catalog.dimensions)
    st.subheader("Breakdown")
    by = controls.url_choice(
        "Break down by",
        dimensions,
        param="by",
        default=DEFAULT_BREAKDOWN if DEFAULT_BREAKDOWN in dimensions else dimensions[0],
        key=BY_KEY,
        format_func=lambda d: catalog.dimensions[d].label,
    )
    label = catalog.dimensions[by].label
    reason = queries.unsupported(ctx, name, [*filters, by])
    if reason:
        st.warning(f"{plain(reason)}.", icon=":material/block:")
        return
    period = cal.custom(catalog.calendar, first, last)
    query = Query.build((period,), group_by=[by], filters=filters, as_of=as_of)
    frame = queries.guarded(queries.metric_frame, ctx, name, query)
    if frame is None:
        return
    breakdown = frames.breakdown_frame(
        frame, by, metric, period, filters, catalog=catalog, ready=queries.readiness_of(ctx)
    )
    if breakdown.empty:
        st.info(f"No {label.lower()} has data for {metric.label} with these filters.", icon=":material/filter_alt_off:")
        return
    drill_to = views.DRILL_DOWN.get(by)
    parent = next((d for d, child in views.DRILL_DOWN.items() if child == by and len(filters.get(d, [])) == 1), None)
    if parent is not None:
        st.button(
            f"Back to all {catalog.dimensions[parent].label.lower()}s",
            key="drill_up",
            icon=":material/arrow_upward:",
            type="tertiary",
            on_click=_drill_up,
            args=(parent,),
            help=f"Drop the {catalog.dimensions[parent].label.lower()} filter and break down by it again",
        )
    key = chart_key(by, filters)
    # Long names (campaigns) need the page's width for the table: then it goes under the chart.
    side_by_side = breakdown["group"].str.len().max() <= SIDE_BY_SIDE_NAMES
    chart_column, table_column = st.columns([3, 2], gap="large") if side_by_side else (st.container(), st.container())
    with chart_column:
        drawn = frames.ends_of(breakdown, CHART_BARS)
        st.altair_chart(
            trends.breakdown_chart(
                drawn,
                title=metric.label,
                unit=metric.format,
                dimension_label=label,
                selectable=bool(drill_to),
                locale=catalog.locale,
            ),
            width="stretch",
            # One key per breakdown and filters: after a drill the chart is a new one, with no bar selected.
            key=key,
            on_select=functools.partial(_drill_from_chart, key) if drill_to else "ignore",
            selection_mode=trends.PICK if drill_to else None,
        )
        if len(drawn) < len(breakdown):
            st.caption(f"The best and worst {CHART_BARS // 2} of {len(breakdown)}; the table lists every one.")
    with table_column:
        if drill_to and drill_to in catalog.dimensions:
            st.selectbox(
                f"Drill into a {label.lower()}",
                breakdown["group"].tolist(),
                index=None,
                key=DRILL_KEY,
                placeholder=f"Pick one to see its {catalog.dimensions[drill_to].label.lower()}s",
                on_change=_drill_from_picker,
            )
        tables.table(
            breakdown,
            [("group", label, None), ("value", metric.label, metric.format), ("n", "n", "count")],
            name=f"{name}-by-{by}",
            locale=catalog.locale,
            help={"n": "How many rows the value rests on"},
            height=min(38 + 35 * len(breakdown), 520),
        )
        low = int(breakdown["low_sample"].sum())
        if low:
            st.caption(f"{low} {label.lower()} value(s) rest on fewer than {metric.min_sample:,} and are faded.")
    sql_view.expander(ctx, [(name, query)], f"SQL behind this breakdown (by {label.lower()})")


def _drill(value: str) -> None:
    """Filter to one value of the current breakdown and break down one level deeper."""
    by = st.session_state.get(BY_KEY)
    target = views.DRILL_DOWN.get(str(by))
    if not by or not target:
        return
    st.session_state[str(by)] = [value]
    st.session_state[BY_KEY] = target


def _drill_up(parent: str) -> None:
    st.session_state[parent] = []
    st.session_state[BY_KEY] = parent


def chart_key(by: str, filters: Mapping[str, Sequence[str]]) -> str:
    """The breakdown chart's widget key for this breakdown and these filters.

    A click-drill changes both, so the next chart starts with nothing selected (a kept
    selection of a value the new chart lacks would fade every bar).
    """
    return f"{CHART_KEY}:{by}:" + "&".join(f"{d}={'|'.join(v)}" for d, v in views.filter_key(filters))


def _drill_from_chart(key: str) -> None:
    picked = _picked(st.session_state.get(key))
    if picked and "group" in picked[0]:
        _drill(str(picked[0]["group"]))


def _picked(event: object) -> list[dict[str, object]]:
    if not isinstance(event, Mapping):
        return []
    selection = event.get("selection") or {}
    return list(selection.get(trends.PICK) or []) if isinstance(selection, Mapping) else []


def _drill_from_picker() -> None:
    value = st.session_state.get(DRILL_KEY)
    if value:
        st.session_state[DRILL_KEY] = None
        _drill(str(value))
