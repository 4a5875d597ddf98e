"""Two imports at once on each engine land one after the other; a killed import leaves the database as it was.

Real processes (`python -m scorecard import`), real databases: a DuckDB file, an SQLite file and a
PostgreSQL schema of the shared server. Expected counts are worked out from the generated files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from scorecard.store import model
from scorecard.store.db import Database, clean_stale_copies

ROOT = Path(__file__).resolve().parents[2]
MakeDb = Callable[[str], Database]

MAPPING = """\
version: 1
name: concurrent
sources:
  - name: leads
    table: leads
    match: {headers: [Lead ID]}
    columns:
      id: Lead ID
      created_at: Created
      source: {constant: webinar}
      account_id: {column: Company, lookup: {by: name, create: true}}
"""
COMPANIES = 40


def _leads_csv(path: Path, prefix: str, count: int) -> Path:
    """`count` leads whose companies cycle through the same COMPANIES names in every file."""
    lines = ["Lead ID,Created,Company"]
    lines += [f"{prefix}{i},2026-01-{1 + i % 28:02d},Company {i % COMPANIES}" for i in range(count)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _url(db: Database) -> str:
    return db.url.render_as_string(hide_password=False) if db.path is None else str(db.path)


def _import(db: Database, mapping: Path, *files: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scorecard", "import", "--db", _url(db), "--mapping", str(mapping),
         "--quarantine", os.devnull, *map(str, files)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _counts(db: Database) -> tuple[int, int, int]:
    with db.engine().connect() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
            for t in (model.leads, model.accounts, model.loads)
        )


@pytest.mark.parametrize("kind", ["duckdb", "sqlite", "postgresql"])
def test_two_imports_at_once_both_land(make_db: MakeDb, tmp_path: Path, kind: str) -> None:
    db = make_db(kind)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING)
    first = _leads_csv(tmp_path / "a.csv", "A", 2_000)
    second = _leads_csv(tmp_path / "b.csv", "B", 2_000)
    runs = [_import(db, mapping, first), _import(db, mapping, second)]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
        assert "Traceback" not in err
    # 4,000 leads, one account per company (created once, found by the second import), two loads
    assert _counts(db) == (4_000, COMPANIES, 2)


@pytest.mark.parametrize("kind", ["duckdb", "sqlite", "postgresql"])
def test_a_killed_import_leaves_the_database_as_it_was(make_db: MakeDb, tmp_path: Path, kind: str) -> None:
    db = make_db(kind)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING)
    first = _leads_csv(tmp_path / "a.csv", "A", 500)
    run = _import(db, mapping, first)
    assert run.wait(timeout=120) == 0
    before = _counts(db)
    assert before == (500, COMPANIES, 1)

    big = _leads_csv(tmp_path / "big.csv", "K", 60_000)
    victim = _import(db, mapping, big)
    assert victim.stderr is not None
    started = time.monotonic()
    for line in victim.stderr:  # one line per stage on a pipe
        if line.startswith("loading leads"):
            break
        assert time.monotonic() - started < 120, "the import never started loading"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    db.dispose()
    if kind == "duckdb":
        assert db.path is not None
        left = list(db.path.parent.glob(db.path.name + ".*.writing*"))
        assert left, "the kill came while the copy was being written"
        assert clean_stale_copies(db) >= 1  # what the next start does
        assert list(db.path.parent.glob(db.path.name + ".*.writing*")) == []
    assert _counts(db) == before, "nothing of the killed import is visible"
    second = _leads_csv(tmp_path / "c.csv", "C", 100)
    assert _import(db, mapping, second).wait(timeout=120) == 0
    assert _counts(db) == (600, COMPANIES, 2)


def test_stale_copies_are_left_alone_while_a_writer_works(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "x.duckdb")
    copy = tmp_path / "x.duckdb.abc123.writing"
    copy.write_bytes(b"half a database")
    with db.writer():
        assert clean_stale_copies(db) == 0  # the writer holds the lock: its copy is in use
    assert not copy.exists(), "the writer itself removed the dead copy before starting"
