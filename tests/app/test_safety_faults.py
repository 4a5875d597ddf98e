"""Database missing, not a database, locked, or a PostgreSQL server that stops and comes back:
every page says what is wrong and how to fix it, and recovers on the next run without a restart."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scorecard.demo import generate as demo
from scorecard.store.db import Database
from tests.fixtures.dashboard import PageRunner

PAGES = ("scorecard", "explore", "ranking", "lead_quality", "definitions")


def _errors(app: AppTest) -> str:
    assert not app.exception, [e.value for e in app.exception]
    return " ".join(str(e.value) for e in app.error)


def _serving(app: AppTest) -> bool:
    return not app.exception and not app.error and bool(app.metric)


@pytest.fixture
def db_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "fault.duckdb"
    monkeypatch.setenv("SCORECARD_DB", str(path))
    monkeypatch.delenv("SCORECARD_METRICS", raising=False)
    return path


def test_a_missing_database_says_how_to_build_one(open_page: PageRunner, db_env: Path) -> None:
    for page in PAGES[:4]:
        app = open_page(page)
        assert not _errors(app)
        assert any("No Scorecard data yet" in str(i.value) for i in app.info)
    assert not db_env.exists(), "looking never creates the file"


def test_a_file_that_is_not_a_database_then_the_right_file(open_page: PageRunner, db_env: Path, demo_db: Path) -> None:
    db_env.write_text("these are meeting notes, not a database\n")
    app = open_page("scorecard")
    errors = _errors(app)
    assert "The database cannot be used" in errors and "is not a DuckDB database file" in errors
    assert "Then reload this page" in " ".join(str(m.value) for m in app.markdown)
    assert db_env.read_text().startswith("these are meeting notes"), "never replaced"
    shutil.copy(demo_db, db_env)
    app.run()  # the same session, the same server: no restart
    assert _serving(app)


def test_a_locked_database_then_released(open_page: PageRunner, db_env: Path, demo_db: Path) -> None:
    shutil.copy(demo_db, db_env)
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db_env)!r}); print('held', flush=True); "
         "time.sleep(120)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        for page in PAGES[:4]:
            errors = _errors(open_page(page))
            assert "cannot connect to" in errors and "another program is writing" in errors, errors
        app = open_page("scorecard")
    finally:
        holder.kill()
        holder.wait()
    app.run()
    assert _serving(app)


class Forwarder:
    """A TCP forwarder to the shared PostgreSQL that can be stopped and started: a server that goes away
    and comes back, without stopping the server other tests use."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.listener: socket.socket | None = None
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            for sock in self.open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def pg_through_forwarder(
    monkeypatch: pytest.MonkeyPatch, make_db: Callable[[str], Database]
) -> Iterator[tuple[Forwarder, str]]:
    db = make_db("postgresql")
    demo.build(db, leads=1_000)
    db.dispose()
    url = db.url
    forwarder = Forwarder((url.host or "127.0.0.1", url.port or 5432))
    forwarder.start()
    through = url.set(host="127.0.0.1", port=forwarder.port).render_as_string(hide_password=False)
    monkeypatch.setenv("SCORECARD_DB", through)
    monkeypatch.delenv("SCORECARD_METRICS", raising=False)
    try:
        yield forwarder, through
    finally:
        forwarder.stop()


def test_postgresql_stopped_and_started_again(
    open_page: PageRunner, pg_through_forwarder: tuple[Forwarder, str]
) -> None:
    forwarder, url = pg_through_forwarder
    app = open_page("scorecard")
    assert _serving(app)
    forwarder.stop()
    app.run()
    errors = _errors(app)
    assert "cannot connect to" in errors or "The database cannot be used" in errors, errors
    data = open_page("data")
    assert "cannot connect to" in _errors(data)
    forwarder.start()
    time.sleep(0.2)
    app.run()
    assert _serving(app), _errors(app)
    assert Database.open(url).exists()


def test_a_damaged_database_then_a_good_one(open_page: PageRunner, db_env: Path, demo_db: Path) -> None:
    data = demo_db.read_bytes()
    db_env.write_bytes(data[: len(data) // 3])
    for page in PAGES[:4]:
        app = open_page(page)
        errors = _errors(app)  # no exception box; a notice naming the damage
        assert "Could not read" in errors or "cannot be used" in errors, (page, errors)
    shutil.copy(demo_db, db_env)
    app.run()
    assert _serving(app)
