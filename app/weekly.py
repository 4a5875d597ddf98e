"""Weekly scorecard (executives): every shared metric for one week, grouped by who hands over what.

Three sections (what marketing hands over, what sales does with it, what both own); per
metric its value, target and status, the change since last week coloured by the metric's
direction, a 12-week sparkline, its owners, a low-sample flag and, for cohort metrics,
the cohort shown, the change's two biggest drivers by a chosen dimension and the notes on the
week. Each card opens the metric's definition and "What moved" (the full breakdown and a
waterfall). Notes can be added on a metric's week or the whole week. Downloads: CSV, XLSX,
PNG, PDF.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app import chrome, context, controls, definitions, queries, tables
from app.text import plain
from scorecard.judge import drivers
from scorecard.judge.weekly import TREND_WEEKS, Scorecard, ScorecardRow
from scorecard.language import periods as cal
from scorecard.language.formatting import format_delta, format_value
from scorecard.present import frames, report, views
from scorecard.present.charts import palette, trends
from scorecard.present.pack import XLSX_MIME, WeeklyPack
from scorecard.present.report import SECTIONS, row_notes
from scorecard.store import notes

WHOLE_WEEK = "(whole week)"

MAX_CARDS_PER_ROW = 4
SECTION_NOTES: Mapping[str, str] = {
    "handover": "Marketing's leads and what they turn out to be worth.",
    "sales": "How fast and how well sales works what it is given.",
    "shared": "The outcome both teams exist for, and what each win costs.",
}


def render() -> None:
    """Draw the weekly scorecard page."""
    chrome.page_header(
        "Weekly scorecard",
        "One set of numbers for sales and marketing, each defined once in metrics.yaml.",
    )
    ctx = context.context()
    if ctx is None:
        return
    filters = controls.current_filters(ctx)
    covered = queries.coverage_of(ctx)
    choices = covered.weeks()
    weeks = {p.label: p for p in choices}
    controls.outside_data_notice(covered, list(weeks), param="week", key="week_picker", grain="week")
    picker, window_picker, by_picker, downloads = st.columns([2, 2, 2, 3], vertical_alignment="bottom")
    with picker:
        label = controls.url_choice(
            "Week",
            list(weeks),
            param="week",
            default=choices[0].label,
            key="week_picker",
            format_func=lambda value: views.week_text(weeks[value]),
            help="The last complete week that has data by default. The week is kept in the page address.",
        )
    with window_picker:
        window = controls.url_choice(
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
    dimensions = [d for d in drivers.CANDIDATE_DIMENSIONS if d in ctx.catalog.dimensions] or list(
        ctx.catalog.dimensions
    )
    with by_picker:
        by = controls.url_choice(
            "What moved, by",
            dimensions,
            param="moved_by",
            default=drivers.DEFAULT_DIMENSION if drivers.DEFAULT_DIMENSION in dimensions else dimensions[0],
            key="moved_by",
            format_func=lambda d: ctx.catalog.dimensions[d].label,
            help="Each card names the two values of this dimension that moved its number most since the week before.",
        )
    if label == choices[0].label:
        chrome.data_ends_note(covered, label)
    chosen_window = None if window == OWN_WINDOW else window
    card = queries.guarded(queries.scorecard_of, ctx, week, filters, chosen_window)
    if card is None:
        return
    trend_weeks = cal.weeks_ending(ctx.catalog.calendar, week, TREND_WEEKS)
    found = queries.notes_of(ctx, trend_weeks)
    scope = views.filters_text(filters, ctx.catalog)
    st.caption(
        f"Filters: {plain(scope)} · green, amber and red only where the data can support a verdict; "
        "grey cards say why not · a change is coloured only when it is larger than chance gives at its volume"
    )
    _week_notes(ctx, card, found)
    if views.is_empty(card):
        st.info(
            f"Nothing matches these filters in the {TREND_WEEKS} weeks to {week.label}: no leads, deals or "
            "activities. Choose another week or clear some filters.",
            icon=":material/filter_alt_off:",
        )
        return
    _readiness_notice(card)
    _example_targets_notice(card)
    _thin_slice_notice(card, window)
    # The cards first, each with a place for its "what moved" line: what moved reads every
    # metric again by the chosen dimension, so it is filled in once the cards are on screen.
    moved_slots: dict[str, DeltaGenerator] = {}
    for section, title in SECTIONS.items():
        rows = [r for r in card.rows if r.section == section]
        if rows:
            moved_slots.update(_section(title, SECTION_NOTES.get(section, ""), rows, ctx, week, filters, found))
    movements = queries.guarded(queries.movements_of, ctx, card, by) or {}
    for row in card.rows:
        if row.metric in moved_slots:
            with moved_slots[row.metric].container(gap="small"):
                _moved(row, ctx, movements.get(row.metric))
    with downloads:
        _downloads(WeeklyPack(card, scope, ctx.catalog.locale, movements, found))


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


def _example_targets_notice(card: Scorecard) -> None:
    """Say at the top when the targets are the shipped examples, not ones the company set."""
    notice = card.readiness.example_notice() if card.readiness is not None else None
    if notice:
        st.warning(plain(notice), icon=":material/flag:")


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


def _downloads(pack: WeeklyPack) -> None:
    """The meeting's files, from the same pack `scorecard send` mails (scorecard.present.pack)."""
    stem = pack.stem
    with st.container(horizontal=True, horizontal_alignment="right", gap="small"):
        st.download_button(
            "CSV",
            pack.csv(),
            f"{stem}.csv",
            "text/csv",
            on_click="ignore",
            icon=":material/table:",
            help="One row per metric, with its 12-week trend and notes",
        )
        st.download_button(
            "XLSX",
            pack.xlsx,
            f"{stem}.xlsx",
            XLSX_MIME,
            on_click="ignore",
            icon=":material/grid_on:",
            help="One sheet per section with the 12 trend weeks as columns, what moved and notes",
        )
        st.download_button(
            "PNG",
            pack.png,
            f"{stem}.png",
            "image/png",
            on_click="ignore",
            icon=":material/image:",
            help="The scorecard on one page, for slides",
        )
        st.download_button(
            "PDF",
            pack.pdf,
            f"{stem}.pdf",
            "application/pdf",
            on_click="ignore",
            icon=":material/picture_as_pdf:",
            help="The scorecard on one page, for the meeting",
        )


def _section(
    title: str,
    note: str,
    rows: Sequence[ScorecardRow],
    ctx: context.Context,
    week: cal.Period,
    filters: Mapping[str, Sequence[str]],
    found: Sequence[notes.Note],
) -> dict[str, DeltaGenerator]:
    """The section's cards; returns each card's place for its "what moved" line."""
    st.subheader(title, divider="gray")
    if note:
        st.caption(note)
    slots = {}
    per_row = cards_per_row(len(rows))  # one card width across the section's groups
    for heading, members in views.period_groups(rows):
        # Each group headed by the period its numbers cover, so nobody guesses which week a number is.
        st.markdown(f":material/date_range: **{plain(heading)}**")
        for start in range(0, len(members), per_row):
            columns = st.columns(per_row)
            for column, row in zip(columns, members[start : start + per_row], strict=False):
                with column:
                    slots[row.metric] = _card(row, ctx, week, filters, found)
    return slots


def cards_per_row(count: int) -> int:
    """Cards per row so rows come out even: 4 -> 4, 5 -> 3+2, 7 -> 4+3, 8 -> 4+4; never more than four."""
    rows = math.ceil(count / MAX_CARDS_PER_ROW) or 1
    return math.ceil(count / rows) or 1


def _card(
    row: ScorecardRow,
    ctx: context.Context,
    week: cal.Period,
    filters: Mapping[str, Sequence[str]],
    found: Sequence[notes.Note],
) -> DeltaGenerator:
    """One metric's card; returns the place for its "what moved" line (filled by the caller)."""
    metric = ctx.catalog.metrics.get(row.metric)
    with st.container(border=True, height="stretch", gap="small"):
        owners = views.owners_text(row.owners)
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            st.badge(
                owners,
                color=chrome.OWNER_BADGE.get(owners, "gray"),
                help=views.accountability_text(row.owner or owners, row.contributors).capitalize(),
            )
            interval = views.interval_text(row, locale=ctx.catalog.locale)
            st.badge(
                row.verdict + (", within noise" if row.within_noise else ""),
                color=chrome.STATUS_BADGE[row.status],
                icon=None if row.judgeable else ":material/block:",
                help=plain(" · ".join(t for t in (row.reason or "", interval) if t)) or None,
            )
            st.space("stretch")
            if st.button(
                ":material/info:",
                key=f"definition_{row.metric}",
                type="tertiary",
                help=f"Definition, YAML and SQL of {row.label}",
            ):
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
            colour = palette.TONE_COLORS[tone] if tone != "none" else palette.ACCENT
            marks = frames.noted_positions(row, found)
            st.vega_lite_chart(spec=trends.sparkline(trend, color=colour, notes=marks), width="stretch", height=56)
        facts = [
            views.noise_text(row, locale=locale),
            views.target_text(row.target, row.format, row.direction, locale=locale),
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
                f"{format_value(row.provisional, row.format, locale=locale)} (provisional: it can still change)."
            )
        projected = row.projection
        if projected is not None and projected.mid is not None:
            st.caption(
                f":material/query_stats: Projection for the cohort of {projected.cohort} ({projected.age_weeks} weeks "
                f"old): {projected.text(row.format, locale=locale)}, from how the last {projected.basis} mature "
                "cohorts matured. "
                "Not judged: it is a forecast, not a result."
            )
        if row.whole is not None:
            whole = plain(report.whole_text(row, locale=locale))
            st.caption(f":material/flag: {whole[:1].upper()}{whole[1:]}.")
        for line in views.exception_lines(row, locale=locale):
            st.caption(f":material/report: **Exception:** {plain(line)}, inside a total {row.verdict}.")
        if not row.judgeable and row.reason:
            st.caption(f":material/block: Not judged: {plain(row.reason.removeprefix('not judged: '))}.")
        slot = st.empty()
        _card_notes(row, found)
    return slot


def _moved(row: ScorecardRow, ctx: context.Context, movement: drivers.Movement | None) -> None:
    """The change's two biggest drivers in one line, and the button to the full breakdown."""
    if movement is None or movement.change is None or movement.change == 0:
        return
    if not row.significant:
        return  # a change within its noise has no drivers worth naming
    if movement.decomposed:
        line = drivers.drivers_line(movement, row.format, locale=ctx.catalog.locale).split(": ", 1)[-1]
        text = f"By {ctx.catalog.dimensions[movement.dimension].label.lower()}: {plain(line)}"
    else:
        text = "Not split into drivers"
    st.caption(text, help=movement.reason if not movement.decomposed else None)
    if st.button(
        "What moved",
        icon=":material/waterfall_chart:",
        key=f"moved_{row.metric}",
        type="tertiary",
        help=f"What moved {row.label}: the full breakdown and a waterfall",
    ):
        _moved_dialog(ctx, row, movement)


def _card_notes(row: ScorecardRow, found: Sequence[notes.Note]) -> None:
    """The notes on this metric's week (the week's own notes sit above the cards), and which trend weeks have notes."""
    mine = [n for n in row_notes(found, row.metric, row.week) if n.metric == row.metric]
    for note in mine:
        st.caption(f":material/edit_note: {plain(note.text)} — {plain(note.author)}")
    trend_weeks = {p.week for p in row.trend}
    noted = sorted({n.week for n in found if n.metric == row.metric and n.week != row.week and n.week in trend_weeks})
    if noted:
        weeks = ", ".join(w.split("-")[-1] for w in noted)
        st.caption(f":material/edit_note: Notes in the trend (violet marks): {weeks}")


def _week_notes(ctx: context.Context, card: Scorecard, found: Sequence[notes.Note]) -> None:
    """Notes on the whole week, and the form to add one (on the week or on one metric)."""
    week_notes = [n for n in found if n.week == card.week.label and n.metric is None]
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        if week_notes:
            with st.container(gap=None):
                for note in week_notes:
                    st.markdown(
                        f":material/edit_note: **Week note:** {plain(note.text)} — "
                        f"{plain(note.author)}, {note.created_at:%d %b %H:%M} UTC"
                    )
        st.space("stretch")
        if queries.may_add_notes():
            with st.popover("Add a note", icon=":material/edit_note:"):
                _note_form(ctx, card)


def _note_form(ctx: context.Context, card: Scorecard) -> None:
    labels = {r.metric: r.label for r in card.rows}
    with st.form("add_note", clear_on_submit=True, border=False):
        about = st.selectbox(
            "About",
            [WHOLE_WEEK, *labels],
            format_func=lambda m: labels.get(m, m),
            help="A note on one metric's week, or on the week as a whole",
        )
        text = st.text_area(
            f"Note on {card.week.label}",
            max_chars=notes.MAX_LENGTH,
            placeholder="The Berlin trade show landed this week",
        )
        submitted = st.form_submit_button("Add note", icon=":material/add:")
    if submitted:
        author = notes.default_author(queries.signed_in_user())
        try:
            notes.add(
                ctx.db,
                ctx.catalog.metrics,
                card.week,
                text or "",
                metric=None if about == WHOLE_WEEK else about,
                author=author,
            )
        except notes.NoteError as exc:
            st.error(f"The note was not added: {exc}")
            return
        st.toast(f"Note added to {card.week.label} by {author}", icon=":material/check:")
        st.rerun()


@st.dialog("What moved", width="large")
def _moved_dialog(ctx: context.Context, row: ScorecardRow, movement: drivers.Movement) -> None:
    label = ctx.catalog.dimensions[movement.dimension].label
    locale = ctx.catalog.locale
    st.markdown(
        f"**{row.label}**: {format_value(movement.before, row.format, locale=locale)} in "
        f"{movement.before_period} → {format_value(movement.after, row.format, locale=locale)} in "
        f"{movement.after_period} ({format_delta(movement.change, row.format, locale=locale)}), "
        f"by {label.lower()}"
    )
    if not movement.decomposed:
        st.info(f"Not split into drivers: {movement.reason}", icon=":material/info:")
        return
    judged = _judged(row)
    st.altair_chart(
        trends.waterfall_chart(
            drivers.waterfall_frame(movement), unit=row.format, direction=row.direction, judged=judged, locale=locale
        ),
        width="stretch",
    )
    if movement.method == "shift-share":
        st.caption(
            "Mix: the value's share of the denominator grew or shrank; rate: its own value changed. "
            "Midpoint shift-share: mix = Δshare × mean rate, rate = Δrate × mean share; they add up exactly."
        )
    if not judged:
        st.caption(
            "Drivers are grey: this metric's status cannot be judged this week (no target, too few rows "
            "or not available), so no move is called good or bad."
        )
    frame = drivers.slices_frame(movement)
    unit = row.format
    share = "percent"
    tables.table(
        frame,
        [
            ("value", label, None),
            ("before", f"{movement.before_period}", unit),
            ("after", f"{movement.after_period}", unit),
            ("weight_before", f"Share {movement.before_period}", share if movement.method == "shift-share" else None),
            ("weight_after", f"Share {movement.after_period}", share if movement.method == "shift-share" else None),
            ("n_before", f"n {movement.before_period}", "count"),
            ("n_after", f"n {movement.after_period}", "count"),
            ("mix", "Mix", unit),
            ("rate", "Rate", unit),
            ("total", "Contribution", unit),
            ("status", "In both weeks?", None),
        ]
        if movement.method == "shift-share"
        else [
            ("value", label, None),
            ("before", f"{movement.before_period}", unit),
            ("after", f"{movement.after_period}", unit),
            ("n_before", f"n {movement.before_period}", "count"),
            ("n_after", f"n {movement.after_period}", "count"),
            ("total", "Contribution", unit),
            ("status", "In both weeks?", None),
        ],
        name=f"what-moved-{row.metric}-{movement.after_period}-by-{movement.dimension}",
        locale=locale,
    )


def _judged(row: ScorecardRow) -> bool:
    """Whether a move may be called good or bad: the status is a verdict (value, target, enough rows)."""
    return row.judgeable and row.note is None and row.status != "none" and not row.low_sample


CHANGE_COLOUR: Mapping[views.ChangeTone, chrome.Colour] = {"good": "green", "bad": "red", "none": "gray"}
"""A change's tone -> the delta's colour: green the metric's good way, red the bad way, grey no change."""


@st.dialog("Metric definition", width="large")
def _definition_dialog(
    ctx: context.Context, metric: str, week: cal.Period, filters: Mapping[str, Sequence[str]]
) -> None:
    definitions.details(ctx.catalog, metric, views.scorecard_query(ctx.catalog, metric, week, filters), ctx.db.dialect)
