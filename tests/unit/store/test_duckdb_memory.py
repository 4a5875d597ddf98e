"""DuckDB's memory limit while reading: 1.5GB by default, $SCORECARD_DUCKDB_MEMORY otherwise.

The expected settings are read from a plain DuckDB connection given the same SET, not
from Scorecard's code."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from scorecard.demo import generate as demo
from scorecard.store.db import Database, DatabaseError


def _as_duckdb_shows(limit: str | None) -> str:
    with duckdb.connect(":memory:") as conn:
        if limit is not None:
            conn.execute(f"SET memory_limit = '{limit}'")
        return str(conn.execute("SELECT current_setting('memory_limit')").fetchone()[0])  # type: ignore[index]


def _reading_limit(path: Path) -> str:
    db = Database.open(path)
    try:
        with db.engine().connect() as conn:
            return str(conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar_one())
    finally:
        db.dispose()


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    path = tmp_path / "small.duckdb"
    db = Database.open(path)
    demo.build(db, leads=1_000)
    db.dispose()
    return path


@pytest.mark.parametrize(("setting", "expected"), [(None, "1.5GB"), ("800MB", "800MB"), ("none", None)])
def test_reads_run_under_the_memory_limit(
    small_db: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None, expected: str | None
) -> None:
    if setting is None:
        monkeypatch.delenv("SCORECARD_DUCKDB_MEMORY", raising=False)
    else:
        monkeypatch.setenv("SCORECARD_DUCKDB_MEMORY", setting)
    assert _reading_limit(small_db) == _as_duckdb_shows(expected)


def test_a_limit_that_is_not_a_size_is_refused_by_name(small_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORECARD_DUCKDB_MEMORY", "1.5GB'; DROP TABLE leads; --")
    with pytest.raises(DatabaseError, match=r"\$SCORECARD_DUCKDB_MEMORY=.* is not a size: give one such as 1.5GB"):
        _reading_limit(small_db)
    monkeypatch.setenv("SCORECARD_DUCKDB_MEMORY", "none")
    assert _reading_limit(small_db) == _as_duckdb_shows(None)  # nothing was run, the leads are whole
    with duckdb.connect(str(small_db), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM leads").fetchone() == (1_000,)
