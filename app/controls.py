"""Controls whose state lives in the URL: the dimension filters and the pickers of a page.

Filters live in the URL: each dimension is a multiselect bound to a query parameter
(`?region=EMEA&region=NA`); the week, quarter and date ranges are written to the URL
on every run, so a copied link reopens the same view even after the default has moved on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal

import streamlit as st

from app import auth
from app.context import Context
from app.queries import in_scope, options_of
from app.text import plain
from scorecard.access.policy import AccessDenied
from scorecard.judge import filters as filter_checks
from scorecard.judge.coverage import Coverage
from scorecard.language import periods as cal


def filter_sidebar(ctx: Context | None, *, in_use: bool) -> None:
    """One multiselect per dimension in the sidebar, each bound to the URL (`?region=EMEA&region=NA`).

    Drawn by the entrypoint on every page, before the page runs, so the filters stay in the
    address (and in force) when the reader moves between pages; on pages that do not use
    them they sit in a closed expander.
    """
    if ctx is None:
        return
    _refuse_out_of_scope(ctx)
    with st.sidebar:
        panel = st.container() if in_use else st.expander("Filters (used by the scorecard pages)")
        with panel:
            head, clear = st.columns([3, 2], vertical_alignment="bottom")
            if in_use:
                head.markdown("**Filters**")
            clear.button(
                "Clear",
                key="clear_filters",
                on_click=_clear_filters,
                args=(tuple(ctx.catalog.dimensions),),
                type="tertiary",
                icon=":material/filter_alt_off:",
            )
            unmatched: dict[str, list[str]] = {}
            for name, dimension in ctx.catalog.dimensions.items():
                options = options_of(ctx, name)
                # The widget drops URL values it does not offer; note them first, so the page can
                # say so instead of silently showing every row.
                unknown = [v for v in st.query_params.get_all(name) if v not in options]
                if unknown:
                    unmatched[name] = unknown
                st.multiselect(
                    dimension.label,
                    options,
                    key=name,
                    bind="query-params",
                    placeholder="All",
                    help=dimension.description or None,
                )
            st.session_state[_UNMATCHED] = unmatched


_UNMATCHED: Final = "_unmatched_filters"


def current_filters(ctx: Context) -> dict[str, list[str]]:
    """The filters in force: the values chosen in the sidebar plus the person's scope
    (dimensions with nothing chosen and no scope are left out).

    A value that no row holds (a shared link to `?region=Europe`, a typo) stops the page with
    a notice naming the values there are: never a silent page of zeros.
    """
    chosen: dict[str, list[str]] = {}
    for name in ctx.catalog.dimensions:
        values = [str(v) for v in (st.session_state.get(name) or [])]
        if values:
            chosen[name] = values
    asked = {k: [*chosen.get(k, []), *v] for k, v in (st.session_state.get(_UNMATCHED) or {}).items()}
    problems = filter_checks.unmatched(ctx.catalog, asked, {d: options_of(ctx, d) for d in asked})
    if problems:
        for problem in problems:
            st.warning(f"Filter matches nothing: {plain(problem)}.", icon=":material/filter_alt_off:")
        st.caption("Pick values from the sidebar, or clear the filters.")
        st.stop()
    try:
        return in_scope(chosen)
    except AccessDenied as exc:
        auth.refused(str(exc))
        raise


def _refuse_out_of_scope(ctx: Context) -> None:
    """Refuse a view whose address asks for values outside the person's scope (a shared link, say)."""
    principal = auth.current()
    for dim, allowed in principal.scope if principal else ():
        asked = [v for v in st.query_params.get_all(dim) if v not in allowed]
        if asked:
            label = ctx.catalog.dimensions[dim].label if dim in ctx.catalog.dimensions else dim
            st.error(
                f"This view asks for {plain(label)} {plain(', '.join(asked))}, outside your access "
                f"({plain(', '.join(allowed))}). Nothing outside your scope is shown.",
                icon=":material/block:",
            )
            st.button("Show my scope instead", on_click=_drop_params, args=(dim,), key=f"scope_reset_{dim}")
            st.stop()


def _drop_params(dim: str) -> None:
    del st.query_params[dim]
    st.session_state[dim] = []


def _clear_filters(dimensions: tuple[str, ...]) -> None:
    for name in dimensions:
        st.session_state[name] = []


def url_choice(
    label: str,
    options: Sequence[str],
    *,
    param: str,
    default: str,
    key: str,
    format_func: Callable[[str], str] = str,
    help: str | None = None,
    segmented: bool = False,
) -> str:
    """A selectbox (or segmented control) whose value is written to the URL as `?param=value` on every run.

    The raw option goes in the URL (`?metric=win_rate`, not its label), and it is written even
    when it is the default, so a link to "the last complete week" still opens that week next
    month. Invalid values in the URL fall back to the default.
    """
    if key not in st.session_state:
        wanted = st.query_params.get(param)
        st.session_state[key] = wanted if wanted in options else default
    elif st.session_state[key] not in options:
        st.session_state[key] = default
    chosen: str | None
    if segmented:
        chosen = st.segmented_control(
            label, list(options), key=key, format_func=format_func, help=help, required=True
        )
    else:
        chosen = st.selectbox(label, list(options), key=key, format_func=format_func, help=help)
    value = chosen if chosen is not None and chosen in options else default
    st.query_params[param] = value
    return value


def url_date_range(
    label: str,
    *,
    default: tuple[dt.date, dt.date],
    key: str,
    bounds: tuple[dt.date, dt.date] | None = None,
    help: str | None = None,
) -> tuple[dt.date, dt.date]:
    """A date-range picker written to the URL as `?from=YYYY-MM-DD&to=YYYY-MM-DD`."""
    if key not in st.session_state:
        first = _date(st.query_params.get("from")) or default[0]
        last = _date(st.query_params.get("to")) or default[1]
        first, last = min(first, last), max(first, last)
        if bounds is not None and (first < bounds[0] or last > bounds[1]):  # a hand-edited link: keep inside
            st.info(
                f"The link asked for {first} to {last}; dates from {bounds[0]} to {bounds[1]} can be shown.",
                icon=":material/date_range:",
            )
            first = min(max(first, bounds[0]), bounds[1])
            last = min(max(last, bounds[0]), bounds[1])
        st.session_state[key] = (first, last)
    kwargs: dict[str, Any] = {}
    if bounds is not None:
        kwargs = {"min_value": bounds[0], "max_value": bounds[1]}
    value = st.date_input(label, key=key, format="YYYY-MM-DD", help=help, **kwargs)
    if isinstance(value, tuple) and len(value) == 2:
        first, last = value
        st.session_state[f"{key}_complete"] = (first, last)
    else:  # only the start picked so far: keep the last complete range
        first, last = st.session_state.get(f"{key}_complete", default)
    st.query_params["from"] = first.isoformat()
    st.query_params["to"] = last.isoformat()
    return first, last


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def outside_data_notice(
    covered: Coverage,
    options: Sequence[str],
    *,
    param: str,
    key: str,
    grain: Literal["week", "quarter"],
) -> None:
    """A week or quarter in the URL that the data does not cover: say so, and pick the nearest covered one.

    Runs before the picker is drawn (only while its widget state is new), so a shared link
    to a week outside the data opens on the closest week that has data, with a notice.
    """
    wanted = st.query_params.get(param)
    if key in st.session_state or not wanted or wanted in options:
        return
    try:
        asked = cal.parse_period(covered.calendar, wanted, grain)
    except cal.PeriodError:
        return
    if grain == "week":
        nearest = covered.nearest_week(asked).label
    else:
        newest = cal.parse_period(covered.calendar, options[0], grain)
        nearest = options[0] if asked.first > newest.first else options[-1]
    if nearest not in options:
        return
    st.session_state[key] = nearest
    st.warning(
        f"{asked.label} is outside the data: {covered.span()}. Showing the nearest {grain} with data, {nearest}.",
        icon=":material/event_busy:",
    )
