"""Where a page's numbers come from: the database, the catalog, and the Context (with its cache key) they make.

`st.cache_resource` holds the Database (one per target) and each read of metrics.yaml
(keyed by path and modification time), plus, per path, the last catalog that was valid,
which the dashboard keeps serving while the file on disk is broken. The Context's `Source`
is the key every cached result in `app.queries` is stored under.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import streamlit as st

from app.chrome import code, database_help, database_problem
from app.text import plain
from scorecard.catalog.load import Catalog, CatalogError, load_catalog
from scorecard.store import config
from scorecard.store.db import Database, DatabaseError, clean_stale_copies


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


def open_for(catalog: Catalog) -> tuple[Database, Context | None]:
    """The database and, if it holds Scorecard data, the Context for this catalog; raises DatabaseError."""
    return _open(catalog)
