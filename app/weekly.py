"""Weekly scorecard (executives): every shared metric for one week, grouped by who hands over what.

Three sections (what marketing hands over, what sales does with it, what both own); per
metric its value, target and status, the change since last week coloured by the metric's
direction, a 12-week sparkline, its owners, a low-sample flag and, for cohort metrics,
the cohort shown. Each card opens the metric's definition. Downloads: CSV, PNG, PDF.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import streamlit as st

from app import definitions, state
from scorecard import charts, views
from scorecard import periods as cal
from scorecard.definitions import Locale
from scorecard.formatting import format_value
from scorecard.report import SECTIONS, scorecard_csv
from scorecard.scorecard import TREND_WEEKS, Scorecard, ScorecardRow

MAX_CARDS_PER_ROW = 4
SECTION_NOTES: Mapping[str, str] = {
    "handover": "Marketing's leads and what they turn out to be worth.",
    "sales": "How fast and how well sales works what it is given.",
    "shared": "The outcome both teams exist for, and what each win costs.",
}


def render() -> None:
    """Draw the weekly scorecard page."""
    state.page_header(
        "Weekly scorecard",
        "One set of numbers for sales and marketing, each defined once in metrics.yaml.",
    )
    ctx = state.context()
    if ctx is None:
        return
    filters = state.current_filters(ctx)
    covered = state.coverage_of(ctx)
    choices = covered.weeks()
    weeks = {p.label: p for p in choices}
    state.outside_data_notice(covered, list(weeks), param="week", key="week_picker", grain="week")
    picker, window_picker, downloads = st.columns([2, 2, 3], vertical_alignment="bottom")
    with picker:
        label = state.url_choice(
            "Week",
            list(weeks),
            param="week",
            default=choices[0].label,
            key="week_picker",
            format_func=lambda value: views.week_text(weeks[value]),
            help="The last complete week that has data by default. The week is kept in the page address.",
        )
    with window_picker:
        window = state.url_choice(
            "Read over",
            list(WINDOW_CHOICES),
            param="window",
            default=OWN_WINDOW,
            key="window_picker",
            format_func=lambda value: WINDOW_CHOICES[value],
            help="One week of one region and product is often too few deals to judge: read every metric "
            "over the last 4 or 13 weeks, or the month or quarter to date. 'Each metric's own' reads "
            "quota attainment quarter to date and the rest by week.",
        )
    week = weeks[label]
    if label == choices[0].label:
        state.data_ends_note(covered, label)
    chosen_window = None if window == OWN_WINDOW else window
    card = state.guarded(state.scorecard_of, ctx, week, filters, chosen_window)
    if card is None:
        return
    scope = views.filters_text(filters, ctx.catalog)
    with downloads:
        _downloads(card, scope, ctx.catalog.locale)
    st.caption(
        f"Filters: {state.plain(scope)} · green, amber and red only where the data can support a verdict; "
        "grey cards say why not"
    )
    if views.is_empty(card):
        st.info(
            f"Nothing matches these filters in the {TREND_WEEKS} weeks to {week.label}: no leads, deals or "
            "activities. Choose another week or clear some filters.",
            icon=":material/filter_alt_off:",
        )
        return
    _readiness_notice(card)
    _thin_slice_notice(card, window)
    for section, title in SECTIONS.items():
        rows = [r for r in card.rows if r.section == section]
        if rows:
            _section(title, SECTION_NOTES.get(section, ""), rows, ctx, week, filters)


OWN_WINDOW = "own"
WINDOW_CHOICES: Mapping[str, str] = {
    OWN_WINDOW: "Each metric's own",
    "week": "The week",
    "4w": "Last 4 weeks",
    "13w": "Last 13 weeks",
    "mtd": "Month to date",
    "qtd": "Quarter to date",
}


def _readiness_notice(card: Scorecard) -> None:
    """Say once, at the top, how much of the scorecard the data can support."""
    if card.readiness is None:
        return
    ready, total = card.readiness.scorecard_counts()
    if ready < total:
        st.warning(
            f"Your data supports {ready} of {total} scorecard metrics; the others are grey and say what they "
            "need. The Data page lists what each metric reads.",
            icon=":material/dataset:",
        )


def _thin_slice_notice(card: Scorecard, window: str) -> None:
    """One week of one slice is often too thin to judge: offer a wider window instead of grey cards."""
    thin = [r for r in card.rows if "low_sample" in r.flags and "not_applicable" not in r.flags]
    if len(thin) < 3 or window not in (OWN_WINDOW, "week"):
        return
    message, *buttons = st.columns([6, 1.3, 1.3], vertical_alignment="center")
    message.info(
        f"{len(thin)} metrics have too few leads or deals in one week of this slice to judge. "
        "Read them over a longer window:",
        icon=":material/zoom_out:",
    )
    for column, value in zip(buttons, ("4w", "13w"), strict=True):
        column.button(WINDOW_CHOICES[value], key=f"widen_{value}", on_click=_widen, args=(value,), width="stretch")


def _widen(window: str) -> None:
    st.session_state["window_picker"] = window


def _downloads(card: Scorecard, scope: str, locale: Locale) -> None:
    title = f"Scorecard, week {card.week.label}"
    subtitle = f"{card.week.first:%d %b} to {card.week.last:%d %b %Y} · {scope}"
    stem = f"scorecard-{card.week.label}"

    def png() -> bytes:
        return charts.to_png(charts.scorecard_figure(card, title=title, subtitle=subtitle, locale=locale))

    def pdf() -> bytes:
        return charts.to_pdf(charts.scorecard_figure(card, title=title, subtitle=subtitle, locale=locale))

    with st.container(horizontal=True, horizontal_alignment="right", gap="small"):
        st.download_button("CSV", scorecard_csv(card), f"{stem}.csv", "text/csv", on_click="ignore",
                           icon=":material/table:", help="One row per metric, with its 12-week trend")
        st.download_button("PNG", png, f"{stem}.png", "image/png", on_click="ignore",
                           icon=":material/image:", help="The scorecard on one page, for slides")
        st.download_button("PDF", pdf, f"{stem}.pdf", "application/pdf", on_click="ignore",
                           icon=":material/picture_as_pdf:", help="The scorecard on one page, for the meeting")


def _section(
    title: str,
    note: str,
    rows: Sequence[ScorecardRow],
    ctx: state.Context,
    week: cal.Period,
    filters: Mapping[str, Sequence[str]],
) -> None:
    st.subheader(title, divider="gray")
    if note:
        st.caption(note)
    per_row = cards_per_row(len(rows))
    for start in range(0, len(rows), per_row):
        columns = st.columns(per_row)
        for column, row in zip(columns, rows[start : start + per_row], strict=False):
            with column:
                _card(row, ctx, week, filters)


def cards_per_row(count: int) -> int:
    """Cards per row so rows come out even: 4 -> 4, 5 -> 3+2, 7 -> 4+3, 8 -> 4+4; never more than four."""
    rows = math.ceil(count / MAX_CARDS_PER_ROW) or 1
    return math.ceil(count / rows) or 1


def _card(
    row: ScorecardRow, ctx: state.Context, week: cal.Period, filters: Mapping[str, Sequence[str]]
) -> None:
    metric = ctx.catalog.metrics.get(row.metric)
    with st.container(border=True, height="stretch", gap="small"):
        owners = views.owners_text(row.owners)
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            st.badge(owners, color=state.OWNER_BADGE.get(owners, "gray"), help=f"Owned by {owners}")
            st.badge(
                row.verdict,
                color=state.STATUS_BADGE[row.status],
                icon=None if row.judgeable else ":material/block:",
                help=state.plain(row.reason) if row.reason else None,
            )
            st.space("stretch")
            if st.button(":material/info:", key=f"definition_{row.metric}", type="tertiary",
                         help=f"Definition, YAML and SQL of {row.label}"):
                _definition_dialog(ctx, row.metric, week, filters)
        st.markdown(f"**{row.label}**", help=metric.description if metric is not None else None)
        locale = ctx.catalog.locale
        tone = views.change_tone(row, compact=True)
        st.metric(
            row.label,
            format_value(row.value, row.format, compact=True, locale=locale),
            delta=views.delta_text(row, compact=True, locale=locale),
            delta_color=CHANGE_COLOUR[tone],
            delta_arrow="off" if tone == "none" else "auto",
            label_visibility="collapsed",
        )
        trend = [p.value for p in row.trend]
        if any(v is not None for v in trend):
            # Drawn here rather than as st.metric's chart_data: a week without a value stays a gap.
            colour = charts.TONE_COLORS[tone] if tone != "none" else charts.ACCENT
            st.altair_chart(charts.sparkline(trend, color=colour), width="stretch", height=56)
        facts = [
            views.target_text(row.target, row.format, row.direction, locale),
            f"cohort of {row.cohort}" if row.cohort else "",
            f"{row.period}" if row.window != "week" and not row.settled and not row.cohort else "",
        ]
        sample = views.sample_text(row)
        if row.low_sample and row.n and "low_sample" not in row.flags:
            sample = f":material/warning: {sample}"
        elif "low_sample" in row.flags:
            sample = f"n = {row.n:,}" if row.n else ""
        st.caption(" · ".join(f for f in [*facts, sample] if f))
        if row.settled:
            st.caption(
                f":material/schedule: Judged on {row.settled}, the latest settled week. {row.week} so far: "
                f"{format_value(row.provisional, row.format)} (provisional: it can still change)."
            )
        if not row.judgeable and row.reason:
            st.caption(f":material/block: Not judged: {state.plain(row.reason.removeprefix('not judged: '))}.")


CHANGE_COLOUR: Mapping[views.ChangeTone, state.Colour] = {"good": "green", "bad": "red", "none": "gray"}
"""A change's tone -> the delta's colour: green the metric's good way, red the bad way, grey no change."""


@st.dialog("Metric definition", width="large")
def _definition_dialog(
    ctx: state.Context, metric: str, week: cal.Period, filters: Mapping[str, Sequence[str]]
) -> None:
    definitions.details(ctx.catalog, metric, views.scorecard_query(ctx.catalog, metric, week, filters),
                        ctx.db.dialect)
