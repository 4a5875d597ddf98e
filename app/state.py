"""What every page shares: the database and catalog, cached results, URL-backed controls, formats.

Caching lives here, at the page edge, never in the core:
- `st.cache_resource` holds the Database (one per target) and each read of metrics.yaml
  (keyed by path and modification time), plus, per path, the last catalog that was valid,
  which the dashboard keeps serving while the file on disk is broken.
- `st.cache_data` holds finished results (scorecards, metric frames, rankings, curves),
  keyed by `Source` (database target, `db.data_version()`, `catalog.version`) and every
  page parameter, so a filter change that was seen before redraws from memory and a
  data load or a catalog edit invalidates exactly what it changes.

Access scope is applied here, once, for every page: each accessor below passes its
filters through `scorecard.access.narrow` with the signed-in person (`app.auth.current()`),
so a team lead scoped to EMEA gets EMEA rows in every scorecard, frame, ranking, curve,
filter option and SQL listing, and a filter outside the scope is refused, whatever the
page asks for. Pages cannot reach the database except through these accessors.

Filters live in the URL: each dimension is a multiselect bound to a query parameter
(`?region=EMEA&region=NA`); the week, quarter and date ranges are written to the URL
on every run, so a copied link reopens the same view even after the default has moved on.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from app import auth
from app.text import plain
from scorecard.access import policy as access
from scorecard.access.policy import AccessDenied
from scorecard.catalog.load import Catalog, CatalogError, load_catalog
from scorecard.engine.runner import MetricError, Runner, dimension_values, maturation_curves, metric_sql
from scorecard.judge import drivers, metric_tests, preview, projection, readiness, weekly
from scorecard.judge import filters as filter_checks
from scorecard.judge.coverage import Coverage, coverage
from scorecard.judge.ranking import Ranking, forced_ranking
from scorecard.judge.readiness import Readiness
from scorecard.language import periods as cal
from scorecard.language.formatting import DEFAULT_LOCALE, MISSING
from scorecard.language.settings import Locale
from scorecard.present import spreadsheets
from scorecard.present.views import FilterKey, TableColumn, filter_key, table_styler
from scorecard.sql.query import Query
from scorecard.sql.resolve import CompileError
from scorecard.store import config, notes
from scorecard.store.db import Database, DatabaseError, clean_stale_copies

T = TypeVar("T")
Colour = Literal["red", "orange", "green", "blue", "violet", "gray"]
"""Streamlit's named colours that the theme (.streamlit/config.toml) maps onto the chart palette."""

STATUS_BADGE: Final[Mapping[str, Colour]] = {"green": "green", "amber": "orange", "red": "red", "none": "gray"}
"""Scorecard status -> badge colour."""

OUTLOOK_WEEKS: Final = 40
"""Cohort weeks on the Lead quality page's outlook: the young ones (220 days) and the newest mature ones."""
OWNER_BADGE: Final[Mapping[str, Colour]] = {"marketing": "violet", "sales": "blue", "both": "gray"}
"""Owner -> badge colour; never green, amber or red, which carry verdicts."""



def code(text: object) -> str:
    """Text as an inline code span, shown exactly as typed inside markdown (a problem's `file:line: message`).

    The fence is longer than any run of backticks in the text, so the text cannot close it.
    """
    flat = " ".join(str(text).splitlines())
    runs = [len(r) for r in re.findall(r"`+", flat)]
    fence = "`" * (max(runs, default=0) + 1)
    return f"{fence} {flat} {fence}"


# --- where the numbers come from ----------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Everything besides page parameters that changes a result: where, which data, which definitions."""

    target: str
    data_version: str
    catalog_version: str


@dataclass(frozen=True)
class Context:
    """What a data page needs: an open database, a valid catalog and the cache key they make."""

    db: Database
    catalog: Catalog
    source: Source


@dataclass(frozen=True)
class CatalogState:
    """The catalog being served, and the problems of the file on disk when it is not that file."""

    catalog: Catalog | None
    problems: tuple[str, ...]
    path: Path

    @property
    def stale(self) -> bool:
        """True when metrics.yaml is broken and an earlier valid version is being served."""
        return bool(self.problems) and self.catalog is not None


@st.cache_resource(show_spinner=False)
def _database(target: str) -> Database:
    db = Database.open(target)
    clean_stale_copies(db)  # copies a killed import left behind, once per server start
    return db


def database() -> Database:
    """The database of --db / $SCORECARD_DB, opened once per server."""
    return _database(config.database_target())


class _LastGood:
    """The newest valid catalog read from one path, kept while the file on disk is broken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None

    def keep(self, catalog: Catalog) -> None:
        with self._lock:
            self._catalog = catalog

    @property
    def catalog(self) -> Catalog | None:
        with self._lock:
            return self._catalog


@st.cache_resource(show_spinner=False)
def _last_good(path: str) -> _LastGood:
    return _LastGood()


@st.cache_resource(show_spinner=False, max_entries=32)
def _read_catalog(path: str, stamp: tuple[int, int]) -> tuple[Catalog | None, tuple[str, ...]]:
    """One read of metrics.yaml; `stamp` (mtime, size) makes an edit a new cache entry."""
    try:
        return load_catalog(path), ()
    except CatalogError as exc:
        return None, tuple(str(issue) for issue in exc.issues)
    except OSError as exc:
        return None, (f"{path}: cannot read the catalog: {exc.strerror or exc}",)


def catalog_state() -> CatalogState:
    """The catalog to serve: the file on disk if valid, else the last valid one, with the file's problems."""
    path = config.metrics_path()
    try:
        info = path.stat()
        stamp = (info.st_mtime_ns, info.st_size)
    except OSError:
        stamp = (0, 0)
    catalog, problems = _read_catalog(str(path), stamp)
    keeper = _last_good(str(path.resolve()))
    if catalog is not None:
        keeper.keep(catalog)
        return CatalogState(catalog, (), path)
    return CatalogState(keeper.catalog, problems, path)


def show_catalog_problems(state: CatalogState) -> None:
    """A warning naming every problem of a broken metrics.yaml (file:line: metric: message)."""
    if not state.problems:
        return
    lines = "\n".join(f"- {code(problem)}" for problem in state.problems[:20])
    more = f"\n- … and {len(state.problems) - 20} more" if len(state.problems) > 20 else ""
    if state.catalog is not None:
        st.warning(
            f"**{state.path.name} has problems; showing the last valid version** "
            f"({state.catalog.version}) until they are fixed.\n\n{lines}{more}",
            icon=":material/warning:",
        )
    else:
        st.error(f"**{plain(state.path)} cannot be used** and no earlier valid version is loaded.\n\n{lines}{more}")


def catalog() -> Catalog | None:
    """The catalog to serve, after showing any problems of the file on disk; None if there is none."""
    state = catalog_state()
    show_catalog_problems(state)
    return state.catalog


def database_help(db: Database) -> None:
    """How to get data into an empty or missing database."""
    where = db.display()
    st.info(f"**No Scorecard data yet** in `{where}`.", icon=":material/database:")
    st.markdown("Build the demo database (a few seconds), then reload this page:")
    st.code(f"python -m scorecard demo --db {where}", language="bash")
    st.caption(
        "Or import your CRM export on the Data page. The dashboard reads the database named by "
        f"`--db`, `${config.DB_ENV}` or `{config.DEFAULT_DB.name}` under data/."
    )


def database_problem(reason: str) -> None:
    """What is wrong with the database and how to fix it; the next run retries by itself."""
    st.error(f"**The database cannot be used.** {plain(reason)}", icon=":material/database_off:")
    st.markdown(
        "- *Locked*: another program (a DuckDB shell, a script) is writing to the file; close it.\n"
        "- *Not a database, or damaged*: point `--db` / `$SCORECARD_DB` at the right file, or rebuild it "
        "(`python -m scorecard demo --db PATH --force` for the demo, or import your exports again).\n"
        "- *Cannot connect*: start the database server, or fix the host, port, user or password in the URL.\n\n"
        "Then reload this page: the dashboard reconnects by itself, no restart needed."
    )


_RUN_CONTEXT: Final = "_scorecard_run_context"
"""Session key where the entrypoint leaves this run's Context for the page it runs next."""


def _open(catalog: Catalog) -> tuple[Database, Context | None]:
    """The database and, if it holds Scorecard data, the Context with its cache key (one version read)."""
    db = database()
    version = db.data_version()  # "missing" without a Scorecard schema
    if version == "missing":
        return db, None
    return db, Context(db, catalog, Source(config.database_target(), version, catalog.version))


def load_context() -> Context | None:
    """Database, catalog and cache key, or None if either is missing; shows nothing.

    The entrypoint calls it before the page; the page's `context()` reuses the result in
    the same run instead of reading the data version again (a database round trip).
    """
    served = catalog_state()
    ctx: Context | None = None
    if served.catalog is not None:
        try:
            _, ctx = _open(served.catalog)
        except DatabaseError:
            ctx = None
    st.session_state[_RUN_CONTEXT] = ctx
    return ctx


def context() -> Context | None:
    """Database, catalog and cache key for a data page, or None after explaining what is missing."""
    definitions = catalog()
    if definitions is None:
        return None
    handed = st.session_state.pop(_RUN_CONTEXT, None)
    if handed is not None and handed.catalog is definitions:
        return handed
    try:
        db, ctx = _open(definitions)
    except DatabaseError as exc:
        database_problem(str(exc))
        return None
    if ctx is None:
        database_help(db)
    return ctx


# --- cached results ----------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=32)
def _readiness(_db: Database, _catalog: Catalog, source: Source) -> Readiness:
    return readiness.check(_db, _catalog)


def readiness_of(ctx: Context) -> Readiness:
    """What the data supports (per metric ready or not, per table its fill), cached per source."""
    return _readiness(ctx.db, ctx.catalog, ctx.source)


@st.cache_data(show_spinner=False, max_entries=256)
def _scorecard(
    _db: Database, _catalog: Catalog, source: Source, week: str, filters: FilterKey, window: str | None,
    _ready: Readiness,
) -> weekly.Scorecard:
    return weekly.build(_db, _catalog, cal.parse_week(_catalog.calendar, week), dict(filters), window=window,
                        ready=_ready)


def scorecard_of(
    ctx: Context, week: cal.Period, filters: Mapping[str, Sequence[str]], window: str | None = None
) -> weekly.Scorecard:
    """The weekly scorecard for a week, filters within the person's scope and a window (None: each
    metric's own), cached."""
    return _scorecard(
        ctx.db, ctx.catalog, ctx.source, week.label, filter_key(_scoped(filters)), window, readiness_of(ctx)
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _coverage(_db: Database, _catalog: Catalog, source: Source, today: str) -> Coverage:
    return coverage(_db, _catalog)


def coverage_of(ctx: Context) -> Coverage:
    """Where the data is (first and last day, the weeks and quarters it covers), cached per source and day."""
    return _coverage(ctx.db, ctx.catalog, ctx.source, cal.today(ctx.catalog.calendar).isoformat())


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


def data_ends_note(covered: Coverage, shown: str) -> None:
    """'Data ends 2017-12-31; showing 2017-W52' when the data stops before the last complete week."""
    if covered.ends_early:
        st.info(
            f"Data ends {covered.last_day}; showing {shown}. Pick another period above.", icon=":material/history:"
        )


@st.cache_data(show_spinner=False, max_entries=1024)
def _metric(_db: Database, _catalog: Catalog, source: Source, metric: str, query: Query) -> pd.DataFrame:
    return Runner(_db, _catalog).run(metric, query)


def metric_frame(ctx: Context, metric: str, query: Query) -> pd.DataFrame:
    """One metric's finished frame (period, d_<dim>..., value, numerator, denominator, n), in scope, cached."""
    return _metric(ctx.db, ctx.catalog, ctx.source, metric, access.narrow_query(auth.current(), query))


@st.cache_data(show_spinner=False, max_entries=128)
def _ranking(
    _db: Database, _catalog: Catalog, source: Source, quarter: str, group: tuple[str, ...] | None, filters: FilterKey,
    today: dt.date,
) -> Ranking:
    period = cal.parse_period(_catalog.calendar, quarter, "quarter")
    return forced_ranking(_db, _catalog, period, group=group, filters=dict(filters), today=today)


def ranking_of(
    ctx: Context, quarter: cal.Period, group: tuple[str, ...] | None, filters: Mapping[str, Sequence[str]]
) -> Ranking:
    """The forced ranking of a quarter within peer groups (None: everyone), of the reps in scope, cached."""
    today = cal.today(ctx.catalog.calendar)
    return _ranking(ctx.db, ctx.catalog, ctx.source, quarter.label, group, filter_key(_scoped(filters)), today)


@st.cache_data(show_spinner=False, max_entries=128)
def _curves(
    _db: Database, _catalog: Catalog, source: Source, metric: str, query: Query, max_weeks: int
) -> pd.DataFrame:
    return maturation_curves(_db, _catalog, metric, query, max_weeks)


@st.cache_data(show_spinner=False, max_entries=64)
def _outlook(_db: Database, _catalog: Catalog, source: Source, week: str, filters: FilterKey) -> pd.DataFrame:
    period = cal.parse_week(_catalog.calendar, week)
    return projection.outlook(_db, _catalog, period, dict(filters), count=OUTLOOK_WEEKS)


def outlook_of(ctx: Context, week: cal.Period, filters: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Early signal, projection and final of lead-to-close per cohort week, in scope, cached."""
    return _outlook(ctx.db, ctx.catalog, ctx.source, week.label, filter_key(_scoped(filters)))


def curves_of(ctx: Context, metric: str, query: Query, max_weeks: int) -> pd.DataFrame:
    """Cohort maturation curves (share reached by weeks since entry), in scope, cached."""
    return _curves(ctx.db, ctx.catalog, ctx.source, metric, access.narrow_query(auth.current(), query), max_weeks)


@st.cache_data(show_spinner=False, max_entries=256)
def _options(_db: Database, _catalog: Catalog, source: Source, dimension: str, scope: access.Scope) -> list[str]:
    return dimension_values(_db, _catalog, dimension, filters=dict(scope))


def options_of(ctx: Context, dimension: str) -> list[str]:
    """The values a dimension takes in the rows the person may see: a filter's choices."""
    principal = auth.current()
    scope = principal.scope if principal is not None else ()
    try:
        values = _options(ctx.db, ctx.catalog, ctx.source, dimension, scope)
    except sa.exc.DBAPIError:  # a damaged or vanished database: the page itself says what is wrong
        return []
    return access.visible_values(principal, dimension, values)


@st.cache_data(show_spinner=False, max_entries=512)
def _sql(_catalog: Catalog, catalog_version: str, metric: str, query: Query, dialect: str) -> list[tuple[str, str]]:
    return metric_sql(_catalog, metric, query, dialect)


def sql_of(catalog: Catalog, metric: str, query: Query, dialect: str) -> list[tuple[str, str]]:
    """The SQL the engine runs for a metric in one dialect, scope included, as (metric, SQL) pairs; cached."""
    return _sql(catalog, catalog.version, metric, access.narrow_query(auth.current(), query), dialect)


@st.cache_data(show_spinner=False, max_entries=512)
def _supports(
    _db: Database, _catalog: Catalog, catalog_version: str, metric: str, dimensions: tuple[str, ...]
) -> str | None:
    return Runner(_db, _catalog).supports(metric, list(dimensions))


def unsupported(ctx: Context, metric: str, dimensions: Sequence[str]) -> str | None:
    """Why a metric cannot be filtered or broken down by these dimensions and the scope, or None if it can."""
    principal = auth.current()
    scoped = [*dimensions, *(dim for dim, _ in (principal.scope if principal else ()))]
    return _supports(ctx.db, ctx.catalog, ctx.catalog.version, metric, tuple(sorted(set(scoped))))


def guarded(compute: Callable[..., T], *args: Any) -> T | None:
    """Run `compute(*args)` (a query); on a metric, compile or access error show it plainly and return None."""
    try:
        return compute(*args)
    except (MetricError, CompileError) as exc:
        st.error(f"This view cannot be computed: {plain(exc)}")
        return None
    except DatabaseError as exc:
        database_problem(str(exc))
        return None
    except sa.exc.DBAPIError as exc:  # the database went away during the run (locked, stopped, replaced)
        database_problem(f"{database().display()}: {' '.join(str(exc.orig or exc).split())[:300]}")
        return None
    except AccessDenied as exc:
        st.error(str(exc), icon=":material/block:")
        return None


def _scoped(filters: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Filters within the signed-in person's scope (AccessDenied for values outside it)."""
    return access.narrow(auth.current(), filters)


@st.cache_data(show_spinner=False, max_entries=64)
def _preview(
    _db: Database, _before: Catalog, _after: Catalog, source: Source, proposed: str, week: str
) -> list[preview.MetricPreview]:
    return preview.preview(_db, _before, _after, cal.parse_week(_after.calendar, week))


def preview_of(ctx: Context, proposed: Catalog, week: cal.Period) -> list[preview.MetricPreview]:
    """The editor's before/after numbers of the metrics a proposed catalog changes, cached per proposal."""
    return _preview(ctx.db, ctx.catalog, proposed, ctx.source, proposed.version, week.label)


@st.cache_data(show_spinner=False, max_entries=64)
def _tests(_db: Database, _catalog: Catalog, data_version: str, catalog_version: str) -> list[metric_tests.TestResult]:
    return metric_tests.run(_db, _catalog)


def tests_of(ctx: Context, catalog: Catalog) -> list[metric_tests.TestResult]:
    """The metric tests of a catalog (the served one or a proposal) on the served database, cached."""
    return _tests(ctx.db, catalog, ctx.source.data_version, catalog.version)


def open_for(catalog: Catalog) -> tuple[Database, Context | None]:
    """The database and, if it holds Scorecard data, the Context for this catalog; raises DatabaseError."""
    return _open(catalog)


# --- controls whose state lives in the URL ------------------------------------------------------


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
        return _scoped(chosen)
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


# --- tables --------------------------------------------------------------------------------------


def table(
    frame: pd.DataFrame,
    columns: Sequence[TableColumn],
    *,
    name: str = "table",
    locale: Locale = DEFAULT_LOCALE,
    help: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> None:
    """A read-only table: (column, label, unit or None for text) each, numbers written like the cards.

    Cells are formatted by `scorecard.formatting` in the catalog's locale (one formatter for
    every surface); numbers still sort as numbers; a missing value shows "–", never "None".
    `help` maps a heading to the tooltip that explains it. Under it, CSV and XLSX downloads of
    exactly these columns (`name` makes the file name and the buttons' keys, so give each table
    on a page its own).
    """
    config: dict[str, Any] = {}
    for column, label, unit in columns:
        if column not in frame:
            continue
        tip = (help or {}).get(label)
        kind = st.column_config.TextColumn if unit is None else st.column_config.NumberColumn
        config[label] = kind(label, help=tip)
    st.dataframe(table_styler(frame, columns, locale), hide_index=True, column_config=config, placeholder=MISSING,
                 **kwargs)
    table_downloads(frame, columns, name)


def table_downloads(frame: pd.DataFrame, columns: Sequence[tuple[str, str, str | None]], name: str) -> None:
    """CSV and XLSX buttons for a table: the shown columns, numbers as numbers with their formats."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() or "table"
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "CSV", lambda: spreadsheets.table_csv(frame, columns), f"{stem}.csv", "text/csv", on_click="ignore",
            icon=":material/download:", key=f"{stem}_csv", type="tertiary", help="This table as CSV",
        )  # fmt: skip
        st.download_button(
            "XLSX", lambda: spreadsheets.table_xlsx(frame, columns, title=name), f"{stem}.xlsx", XLSX_MIME,
            on_click="ignore", icon=":material/download:", key=f"{stem}_xlsx", type="tertiary",
            help="This table as an Excel workbook, numbers kept as numbers",
        )  # fmt: skip


def frame_downloads(frame: pd.DataFrame, name: str) -> None:
    """CSV and XLSX buttons for a plain table (its own column names): numeric columns kept as
    numbers (whole numbers with thousands separators), dates as dates, the rest as text."""
    columns: list[tuple[str, str, str | None]] = []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            columns.append((str(column), str(column), None))
        else:
            columns.append((str(column), str(column), "count" if pd.api.types.is_integer_dtype(values) else "number"))
    table_downloads(frame.rename(columns=str), columns, name)


XLSX_MIME: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- what moved and notes -----------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=128)
def _movements(
    _db: Database, _catalog: Catalog, _card: weekly.Scorecard, source: Source, week: str, filters: FilterKey,
    window: str | None, dimension: str,
) -> dict[str, drivers.Movement]:
    found = drivers.for_card(_db, _catalog, _card, [dimension])
    return {metric: by_dimension[dimension] for metric, by_dimension in found.items()}


def movements_of(ctx: Context, card: weekly.Scorecard, dimension: str) -> dict[str, drivers.Movement]:
    """What moved each row of the card shown (its week, scoped filters, window and settled weeks),
    by one dimension; cached per source, week, filters, window and dimension."""
    return _movements(
        ctx.db, ctx.catalog, card, ctx.source, card.week.label, filter_key(card.filters), card.window, dimension
    )


def notes_of(ctx: Context, weeks: Sequence[cal.Period]) -> list[notes.Note]:
    """Notes on these weeks. Not cached: a note added a moment ago shows at once, and the query is tiny."""
    return notes.for_weeks(ctx.db, weeks)


def notes_between(ctx: Context, first: dt.date, last: dt.date, metric: str | None = None) -> list[notes.Note]:
    """Notes on the weeks starting in [first, last] (a metric's and the whole-week ones), uncached."""
    return notes.between(ctx.db, first, last, metric)


def signed_in_user() -> str | None:
    """Who notes are recorded as written by: the signed-in person's address (in local mode, the
    operating-system user); None outside a gated run."""
    person = auth.current()
    return person.user_name if person is not None else None


def may_add_notes() -> bool:
    """Whether this person may write notes (analysts and admins; everyone in local mode)."""
    return access.can(auth.current(), "edit_notes")


PAGE_STYLE: Final = """
<style>
/* A chart wider than a phone scrolls inside its own frame; the page never scrolls sideways. */
[data-testid="stVegaLiteChart"] { max-width: 100%; overflow-x: auto; overflow-y: hidden; }
/* Code wraps on narrow screens instead of pushing the page wider. */
[data-testid="stCode"] pre { max-width: 100%; }
</style>
"""


def page_style() -> None:
    """The few layout rules Streamlit has no option for (added once per run, draws nothing)."""
    st.html(PAGE_STYLE)


def page_header(title: str, caption: str) -> None:
    """The page title and one line on what it answers."""
    st.title(title)
    st.caption(caption)
