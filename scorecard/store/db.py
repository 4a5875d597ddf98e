"""Open a database by SQLAlchemy URL or file path, create the schema, load in bulk.

One writer, many readers. DuckDB allows a single read-write process and no readers
beside it, so writes to a DuckDB file go to a copy that replaces the file atomically
when the write commits (`Database.writer`): the dashboard keeps reading the old file
meanwhile, and a failed write leaves the previous file whole. SQLite runs in WAL mode
and PostgreSQL uses ordinary transactions for the same guarantees.
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb_engine
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import registry
from sqlalchemy.pool import NullPool

from scorecard.store import config, model
from scorecard.store.files import locked, locked_if_free

SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")


class DatabaseError(Exception):
    """A database could not be opened or written; the message says which and why."""


PresenceKind = Literal["ready", "absent", "foreign", "unreachable"]
"""ready: a Scorecard database; absent: nothing there yet (safe to create); foreign: something
else is there (never overwritten); unreachable: no answer, and `reason` says why."""


@dataclass(frozen=True)
class Presence:
    """What `Database.status()` found at a location, in words a person can act on."""

    kind: PresenceKind
    reason: str


_MAGIC: dict[str, tuple[int, bytes, str]] = {
    "duckdb": (8, b"DUCK", "a DuckDB database file"),
    "sqlite": (0, b"SQLite format 3\x00", "an SQLite database file"),
}


def _file_problem(path: Path, dialect: str) -> Presence | None:
    """Why an embedded database's file cannot be used, read from its header; None if it can (or is absent)."""
    where = str(path)
    try:
        if path.is_dir():
            return Presence("foreign", f"{where} is a folder, not a database file")
        if not path.exists():
            parent = path.parent
            while not parent.exists() and parent != parent.parent:
                parent = parent.parent
            if not parent.is_dir():
                return Presence("unreachable", f"cannot create {where}: {parent} is not a folder")
            return None
        if not path.is_file():
            return Presence("foreign", f"{where} is not a regular file")
        with open(path, "rb") as handle:
            head = handle.read(16)
    except PermissionError:
        return Presence("unreachable", f"cannot read {where}: permission denied")
    except OSError as exc:
        return Presence("unreachable", f"cannot read {where}: {exc.strerror or exc}")
    if not head:
        return None
    offset, magic, what = _MAGIC.get(dialect, (0, b"", ""))
    if magic and head[offset : offset + len(magic)] != magic:
        return Presence("foreign", f"{where} is not {what}; Scorecard will not read or replace it")
    return None


def failure_reason(exc: BaseException) -> str:
    """A driver failure in one line: the driver's own words (first lines) and a hint for the usual causes."""
    return _reason(exc)


def _reason(exc: BaseException) -> str:
    """The driver's own words, first lines only, with a hint for the usual causes."""
    original = getattr(exc, "orig", None) or exc
    text = " ".join(str(original).split("\n")[:2]).strip()
    text = " ".join(text.split())
    lower = text.lower()
    if "conflicting lock" in lower or "database is locked" in lower:
        hint = "another program is writing to it; wait for it to finish or close it"
    elif "connection refused" in lower or "could not connect" in lower or "timeout" in lower:
        hint = "is the server running and the host and port right?"
    elif "password authentication" in lower or "role" in lower and "does not exist" in lower:
        hint = "check the user name and password in the URL"
    elif "does not exist" in lower and "database" in lower:
        hint = "create the database first, or fix its name in the URL"
    elif any(
        words in lower
        for words in ("not a valid duckdb", "file is not a database", "malformed", "could not read enough bytes")
    ):
        hint = "the file is damaged or not a database; restore it from a backup or build a new one"
    else:
        hint = ""
    return f"{text[:300]} ({hint})" if hint and "?" not in text else text[:300]


def resolve_url(target: str | Path) -> sa.URL:
    """Turn `--db` into a URL: URLs pass through, paths pick DuckDB or SQLite by suffix.

    >>> str(resolve_url("postgresql+psycopg://u@h/db"))
    'postgresql+psycopg://u@h/db'
    >>> resolve_url("/tmp/x.sqlite").drivername
    'sqlite'
    """
    text = str(target)
    if "://" in text:
        try:
            return sa.make_url(text)
        except sa.exc.ArgumentError as exc:
            raise DatabaseError(f"cannot read database URL {text!r}: {exc}") from exc
    if text == ":memory:":
        return sa.make_url("duckdb:///:memory:")
    path = Path(text).expanduser().resolve()
    driver = "sqlite" if path.suffix.lower() in SQLITE_SUFFIXES else "duckdb"
    return sa.URL.create(driver, database=str(path))


def _file_of(url: sa.URL) -> Path | None:
    if url.get_backend_name() in ("duckdb", "sqlite") and url.database not in (None, "", ":memory:"):
        return Path(url.database)  # type: ignore[arg-type]
    return None


@dataclass
class Database:
    """A CRM database: where it is, and engines to read and write it."""

    url: sa.URL
    _engines: dict[bool, sa.Engine] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, target: str | Path) -> Database:
        return cls(resolve_url(target))

    @property
    def dialect(self) -> str:
        """The backend name: duckdb, sqlite, postgresql, ..."""
        return self.url.get_backend_name()

    @property
    def path(self) -> Path | None:
        """The file behind an embedded database, else None."""
        return _file_of(self.url)

    def display(self) -> str:
        """The location without a password, for messages."""
        return str(self.path) if self.path else self.url.render_as_string(hide_password=True)

    def status(self) -> Presence:
        """What is at this location: a Scorecard database, nothing yet, something else, or no answer.

        Never writes and never creates a file. A file is recognised by its header before
        any driver opens it, so a text file, a system file or a locked database is told
        apart from a path where nothing exists yet.
        """
        path = self.path
        where = self.display()
        if path is not None:
            problem = _file_problem(path, self.dialect)
            if problem is not None:
                return problem
            if not path.exists():
                return Presence("absent", f"{where} does not exist yet")
            if path.stat().st_size == 0:
                return Presence("absent", f"{where} is an empty file")
        try:
            with self.engine().connect() as conn:
                tables = set(sa.inspect(conn).get_table_names())
        except sa.exc.DBAPIError as exc:
            return Presence("unreachable", f"cannot connect to {where}: {_reason(exc)}")
        except DatabaseError as exc:
            return Presence("unreachable", str(exc))
        if "leads" in tables and "loads" in tables:
            return Presence("ready", f"{where} holds Scorecard data")
        if tables and tables <= set(model.TABLES):  # another writer is creating the schema right now
            return Presence("absent", f"{where} has only part of the Scorecard tables yet")
        if not tables or path is None:  # a server database without our tables: they can be added beside others
            return Presence("absent", f"{where} has no Scorecard tables yet")
        shown = ", ".join(sorted(tables)[:5])
        return Presence("foreign", f"{where} is not a Scorecard database (its tables: {shown})")

    def exists(self) -> bool:
        """True if the Scorecard schema is there, False if nothing is there yet.

        Raises DatabaseError when the answer is neither: the location holds something that
        is not a Scorecard database, or the database cannot be reached (with why).
        """
        presence = self.status()
        if presence.kind in ("foreign", "unreachable"):
            raise DatabaseError(presence.reason)
        return presence.kind == "ready"

    def engine(self, read_only: bool = True) -> sa.Engine:
        """An engine for reading (default) or for writing in place.

        DuckDB readers use no pool, so each query opens the current file and sees
        the latest committed load.
        """
        if read_only not in self._engines:
            self._engines[read_only] = _create_engine(self.url, read_only=read_only)
        return self._engines[read_only]

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()

    @contextlib.contextmanager
    def writer(self, fresh: bool = False) -> Iterator[sa.Connection]:
        """A connection in one transaction; all of it lands or none of it does.

        For a DuckDB file the work happens on a copy (or, with fresh=True, on a new
        empty file) that atomically replaces the original on success. Writers are
        serialised, so two imports at once land one after the other: by a lock file next
        to a DuckDB or SQLite file, and by a transaction-level advisory lock on PostgreSQL
        (without it, two imports creating the same account collide on its key). Copies
        left by a writer that was killed are removed by the next one.
        """
        path = self.path
        if self.dialect != "duckdb" or path is None:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            lock = locked(path.with_name(path.name + ".lock")) if path is not None else contextlib.nullcontext()
            with lock, self.engine(read_only=False).begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(_WRITER_LOCK))))
                yield conn
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with locked(path.with_name(path.name + ".lock")):
            _remove_stale_copies(path)
            fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".writing", dir=path.parent)
            os.close(fd)
            tmp = Path(tmp_name)
            tmp.unlink()
            if path.exists() and not fresh:
                shutil.copyfile(path, tmp)
            engine = _create_engine(sa.URL.create("duckdb", database=str(tmp)), read_only=False)
            try:
                with engine.begin() as conn:
                    yield conn
                with engine.connect() as conn:
                    conn.exec_driver_sql("CHECKPOINT")
                engine.dispose()
                os.replace(tmp, path)
            except BaseException:
                engine.dispose()
                tmp.unlink(missing_ok=True)
                Path(str(tmp) + ".wal").unlink(missing_ok=True)
                raise

    def data_version(self) -> str:
        """Changes whenever committed data changes; a cache key for finished results.

        "missing" when there is no Scorecard data yet; DatabaseError (saying why) when the
        database is there but cannot be read, or is not a Scorecard database.

        Read from the `loads` log inside the database, not from the file's metadata: while
        an import replaces a DuckDB file, a connection opened next to one still reading the
        old file shares that old instance, and the key must describe the data it reads.
        """
        if self.path is not None and not self.path.exists():
            return "missing"
        loads = model.loads
        try:
            with self.engine().connect() as conn:
                row = conn.execute(
                    sa.select(sa.func.max(loads.c.id), sa.func.max(loads.c.loaded_at), sa.func.count())
                ).one()
        except sa.exc.DBAPIError as exc:
            presence = self.status()  # only on failure: the usual run costs one query
            if presence.kind == "absent":
                return "missing"
            if presence.kind == "ready":
                raise DatabaseError(f"cannot read {self.display()}: {_reason(exc)}") from exc
            raise DatabaseError(presence.reason) from exc
        return f"{row[0]}:{row[1]}:{row[2]}"


_WRITER_LOCK = "scorecard writer"
"""Name of PostgreSQL's advisory lock for writers (per database: schemas share it, harmlessly)."""


def _stale_copies(path: Path) -> list[Path]:
    """Copies a writer of `path` makes while it works (`NAME.*.writing` and its `.wal`)."""
    return sorted(path.parent.glob(f"{glob.escape(path.name)}.*.writing")) + sorted(
        path.parent.glob(f"{glob.escape(path.name)}.*.writing.wal")
    )


def _remove_stale_copies(path: Path) -> int:
    """Remove the copies of a writer that died; only call while holding the writer lock."""
    removed = 0
    for stale in _stale_copies(path):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
            removed += 1
    return removed


def clean_stale_copies(db: Database) -> int:
    """At start-up: remove copies left by a killed writer, if no writer is running now; returns how many."""
    path = db.path
    if db.dialect != "duckdb" or path is None or not path.parent.is_dir() or not _stale_copies(path):
        return 0
    with locked_if_free(path.with_name(path.name + ".lock")) as free:
        if not free:
            return 0  # a writer is at work: its copy is not stale
        return _remove_stale_copies(path)


class CachingDuckDBDialect(duckdb_engine.Dialect):  # type: ignore[misc]
    """duckdb-engine with SQLAlchemy's compiled-statement cache switched on.

    duckdb-engine 0.17 opts out of the cache, so every statement was compiled anew: about
    0.1 s of each weekly scorecard. Scorecard's statements are plain Core with bound
    parameters, which the cache handles; the SQL snapshots and the metric tests cover it.
    """

    supports_statement_cache = True


registry.register("duckdb.scorecard", __name__, "CachingDuckDBDialect")


def _create_engine(url: sa.URL, read_only: bool) -> sa.Engine:
    backend = url.get_backend_name()
    if backend == "duckdb":
        if "+" not in url.drivername:  # the default driver: use the caching dialect
            url = url.set(drivername="duckdb+scorecard")
        path = _file_of(url)
        if path is not None and read_only:
            try:
                limit = config.duckdb_memory_limit()
            except ValueError as exc:
                raise DatabaseError(str(exc)) from None
            engine = sa.create_engine(url, connect_args={"read_only": True}, poolclass=NullPool)
            if limit is not None:

                @sa.event.listens_for(engine, "connect")
                def _limit_memory(dbapi_conn: Any, _record: Any) -> None:
                    dbapi_conn.execute(f"SET memory_limit = '{limit}'")  # checked by config: a size, no quotes

            return engine
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            return sa.create_engine(url, poolclass=NullPool)
        return sa.create_engine(url)
    if backend == "sqlite":
        engine = sa.create_engine(url)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_setup(dbapi_conn: Any, _record: Any) -> None:
            from scorecard.store import sqlite_functions

            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            sqlite_functions.register(dbapi_conn)

        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except (ImportError, sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise DatabaseError(f"cannot open {url.render_as_string(hide_password=True)}: {exc}") from exc


def create_schema(conn: sa.Connection) -> None:
    """Create every table that is missing, with its indexes.

    DuckDB gets primary keys but no secondary indexes: it filters and joins through
    min-max zone maps and hash joins, never through an ART index, and the indexes would
    double the file and the load time (measured on the 1M-lead demo: 26 s and 983 MB with
    them, 14 s and 407 MB without).
    """
    inspector = sa.inspect(conn)
    for table in model.metadata.sorted_tables:
        if inspector.has_table(table.name):
            continue
        conn.execute(sa.schema.CreateTable(table))
        if conn.dialect.name != "duckdb":
            for index in sorted(table.indexes, key=lambda ix: ix.name or ""):
                conn.execute(sa.schema.CreateIndex(index))


def refresh_maintained(conn: sa.Connection) -> None:
    """Recompute the columns derived from other tables (model.MAINTAINED) in this transaction.

    Every load calls it after writing, so the derived values are never stale. One
    correlated UPDATE: about 0.2 s for 1M leads and 5M activities on DuckDB.
    """
    leads, activities = model.leads, model.activities
    first = sa.select(sa.func.min(activities.c.occurred_at)).where(activities.c.lead_id == leads.c.id).scalar_subquery()
    conn.execute(sa.update(leads).values(first_touch_at=first))


def drop_schema(conn: sa.Connection) -> None:
    model.metadata.drop_all(conn, checkfirst=True)


def table_counts(conn: sa.Connection) -> dict[str, int]:
    """Rows per table, in model order."""
    return {
        name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
        for name, table in model.TABLES.items()
    }


def bulk_insert(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Append a frame to a table in bulk: DuckDB scans the frame, PostgreSQL COPYs it.

    The frame's columns must be a subset of the table's; missing columns get NULL.
    """
    if frame.empty:
        return 0
    unknown = set(frame.columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name}: unknown columns {sorted(unknown)}")
    columns = [c for c in table.c.keys() if c in frame.columns]  # noqa: SIM118 - model order
    frame = frame[columns]
    dialect = conn.dialect.name
    if dialect == "duckdb":
        raw = conn.connection.driver_connection
        view = f"_scorecard_frame_{table.name}"
        raw.register(view, frame)  # type: ignore[union-attr]
        try:
            statement = sa.insert(table).from_select(
                columns, sa.select(*(sa.column(c) for c in columns)).select_from(sa.table(view))
            )
            conn.execute(statement)
        finally:
            raw.unregister(view)  # type: ignore[union-attr]
        return len(frame)
    if dialect == "postgresql" and conn.dialect.driver == "psycopg":
        from psycopg import sql as pgsql

        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False, na_rep="\\N", date_format="%Y-%m-%d %H:%M:%S.%f")
        copy_sql = pgsql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, NULL '\\N')").format(
            pgsql.Identifier(table.name), pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns)
        )
        raw_conn = conn.connection.driver_connection
        with raw_conn.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[union-attr]
            copy.write(buffer.getvalue())
        return len(frame)
    # SQLite and other dialects: executemany in large batches inside the transaction.
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for start in range(0, len(records), 50_000):
        conn.execute(sa.insert(table), records[start : start + 50_000])
    return len(frame)
