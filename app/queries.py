"""Cached results: every query a page makes goes through an accessor here, in scope.

Caching lives here, at the page edge, never in the core: `st.cache_data` holds finished
results (scorecards, metric frames, rankings, curves), keyed by `Source` (database target,
`db.data_version()`, `catalog.version`) and every page parameter, so a filter change that
was seen before redraws from memory and a data load or a catalog edit invalidates exactly
what it changes. (The Database and the catalog reads are held in `app.context`.)

Access scope is applied here, once, for every page: each accessor below passes its
filters through `scorecard.access.narrow` with the signed-in person (`app.auth.current()`),
so a team lead scoped to EMEA gets EMEA rows in every scorecard, frame, ranking, curve,
filter option and SQL listing, and a filter outside the scope is refused, whatever the
page asks for. Pages cannot reach the database except through these accessors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from app import auth
from app.chrome import database_problem
from app.context import Context, Source, database
from app.text import plain
from scorecard.access import policy as access
from scorecard.access.policy import AccessDenied
from scorecard.catalog.load import Catalog
from scorecard.engine.runner import MetricError, Runner, dimension_values, maturation_curves, metric_sql
from scorecard.judge import drivers, metric_tests, preview, projection, readiness, weekly
from scorecard.judge.coverage import Coverage, coverage
from scorecard.judge.ranking import Ranking, forced_ranking
from scorecard.judge.readiness import Readiness
from scorecard.language import periods as cal
from scorecard.present.views import FilterKey, filter_key
from scorecard.sql.query import Query
from scorecard.sql.resolve import CompileError
from scorecard.store import notes
from scorecard.store.db import Database, DatabaseError

T = TypeVar("T")

OUTLOOK_WEEKS: Final = 40
"""Cohort weeks on the Lead quality page's outlook: the young ones (220 days) and the newest mature ones."""


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
        ctx.db, ctx.catalog, ctx.source, week.label, filter_key(in_scope(filters)), window, readiness_of(ctx)
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _coverage(_db: Database, _catalog: Catalog, source: Source, today: str) -> Coverage:
    return coverage(_db, _catalog)


def coverage_of(ctx: Context) -> Coverage:
    """Where the data is (first and last day, the weeks and quarters it covers), cached per source and day."""
    return _coverage(ctx.db, ctx.catalog, ctx.source, cal.today(ctx.catalog.calendar).isoformat())


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
    return _ranking(ctx.db, ctx.catalog, ctx.source, quarter.label, group, filter_key(in_scope(filters)), today)


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
    return _outlook(ctx.db, ctx.catalog, ctx.source, week.label, filter_key(in_scope(filters)))


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


def in_scope(filters: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
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
