"""Forced ranking (team leads): reps ranked on attainment within a peer group, read with its context.

A rank alone blames or praises a rep for things outside their control. Beside each rank
the page shows what explains it: tenure, deals closed, the quality of the leads behind the
rep's deals and win rate; the detail view adds calls per close, cycle length and open
pipeline. The values come with the ranking from the core (the rank metric's `context`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import streamlit as st

from app import chrome, context, controls, queries, sql_view, tables
from app.text import plain
from scorecard.catalog.load import Catalog
from scorecard.judge.ranking import NOT_TIERED, RankedRep, Ranking
from scorecard.language import periods as cal
from scorecard.language.definitions import RankMetric
from scorecard.present import frames, views
from scorecard.present.charts import people
from scorecard.sql.query import Query

EVERYONE: Final = "everyone"
PEER_GROUPS: Final = ("region", "team")
JOIN: Final = "+"
"""Joins the metric's peer-group dimensions in the URL (?peers=region+rep_segment)."""
MAIN_CONTEXT: Final = ("deals_closed", "lead_to_close", "win_rate")
"""Context keys shown in the main table; the rest are in the detail view."""


def render() -> None:
    """Draw the forced ranking page."""
    chrome.page_header(
        "Forced ranking",
        "Reps ranked on quota attainment within their peers, next to the numbers that explain the rank.",
    )
    ctx = context.context()
    if ctx is None:
        return
    filters = controls.current_filters(ctx)
    catalog = ctx.catalog
    rank_metric = next((m for m in catalog.metrics.values() if isinstance(m, RankMetric)), None)
    if rank_metric is None:
        st.info("metrics.yaml defines no ranking (a metric of type rank).")
        return
    calendar = catalog.calendar
    covered = queries.coverage_of(ctx)
    quarters = covered.quarters()
    by_label = {q.label: q for q in quarters}
    today = cal.today(calendar)
    controls.outside_data_notice(covered, list(by_label), param="quarter", key="quarter_picker", grain="quarter")
    pick_quarter, pick_peers = st.columns([2, 3], vertical_alignment="bottom")
    with pick_quarter:
        label = controls.url_choice(
            "Quarter",
            list(by_label),
            param="quarter",
            default=covered.last_quarter.label if covered.last_quarter.label in by_label else quarters[0].label,
            key="quarter_picker",
            format_func=lambda q: f"{q} (to date)" if by_label[q].first <= today <= by_label[q].last else q,
            help="The last complete quarter by default; the current quarter is measured to date.",
        )
    declared = [g for g in rank_metric.groups if g in catalog.dimensions]
    groups = [g for g in dict.fromkeys([JOIN.join(declared), *PEER_GROUPS]) if g]
    groups = [g for g in groups if all(d in catalog.dimensions for d in g.split(JOIN))]
    options = [*groups, EVERYONE]
    with pick_peers:
        peers = controls.url_choice(
            "Peer group",
            options,
            param="peers",
            default=options[0],
            key="ranking_peers",
            format_func=lambda g: _peer_label(catalog, g),
            segmented=True,
            help="Reps are ranked against the others in the same group. Sidebar filters narrow who is ranked.",
        )
    group: tuple[str, ...] | None = None if peers == EVERYONE else tuple(peers.split(JOIN))
    ready = queries.readiness_of(ctx).of(rank_metric.name)
    if ready is not None and not ready.ready:
        st.warning(
            f"No forced ranking: {plain(ready.reason)}. Ranking reps on numbers the data does not hold "
            "would rank them on nothing.",
            icon=":material/block:",
        )
        return
    blocked = queries.unsupported(ctx, rank_metric.of, list(filters))
    if blocked:
        st.warning(
            f"The forced ranking cannot be filtered this way ({blocked}). "
            "Remove that filter to rank reps.",
            icon=":material/block:",
        )
        return
    ranking = queries.guarded(queries.ranking_of, ctx, by_label[label], group, filters)
    if ranking is None:
        return
    if not ranking.rows:
        st.info(
            f"No rep has {' or '.join(catalog.metric(m).label.lower() for m in rank_metric.candidates)} to rank "
            f"on in {label} with these filters ({plain(views.filters_text(filters, catalog))}).",
            icon=":material/filter_alt_off:",
        )
        return
    for note in ranking.notes:
        st.info(note[0].upper() + note[1:] + ".", icon=":material/info:")
    attainment = catalog.metric(ranking.of)
    tiers = [t.name for t in rank_metric.tiers]
    ranked = [r for r in ranking.rows if r.rank is not None]
    _summary(ranking.period, ranked, ranking.rows, tiers)

    frame = frames.ranking_frame(ranking)
    names = sorted({r.group for r in ranking.rows})
    shown = names[0]
    if len(names) > 1:
        shown = st.selectbox(
            "Peer group shown",
            names,
            key="chart_group",
            help="The chart and the table show one peer group; the detail view below lists every group.",
        )
    members = [r for r in ranking.rows if r.group == shown]
    chart_column, explain_column = st.columns([3, 2], gap="large")
    with chart_column:
        bars = frames.attainment_frame(ranking, attainment.format, group=shown, locale=catalog.locale)
        chart = people.attainment_chart(
            bars, tiers=tiers, unit=attainment.format, title=attainment.label, locale=catalog.locale
        )
        st.altair_chart(chart, width="stretch")
        hidden = sum(1 for r in members if r.value is not None)
        if hidden > len(bars):
            st.caption(f"The best and worst {len(bars) // 2} of {hidden} reps; the table lists everyone.")
    with explain_column:
        st.markdown("**How to read it**")
        st.markdown(_how_to_read(rank_metric, attainment.label, peers))
    group_note = next((r.reason for r in members if r.tier == NOT_TIERED and r.reason), None)
    if group_note:
        st.caption(f"{shown}: {group_note}.")
    columns: list[tuple[str, str, str | None]] = [
        ("rank", "Rank", "rank"),
        ("rep", "Rep", None),
        ("attainment", attainment.label, attainment.format),
        ("tier", "Tier", None),
        ("tenure_months", "Tenure (months)", "count"),
    ]
    columns += _context_columns(catalog, ranking, MAIN_CONTEXT)
    columns.append(("note", "Note", None))
    in_group = frame[frame["group"] == shown].reset_index(drop=True)
    tables.table(in_group, columns, name=f"ranking-{ranking.period.label}", locale=catalog.locale,
                 height=min(40 + 35 * len(in_group), 640))
    _sql(ctx, rank_metric, ranking, filters)
    maturing = [_context_label(k, catalog.metric(ranking.context[k]).label).lower() for k in ranking.provisional]
    st.caption(
        f"Context for {ranking.period.label} ({ranking.period.first} to {ranking.period.last}): an account "
        "executive's leads are the leads behind the deals they own; lead quality counts those created in the "
        "quarter that were won by today. Deals closed are won deals."
        + (
            f" The {' and '.join(maturing)} are **so far**: the quarter's leads have not had their full window "
            "yet, so long-cycle (enterprise) reps read low until they have."
            if maturing
            else ""
        )
    )
    with st.expander("Detail: every peer group and every column"):
        detail: list[tuple[str, str, str | None]] = [
            ("rank", "Rank", "rank"),
            ("rep", "Rep", None),
            ("group", "Peer group", None),
            ("attainment", attainment.label, attainment.format),
            ("tier", "Tier", None),
            ("percentile", "Percentile", "percent"),
            ("peers", "Ranked among", "count"),
            ("tenure_months", "Tenure (months)", "count"),
            ("activity", "Activities", "count"),
        ]
        detail += _context_columns(catalog, ranking, tuple(ranking.context))
        detail.append(("reason", "Note", None))
        tables.table(frame, detail, name="ranking-detail", locale=catalog.locale,
                     height=min(40 + 35 * len(frame), 640), key="ranking_detail")


def _summary(period: cal.Period, ranked: list[RankedRep], rows: Sequence[RankedRep], tiers: list[str]) -> None:
    counts = {tier: sum(1 for r in ranked if r.tier == tier) for tier in tiers}
    new = sum(1 for r in rows if r.new_rep)
    untiered = sum(1 for r in ranked if r.tier == NOT_TIERED)
    with st.container(horizontal=True, gap="medium"):
        st.metric(
            "Reps ranked", f"{len(ranked):,}", border=True, help=f"{len(rows) - len(ranked)} listed but not ranked"
        )
        for tier in tiers:
            st.metric(f"{tier.capitalize()} tier", f"{counts[tier]:,}", border=True)
        if untiered:
            st.metric("Not tiered", f"{untiered:,}", border=True, help="Ranked in a group too small to tier")
        if new:
            st.metric("New reps", f"{new:,}", border=True, help="Under a quarter's tenure: flagged, not ranked")
        st.metric("Period", period.label, border=True, help=f"{period.first} to {period.last}")


def _context_columns(catalog: Catalog, ranking: Ranking, keys: Sequence[str]) -> list[tuple[str, str, str | None]]:
    """(column, label, unit) of the context values the ranking computed; a cohort still maturing says "so far"."""
    out: list[tuple[str, str, str | None]] = []
    for key in keys:
        if key in ranking.context:
            metric = catalog.metric(ranking.context[key])
            label = _context_label(key, metric.label) + (" (so far)" if key in ranking.provisional else "")
            out.append((key, label, metric.format))
    return out


def _sql(ctx: context.Context, rank_metric: RankMetric, ranking: Ranking, filters: dict[str, list[str]]) -> None:
    """The statements behind the ranking (as `scorecard.ranking.forced_ranking` builds them) and its context."""
    period = ranking.period
    items = [(ranking.of, Query.build((period,), group_by=[rank_metric.by], filters=filters, as_of=period.end))]
    if rank_metric.min_activity:
        items.append(
            (rank_metric.min_activity.metric, Query.build((period,), group_by=[rank_metric.by], filters=filters))
        )
    as_of = cal.make_period(ctx.catalog.calendar, cal.today(ctx.catalog.calendar), cal.today(ctx.catalog.calendar))
    by = rank_metric.context_by or rank_metric.by
    items += [
        (name, Query.build((period,), group_by=[by], filters=filters, as_of=as_of.start))
        for name in ranking.context.values()
    ]
    sql_view.expander(ctx, items, "SQL behind the ranking and its context")


def _context_label(key: str, label: str) -> str:
    return {
        "deals_closed": "Deals closed",
        "lead_to_close": "Lead-to-close of their leads",
        "revenue_per_lead": "Revenue per lead behind their deals",
        "open_pipeline": "Open pipeline (period end)",
    }.get(key, label)


def _peer_label(catalog: Catalog, key: str) -> str:
    if key == EVERYONE:
        return "Everyone"
    return " & ".join(catalog.dimensions[d].label for d in key.split(JOIN))


def _how_to_read(rank_metric: RankMetric, label: str, peers: str) -> str:
    lines = [
        f"- Ranked on **{label.lower()}** {_peer_words(peers)}; "
        f"tiers: {', '.join(f'{t.name} {t.share:.0%}' for t in rank_metric.tiers)}.",
    ]
    rule = rank_metric.small_groups
    if rule is not None and peers != EVERYONE:
        chosen = peers.split(JOIN)
        pool = [d for d in rule.pool or () if d in chosen]
        pooled = (
            "pooled with the other small groups of the same " + " and ".join(pool)
            if pool
            else "pooled together"
            if rule.pool is not None
            else "kept apart"
        )
        lines.append(
            f"- A peer group of fewer than {rule.below} ranked reps is {pooled.replace('_', ' ')}; one still under "
            f"{rule.below} is ranked but **not tiered**."
        )
    if rank_metric.min_tenure_months:
        lines.append(
            f"- Reps with under {rank_metric.min_tenure_months} months' tenure are **flagged, not ranked**."
        )
    lines += [
        "- A low rank with **poor leads** (low lead-to-close of the leads behind their deals) or few deals closed "
        "is not the same as one with good leads and many deals.",
        "- Reps below the minimum activity or without a quota are listed but **not ranked**.",
    ]
    return "\n".join(lines)


def _peer_words(peers: str) -> str:
    return "across everyone" if peers == EVERYONE else f"within each {peers.replace(JOIN, ' and ').replace('_', ' ')}"
