"""Hostile arguments and uploads: each a one-line message and exit 1, never a traceback or a runaway."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from scorecard.cli.main import main
from scorecard.demo import generate as demo
from scorecard.ingest import SourceFile, load_mapping_text, run_import
from scorecard.ingest.readers import ReadError, read_table
from scorecard.store.db import Database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("refused") / "demo.duckdb"
    demo.build(Database.open(path), leads=1_000)
    return path


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["report", "--week", "9999-W52"], "--week: '9999-W52' is outside the years 1900..2199"),
        (["report", "--week", "0001-W01"], "outside the years"),
        (["report", "--week", "9999-12-31"], "outside the years"),
        (["report", "--week", "2026-W54"], "2026 has no week 54"),
        (["ranking", "--period", "2026-13"], "--period: '2026-13' is not a period: month must be in 1..12"),
        (["ranking", "--period", "9999-Q4"], "outside the years"),
        (["ranking", "--period", "0000"], "outside the years"),
        (["sql", "win_rate", "--weeks", "1000000"], "--weeks: 1,000,000 weeks: ask for 1 to 1,000"),
        (["sql", "win_rate", "--weeks", "0"], "ask for 1 to 1,000"),
        (["sql", "win_rate", "--week", "9999-W52"], "outside the years"),
        (["demo", "--leads", "100000000000", "--force"], "at most 10,000,000 leads"),
    ],
)
def test_arguments_out_of_range_are_one_line(
    small_db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    db = [] if argv[0] == "sql" else ["--db", str(small_db)]
    started = time.perf_counter()
    assert main([*argv, *db]) == 1
    assert time.perf_counter() - started < 10
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err


def test_no_traceback_reaches_the_terminal(small_db: Path) -> None:
    """The same, as a real process: stderr is one line starting with 'error:'."""
    result = subprocess.run(
        [sys.executable, "-m", "scorecard", "report", "--week", "9999-W52", "--db", str(small_db)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


# --- uploads -----------------------------------------------------------------------------------------


def _workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_part(workbook: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one more (or a replaced) part, deflated."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info.filename))
        target.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def _declaring(workbook: bytes, name: str, size: int) -> bytes:
    """The workbook with `name`'s uncompressed size in the central directory replaced by `size` (a lie)."""
    data = bytearray(workbook)
    raw = name.encode()
    at = data.find(b"PK\x01\x02" + b"\x00" * 0, 0)
    while at != -1:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_length]) == raw:
            struct.pack_into("<I", data, at + 24, size)
            return bytes(data)
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{name} not in the central directory")


def test_an_inflating_xlsx_part_is_refused_before_parsing() -> None:
    """8 MiB of one repeated string compresses about 1000 times: refused from the zip directory alone."""
    bomb = _with_part(_workbook([["Lead ID"], ["L1"]]), "xl/sharedStrings.xml", b"<si><t>lol</t></si>" * 450_000)
    assert len(bomb) < 100_000
    started = time.perf_counter()
    with pytest.raises(ReadError, match=r"bomb.xlsx: the part xl/sharedStrings.xml expands [\d,]+ times"):
        read_table(SourceFile("bomb.xlsx", data=bomb))
    assert time.perf_counter() - started < 0.5


def test_a_workbook_declaring_a_gibibyte_is_refused() -> None:
    workbook = _declaring(_workbook([["Lead ID"], ["L1"]]), "xl/worksheets/sheet1.xml", 2**30)
    with pytest.raises(ReadError, match=r"big.xlsx: the workbook unpacks to 1,024 MB, over the limit of 512 MB"):
        read_table(SourceFile("big.xlsx", data=workbook))


def test_a_zip_that_is_not_a_workbook_is_a_read_error() -> None:
    with pytest.raises(ReadError, match="cannot open as an Excel workbook"):
        read_table(SourceFile("x.xlsx", data=b"PK\x03\x04 not really a zip"))


def test_uploads_over_the_limit_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORECARD_MAX_UPLOAD_MB", "1")
    data = b"Lead ID\n" + b"L1\n" * 400_000  # 1.1 MB
    with pytest.raises(ReadError, match=r"big.csv: 1.1 MB is over the upload limit of 1 MB"):
        read_table(SourceFile("big.csv", data=data))
    assert len(read_table(SourceFile("ok.csv", data=data[:500_000]))) > 0


def test_the_streamlit_limit_matches_the_core_limit() -> None:
    import tomllib

    from scorecard.store import config

    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["server"]["maxUploadSize"] * 2**20 == config.max_upload_bytes()


@pytest.mark.parametrize(
    "name", ["../../escape.csv", "/tmp/absolute-upload.csv", "..\\..\\win.csv", "leads.csv\x00.sh"]
)
def test_upload_names_are_labels_never_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.chdir(tmp_path)
    mapping = load_mapping_text(
        "version: 1\nname: t\nsources:\n  - name: reps\n    table: reps\n    match: {headers: [User ID]}\n"
        "    columns: {id: User ID, name: Name, team: {constant: sales}}\n",
        "m.yaml",
    )
    db = Database.open(tmp_path / "db" / "x.duckdb")
    result = run_import(db, [SourceFile(name, data=b"User ID,Name\nU1,Ana\n")], mapping)
    assert result.plan.accepted == 1
    assert result.plan.files[0].file == name
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["db/x.duckdb"] or all(w.startswith("db/") for w in written), written
    assert not Path("/tmp/absolute-upload.csv").exists()
