"""demo never overwrites what it has not opened as a Scorecard database; connection failures say why."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scorecard.cli.main import main
from scorecard.demo import generate as demo
from scorecard.store.db import Database, DatabaseError

ROOT = Path(__file__).resolve().parents[2]
CLOSED_PORT_PG = "postgresql+psycopg://postgres@127.0.0.1:1/test"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def scorecard_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("presence") / "real.duckdb"
    demo.build(Database.open(path), leads=1_000)
    return path


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("notes.duckdb", b"meeting notes\n", "is not a DuckDB database file"),
        ("notes.sqlite", b"meeting notes\n", "is not an SQLite database file"),
        ("photo.db", bytes(range(256)) * 4, "is not an SQLite database file"),
    ],
)
def test_demo_refuses_a_file_that_is_not_a_database_even_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert Database.open(path).status().kind == "foreign"
    for force in ([], ["--force"]):
        assert main(["demo", "--db", str(path), "--leads", "1000", *force]) == 1
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err
    assert path.read_bytes() == content


def test_demo_refuses_a_duckdb_file_of_another_program(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import duckdb

    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create table invoices(id int)")
    before = _digest(path)
    assert main(["demo", "--db", str(path), "--force"]) == 1
    assert "is not a Scorecard database (its tables: invoices)" in capsys.readouterr().err
    assert _digest(path) == before


def test_demo_refuses_a_folder_and_a_system_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["demo", "--db", str(tmp_path), "--force"]) == 1
    assert "is a folder" in capsys.readouterr().err
    passwd = Path("/etc/passwd")
    before = _digest(passwd)
    assert main(["demo", "--db", str(passwd), "--force"]) == 1
    assert "is not a DuckDB database file" in capsys.readouterr().err
    assert _digest(passwd) == before


def test_demo_replaces_a_scorecard_database_only_with_force(
    scorecard_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _digest(scorecard_file)
    assert main(["demo", "--db", str(scorecard_file), "--leads", "1000"]) == 1
    assert "already holds data (a Scorecard database); pass --force" in capsys.readouterr().err
    assert _digest(scorecard_file) == before
    assert main(["demo", "--db", str(scorecard_file), "--leads", "1000", "--force"]) == 0
    assert Database.open(scorecard_file).exists()


def test_a_locked_database_is_reported_as_locked_not_as_empty(
    scorecard_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another program holding DuckDB's write lock: 'cannot connect', why, and nothing replaced."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(scorecard_file)!r}); "
            "print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        db = Database.open(scorecard_file)
        presence = db.status()
        assert presence.kind == "unreachable"
        assert "cannot connect to" in presence.reason and "another program is writing" in presence.reason
        with pytest.raises(DatabaseError, match="cannot connect"):
            db.exists()
        with pytest.raises(DatabaseError, match="Conflicting lock"):
            db.data_version()
        assert main(["demo", "--db", str(scorecard_file), "--force"]) == 1
        assert "cannot connect" in capsys.readouterr().err
        assert main(["info", "--db", str(scorecard_file)]) == 1
        err = capsys.readouterr().err
        assert "cannot connect" in err and "run `python -m scorecard demo`" not in err
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert Database.open(scorecard_file).exists(), "readable again once the other program lets go"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (CLOSED_PORT_PG, "Connection refused"),
        ("postgresql+psycopg://no_such_role_x@127.0.0.1:5432/test", 'role "no_such_role_x" does not exist'),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/no_such_db_x", 'database "no_such_db_x" does not exist'),
    ],
)
def test_postgres_connection_failures_say_cannot_connect_and_why(
    capsys: pytest.CaptureFixture[str], url: str, words: str
) -> None:
    presence = Database.open(url).status()
    assert presence.kind == "unreachable"
    assert presence.reason.startswith("cannot connect to postgresql+psycopg://") and words in presence.reason
    for argv in (["demo", "--db", url], ["info", "--db", url], ["report", "--db", url]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "cannot connect" in err and words in err and "has no Scorecard data" not in err


def test_a_new_path_is_absent_and_nothing_is_created(tmp_path: Path) -> None:
    for name in ("a.duckdb", "b.sqlite", "deep/er/c.duckdb"):
        db = Database.open(tmp_path / name)
        assert db.status().kind == "absent"
        assert db.exists() is False
        assert db.data_version() == "missing"
        assert not (tmp_path / name).exists()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["demo", "--leads", "100000000000"], "at most 10,000,000 leads"),
        (["demo", "--leads", "-5"], "at least 1,000 leads"),
        (["demo", "--seed", "-1"], "the seed must be"),
    ],
)
def test_demo_arguments_out_of_range_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    started = time.perf_counter()
    assert main([*argv, "--db", str(tmp_path / "x.duckdb")]) == 1
    assert time.perf_counter() - started < 5
    assert words in capsys.readouterr().err
    assert not (tmp_path / "x.duckdb").exists()


def test_a_damaged_database_is_one_line_not_a_traceback(
    scorecard_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A DuckDB file cut to a third (a disk that filled up, a copy interrupted): its header still reads."""
    damaged = tmp_path / "damaged.duckdb"
    data = scorecard_file.read_bytes()
    damaged.write_bytes(data[: len(data) // 3])
    assert main(["report", "--db", str(damaged)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "damaged" in err or "cannot" in err
