"""Shared fixtures: one real database per engine (DuckDB, SQLite, PostgreSQL).

PostgreSQL tests run in a schema of their own on 127.0.0.1:5432/test (or
$SCORECARD_TEST_PG), so concurrent runs never see each other's tables.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from scorecard.catalog.load import Catalog, load_catalog
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database

pytest_plugins = ["tests.fixtures.dashboard"]  # `demo_db`, shared by the AppTest and browser tiers

PG_URL = os.environ.get("SCORECARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ALL_ENGINES = ("duckdb", "sqlite", "postgresql")
_ASKED = os.environ.get("SCORECARD_TEST_ENGINES", ",".join(ALL_ENGINES)).split(",")
ENGINES = tuple(e for e in ALL_ENGINES if e in _ASKED)
"""The engines the engine-parametrised tests run on: all three, or $SCORECARD_TEST_ENGINES (`make check`: duckdb)."""


def _postgres_schema_database() -> Iterator[Database]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
    except sa.exc.OperationalError as exc:  # pragma: no cover - environment problem
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}: {exc}")
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True))
        admin.dispose()


@contextlib.contextmanager
def new_database(kind: str, directory: Path) -> Iterator[Database]:
    """An empty database of one kind; PostgreSQL gets a schema of its own, dropped after."""
    if kind == "postgresql":
        gen = _postgres_schema_database()
        db = next(gen)
        try:
            yield db
        finally:
            for _ in gen:
                pass
        return
    suffix = {"duckdb": ".duckdb", "sqlite": ".sqlite"}[kind]
    db = Database.open(directory / f"{uuid.uuid4().hex[:8]}{suffix}")
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def make_db(tmp_path: Path) -> Iterator[Callable[[str], Database]]:
    """Factory: make_db("duckdb" | "sqlite" | "postgresql") -> an empty Database."""
    cleanups: list[Iterator[Database]] = []
    opened: list[Database] = []

    def factory(kind: str) -> Database:
        if kind == "duckdb":
            db = Database.open(tmp_path / f"{uuid.uuid4().hex[:8]}.duckdb")
        elif kind == "sqlite":
            db = Database.open(tmp_path / f"{uuid.uuid4().hex[:8]}.sqlite")
        elif kind == "postgresql":
            gen = _postgres_schema_database()
            db = next(gen)
            cleanups.append(gen)
        else:
            raise ValueError(kind)
        opened.append(db)
        return db

    yield factory
    for db in opened:
        db.dispose()
    for gen in cleanups:
        for _ in gen:
            pass


@pytest.fixture(scope="module", params=ENGINES)
def tiny_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The hand-made CRM of tests/fixtures/tiny.py, on each engine in turn (one per test module;
    a module may define its own `tiny_db` instead)."""
    from tests.fixtures import tiny

    with new_database(str(request.param), tmp_path_factory.mktemp("tiny")) as db:
        yield tiny.load(db)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The default catalog, metrics.yaml (a module may define its own `catalog` instead)."""
    return load_catalog(DEFAULT_METRICS)


@pytest.fixture(params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    """Parametrises a test over the three engines."""
    return str(request.param)


@pytest.fixture
def any_db(make_db: Callable[[str], Database], engine_kind: str) -> Database:
    """An empty database on each engine in turn."""
    return make_db(engine_kind)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        help="rewrite tests/snapshots/*.sql from the current compiler instead of comparing",
    )


@pytest.fixture
def update_snapshots(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-snapshots"))
