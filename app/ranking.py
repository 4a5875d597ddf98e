"""Forced ranking (team leads): reps ranked on attainment within a peer group, read with its context.

A rank alone blames or praises a rep for things outside their control. Beside each rank
the page shows what explains it: win rate, calls per close, cycle length, open pipeline
and the quality of the leads the rep was given, all computed by the same engine.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
import streamlit as st

from app import state
from scorecard import charts, views
from scorecard import periods as cal
from scorecard.catalog import Catalog
from scorecard.compiler import Query
from scorecard.definitions import RankMetric
from scorecard.ranking import RankedRep
from scorecard.views import TableColumn

EVERYONE: Final = "everyone"
PEER_GROUPS: Final = ("region", "team")


def render() -> None:
    """Draw the forced ranking page."""
    state.page_header(
        "Forced ranking",
        "Reps ranked on quota attainment within their peers, next to the numbers that explain the rank.",
    )
    ctx = state.context()
    if ctx is None:
        return
    filters = state.current_filters(ctx)
    catalog = ctx.catalog
    rank_metric = next((m for m in catalog.metrics.values() if isinstance(m, RankMetric)), None)
    if rank_metric is None:
        st.info("metrics.yaml defines no ranking (a metric of type rank).")
        return
    calendar = catalog.calendar
    covered = state.coverage_of(ctx)
    quarters = covered.quarters()
    by_label = {q.label: q for q in quarters}
    today = cal.today(calendar)
    state.outside_data_notice(covered, list(by_label), param="quarter", key="quarter_picker", grain="quarter")
    pick_quarter, pick_peers = st.columns([2, 3], vertical_alignment="bottom")
    with pick_quarter:
        label = state.url_choice(
            "Quarter",
            list(by_label),
            param="quarter",
            default=covered.last_quarter.label if covered.last_quarter.label in by_label else quarters[0].label,
            key="quarter_picker",
            format_func=lambda q: f"{q} (to date)" if by_label[q].first <= today <= by_label[q].last else q,
            help="The last complete quarter by default; the current quarter is measured to date.",
        )
    groups = [g for g in dict.fromkeys([rank_metric.group, *PEER_GROUPS]) if g and g in catalog.dimensions]
    options = [*groups, EVERYONE]
    with pick_peers:
        peers = state.url_choice(
            "Peer group",
            options,
            param="peers",
            default=options[0],
            key="ranking_peers",
            format_func=lambda g: catalog.dimensions[g].label if g in catalog.dimensions else "Everyone",
            segmented=True,
            help="Reps are ranked against the others in the same group. Sidebar filters narrow who is ranked.",
        )
    group = None if peers == EVERYONE else peers
    ready = state.readiness_of(ctx).of(rank_metric.name)
    if ready is not None and not ready.ready:
        st.warning(
            f"No forced ranking: {state.plain(ready.reason)}. Ranking reps on numbers the data does not hold "
            "would rank them on nothing.",
            icon=":material/block:",
        )
        return
    blocked = state.unsupported(ctx, rank_metric.of, [*filters, *([group] if group else [])])
    if blocked:
        st.warning(
            f"The forced ranking cannot be filtered this way ({blocked}). "
            "Remove that filter to rank reps.",
            icon=":material/block:",
        )
        return
    ranking = state.guarded(state.ranking_of, ctx, by_label[label], group, filters)
    if ranking is None:
        return
    if not ranking.rows:
        st.info(
            f"No rep has a quota in {label} with these filters ({state.plain(views.filters_text(filters, catalog))}).",
            icon=":material/filter_alt_off:",
        )
        return
    attainment = catalog.metric(ranking.of)
    tiers = [t.name for t in rank_metric.tiers]
    ranked = [r for r in ranking.rows if r.rank is not None]
    _summary(ranking.period, ranked, len(ranking.rows), tiers)

    context = _context(ctx, ranking.period, filters)
    frame = views.ranking_frame(ranking, context)
    names = sorted({r.group for r in ranking.rows})
    chart_column, explain_column = st.columns([3, 2], gap="large")
    with chart_column:
        shown = names[0]
        if len(names) > 1:
            shown = st.selectbox("Peer group shown in the chart", names, key="chart_group")
        bars = views.attainment_frame(
            ranking, attainment.format, group=shown if len(names) > 1 else None, locale=catalog.locale
        )
        st.altair_chart(
            charts.attainment_chart(bars, tiers=tiers, unit=attainment.format, locale=catalog.locale), width="stretch"
        )
        hidden = sum(1 for r in ranking.rows if r.value is not None and (len(names) == 1 or r.group == shown))
        if hidden > len(bars):
            st.caption(f"The best and worst {len(bars) // 2} of {hidden} reps; the table lists everyone.")
    with explain_column:
        st.markdown("**How to read it**")
        st.markdown(
            f"- Ranked on **{attainment.label.lower()}** {_peer_words(peers)}; "
            f"tiers: {', '.join(f'{t.name} {t.share:.0%}' for t in rank_metric.tiers)}.\n"
            "- A low rank with **poor leads** (low lead-to-close or revenue per lead) or a **long cycle** is "
            "not the same as one with good leads and many calls per close.\n"
            "- Reps below the minimum activity or without a quota are listed but **not ranked**."
        )
    columns, tips = _table_columns(catalog, attainment.label, attainment.format, list(context))
    optional = [label for _column, label, _unit in columns if label in OPTIONAL_COLUMNS]
    extra = st.multiselect(
        "More columns",
        optional,
        key="ranking_more_columns",
        placeholder="Percentile, activities",
        help="Columns left out so the table fits the page; add them here.",
    )
    empty = [c for c in columns if c[0] in context and c[0] in frame and frame[c[0]].isna().all()]
    shown = [c for c in columns if (c[1] not in OPTIONAL_COLUMNS or c[1] in extra) and c not in empty]
    state.table(frame, shown, locale=catalog.locale, help=tips, height=min(40 + 35 * len(frame), 640))
    if empty:
        st.caption(
            "Left out because no rep in the table has a value for them in this quarter: "
            + "; ".join(tips.get(label, label).lower() for _column, label, _unit in empty)
            + (" (none of these reps owns leads)" if {"lead_to_close", "revenue_per_lead"} & {c for c, _l, _u in empty}
               else "")
            + "."
        )
    st.caption(
        f"Context for {ranking.period.label} ({ranking.period.first} to {ranking.period.last}): lead quality counts "
        "the leads each rep was given in the quarter that were won by today, so recent leads have had less time; "
        "open pipeline is at the end of the period."
    )


def _summary(period: cal.Period, ranked: list[RankedRep], total: int, tiers: list[str]) -> None:
    counts = {tier: sum(1 for r in ranked if r.tier == tier) for tier in tiers}
    with st.container(horizontal=True, gap="medium"):
        st.metric("Reps ranked", f"{len(ranked):,}", border=True, help=f"{total - len(ranked)} listed but not ranked")
        for tier in tiers:
            st.metric(f"{tier.capitalize()} tier", f"{counts[tier]:,}", border=True)
        st.metric("Period", period.label, border=True, help=f"{period.first} to {period.last}")


def _context(ctx: state.Context, period: cal.Period, filters: dict[str, list[str]]) -> dict[str, pd.DataFrame]:
    """Per-rep context metrics for the period (only those the catalog defines and the filters allow)."""
    as_of = views.as_of(ctx.catalog.calendar, cal.today(ctx.catalog.calendar))
    out: dict[str, pd.DataFrame] = {}
    for name in views.REP_CONTEXT:
        if name not in ctx.catalog.metrics or state.unsupported(ctx, name, ["rep", *filters]):
            continue
        query = Query.build((period,), group_by=["rep"], filters=filters, as_of=as_of)
        frame = state.guarded(state.metric_frame, ctx, name, query)
        if frame is not None:
            out[name] = frame
    return out


OPTIONAL_COLUMNS: Final = frozenset({"Percentile", "Activities"})
"""Columns shown only when picked, so the table fits a 1440 px page."""

_SHORT: Final = {  # metric -> (heading short enough for the table, what it means)
    "win_rate": ("Win rate", "Won deals over closed deals in the quarter"),
    "calls_per_close": ("Calls/close", "Calls per closed deal"),
    "cycle_days_median": ("Cycle (d)", "Sales cycle, median days from opportunity created to closed"),
    "open_pipeline": ("Pipeline", "Open pipeline at the end of the period"),
    "lead_to_close": ("Lead→close", "Lead-to-close of the leads the rep was given in the period"),
    "revenue_per_lead": ("Rev./lead", "Revenue per lead the rep was given in the period"),
}


def _table_columns(
    catalog: Catalog, attainment_label: str, attainment_unit: str, context: list[str]
) -> tuple[list[TableColumn], dict[str, str]]:
    """The ranking table's columns with short headings, and a tooltip per heading saying what it is."""
    columns: list[TableColumn] = [
        ("rank", "Rank", "rank"),
        ("rep", "Rep", None),
        ("group", "Peers", None),
        ("attainment", "Attainment", attainment_unit),
        ("tier", "Tier", None),
        ("percentile", "Percentile", "percent"),
        ("activity", "Activities", "count"),
    ]
    tips = {"Attainment": attainment_label, "Peers": "The peer group the rep is ranked in"}
    for name in context:
        metric = catalog.metric(name)
        heading, tip = _SHORT.get(name, (metric.label, metric.label))
        columns.append((name, heading, metric.format))
        tips[heading] = tip
    columns.append(("note", "Note", None))
    tips["Note"] = "Why a rep is not ranked"
    return columns, tips


def _peer_words(peers: str) -> str:
    return "across everyone" if peers == EVERYONE else f"within each {peers}"
