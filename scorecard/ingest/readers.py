"""Read CSV and XLSX exports into frames of text, detecting encoding and delimiter.

Every cell arrives as text (or null when blank) so that parsing is explicit and
identical for every file shape. Each row keeps the number a user sees in the file
(the header is row 1), so every problem can be pointed at.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from scorecard.store import config

Progress = Callable[[str, int, int], None]
"""progress(what, done, total): called as work advances (bytes or rows)."""

Encoding = Literal["utf-8", "utf-16", "cp1252", "latin-1"]

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
XLSX_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm")
_SNIFF_BYTES = 256 * 1024
_BLOCK_BYTES = 4 * 1024 * 1024


class ReadError(Exception):
    """A file cannot be read as a table; the message names the file and why."""


@dataclass(frozen=True)
class SourceFile:
    """One input file: a path on disk or bytes uploaded through the dashboard."""

    name: str
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_path(cls, path: str | Path) -> SourceFile:
        p = Path(path)
        return cls(name=p.name, path=p)

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> SourceFile:
        return cls(name=name, data=data)

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise ReadError(f"{self.name}: cannot read: {exc.strerror or exc}") from None

    @property
    def is_xlsx(self) -> bool:
        return Path(self.name).suffix.lower() in XLSX_SUFFIXES


@dataclass(frozen=True)
class BadLine:
    """A row whose shape is wrong (too many or too few cells)."""

    row: int
    text: str
    reason: str


@dataclass(frozen=True)
class RawTable:
    """A file read as text: headers, cells (str dtype, null = blank) and row numbers."""

    file: str
    sha256: str
    headers: tuple[str, ...]
    frame: pd.DataFrame
    rows: np.ndarray
    """The file row number of each frame row (header is row 1)."""
    bad_lines: tuple[BadLine, ...] = ()
    footer_lines: int = 0
    encoding: str = "utf-8"
    delimiter: str = ","

    def __len__(self) -> int:
        return len(self.frame)


def read_table(source: SourceFile, progress: Progress | None = None, names: tuple[str, ...] | None = None) -> RawTable:
    """Read one CSV/TSV/XLSX file into a RawTable.

    With `names`, the file has no header row: its first row is data (row 1) and its
    columns are named `names`, in order. An uploaded file (bytes, not a path) may be at
    most `config.max_upload_bytes()`; its name is only a label and never touches the file system.
    """
    if source.data is not None and len(source.data) > config.max_upload_bytes():
        raise ReadError(
            f"{source.name}: {len(source.data) / 2**20:,.1f} MB is over the upload limit of "
            f"{config.max_upload_bytes() / 2**20:,.0f} MB (${config.UPLOAD_ENV}); import it with the command line"
        )
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if source.is_xlsx or data[:4] == b"PK\x03\x04":
        check_xlsx_archive(source.name, data)
        return _read_xlsx(source.name, data, digest, progress, names)
    return _read_csv(source.name, data, digest, progress, names)


def looks_like_values(headers: tuple[str, ...]) -> list[str]:
    """The first-row cells that look like data rather than column names (dates, numbers,
    emails); empty unless at least half of the row does."""
    from scorecard.ingest import parse

    cells = pd.Series(list(headers), dtype=parse.TEXT)
    dated = ~parse.parse_datetime(cells).values.isna().to_numpy()
    numeric = cells.str.fullmatch(r"[-+(]?[$€£]?\s*\d[\d.,' ]*%?\)?").fillna(False).to_numpy(dtype=bool)
    email = cells.str.contains("@", regex=False).fillna(False).to_numpy(dtype=bool)
    valued = dated | numeric | email
    if not len(headers) or valued.sum() * 2 < len(headers):
        return []
    return [h for h, v in zip(headers, valued, strict=True) if v]


def headerless_hint(headers: tuple[str, ...]) -> str:
    """A sentence for errors about a file whose first row may be data, else ''."""
    values = looks_like_values(headers)
    if not values:
        return ""
    shown = ", ".join(repr(v) for v in values[:4])
    return (
        f". Its first row looks like data ({shown}), not column names: if the file has no header row, "
        "give its source `header: false` and `names: [...]` (its columns in order)"
    )


# --- encoding and delimiter ---------------------------------------------------------


def detect_encoding(data: bytes) -> Encoding:
    """UTF-8 (with or without BOM) when it decodes, UTF-16 by BOM, else Windows-1252/Latin-1."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def detect_delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the most consistent, widest rows."""
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line short
    text = "".join(lines[:200])
    best = (-1.0, 0, ",")
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistency = sum(len(r) == width for r in rows) / len(rows)
        score = (consistency, width, delimiter)
        if (score[0], score[1]) > (best[0], best[1]):
            best = score
    return best[2]


def _decode_head(data: bytes, encoding: str) -> str:
    head = data[:_SNIFF_BYTES]
    text = head.decode("utf-16" if encoding == "utf-16" else encoding, errors="replace")
    return text.removeprefix("\ufeff")


def _header_cells(first_record: str, delimiter: str) -> list[str]:
    try:
        row = next(csv.reader(io.StringIO(first_record, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:  # a stray carriage return or NUL in the header line
        raise ReadError(f"the header line cannot be read: {exc}") from None
    return [cell.strip().strip("\ufeff") for cell in row]


def _unique_headers(headers: list[str]) -> tuple[str, ...]:
    """Blank headers become `column N`; repeated ones get ` (2)`, ` (3)`..."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for i, name in enumerate(headers, start=1):
        name = name or f"column {i}"
        count = seen.get(name.lower(), 0) + 1
        seen[name.lower()] = count
        out.append(name if count == 1 else f"{name} ({count})")
    return tuple(out)


# --- CSV -----------------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    """A file view over bytes that remembers how far the CSV parser has read.

    The parser reads on its own thread; progress is reported from the caller's thread
    (Streamlit widgets can only be updated there).
    """

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._view[self.position : self.position + len(buffer)]
        n = len(chunk)
        buffer[:n] = chunk
        self.position += n
        return n


def _read_csv(
    name: str, data: bytes, digest: str, progress: Progress | None, given: tuple[str, ...] | None = None
) -> RawTable:
    encoding = detect_encoding(data)
    head = _decode_head(data, encoding)
    if not head.strip():
        raise ReadError(f"{name}: the file is empty")
    header_row = 1
    sep_hint = re.match(r"sep=(.)\r?\n", head)
    skip = 0
    if sep_hint:
        delimiter = sep_hint.group(1)
        head = head[sep_hint.end() :]
        skip = 1
        header_row = 2
    else:
        delimiter = detect_delimiter(head)
    if given is not None:
        headers = _unique_headers(list(given))
        header_row -= 1  # no header row: the first data row is row 1 (after any sep= line)
    else:
        try:
            headers = _unique_headers(_header_cells(head, delimiter))
        except ReadError as exc:
            raise ReadError(f"{name}: {exc}") from None
    width = len(headers)
    names = [f"c{i}" for i in range(width)]
    bad: list[tuple[int, int, str]] = []

    def on_invalid(row: Any) -> str:
        bad.append((int(row.number) if row.number is not None else -1, int(row.actual_columns), str(row.text)))
        return "skip"

    total = len(data)

    def report(done: int) -> None:
        if progress is not None:
            progress(f"reading {name}", min(done, total), total)

    source = _CountingReader(data)
    try:
        reader = pa_csv.open_csv(
            source,
            read_options=pa_csv.ReadOptions(
                use_threads=False,  # row numbers of bad lines are only known single-threaded
                block_size=_BLOCK_BYTES,
                skip_rows=skip + (0 if given is not None else 1),
                column_names=names,
                encoding=encoding,
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
        batches = []
        for batch in reader:
            batches.append(batch)
            report(source.position)
        table = pa.Table.from_batches(batches, schema=reader.schema)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise ReadError(f"{name}: cannot parse as delimited text ({delimiter!r}): {exc}") from None
    report(total)
    # Row numbers: data rows and bad lines share the sequence after the header.
    bad.sort()  # pyarrow numbers rows from the top of the file, skipped lines included
    bad_numbers = np.array([b[0] for b in bad if b[0] >= 0], dtype=np.int64)
    all_numbers = np.arange(header_row + 1, header_row + 1 + table.num_rows + len(bad), dtype=np.int64)
    rows = np.setdiff1d(all_numbers, bad_numbers, assume_unique=True)[: table.num_rows]
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype(na_value=np.nan)}.get)
    if len(headers) != frame.shape[1]:  # e.g. a header line of only carriage returns and NULs
        raise ReadError(
            f"{name}: the header row has {len(headers)} names but the rows have {frame.shape[1]} cells; "
            "check the file's delimiter and line endings"
        )
    frame.columns = pd.Index(headers)
    blank = frame.isna().all(axis=1).to_numpy()
    lines = [BadLine(b[0], b[2], f"expected {width} cells, found {b[1]}") for b in bad]
    footer = _salesforce_footer(lines, rows[blank], int(all_numbers[-1]) if len(all_numbers) else header_row)
    if footer:
        lines = lines[: len(lines) - footer]
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
        rows = rows[~blank]
    return RawTable(name, digest, headers, frame, rows, tuple(lines), footer, encoding, delimiter)


def _salesforce_footer(lines: list[BadLine], blank_rows: np.ndarray, last_row: int) -> int:
    """Count the report footer: trailing one-cell lines (totals, copyright, "Generated By")
    after a blank line or naming a total or copyright. They are skipped and reported in
    the summary, never imported and never quarantined."""
    count = 0
    expected = last_row
    texts: list[str] = []
    for line in reversed(lines):
        if line.row != expected or not line.reason.endswith("found 1"):
            break
        count += 1
        expected -= 1
        texts.append(line.text.strip().strip('"').strip().lower())
    if not count:
        return 0
    after_blank = expected in set(blank_rows.tolist())
    named = any(t.startswith(("grand total", "copyright")) for t in texts)
    return count if after_blank or named else 0


# --- XLSX ------------------------------------------------------------------------------


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


XLSX_MAX_UNPACKED: Final = 512 * 2**20
"""Most bytes the parts of one workbook may unpack to (a 1 MB bomb can claim a GiB of shared strings)."""
XLSX_MAX_RATIO: Final = 200
"""Most a large part may expand over its compressed size (real sheets compress 5-30 times)."""
XLSX_RATIO_FROM: Final = 4 * 2**20
"""Parts smaller than this unpacked are never refused for their ratio."""


def check_xlsx_archive(name: str, data: bytes) -> None:
    """Refuse a workbook whose parts would unpack past the limits, before any part is inflated.

    The sizes come from the zip directory; zipfile never inflates a part past the size its
    directory declares, so checking the declared sizes bounds the work of reading it.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadError(f"{name}: cannot open as an Excel workbook: {exc}") from None
    if len(parts) > 10_000:
        raise ReadError(f"{name}: {len(parts):,} parts in the workbook; an Excel file has far fewer")
    total = sum(p.file_size for p in parts)
    if total > XLSX_MAX_UNPACKED:
        raise ReadError(
            f"{name}: the workbook unpacks to {total / 2**20:,.0f} MB, over the limit of "
            f"{XLSX_MAX_UNPACKED / 2**20:,.0f} MB; save it as CSV"
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > XLSX_RATIO_FROM and ratio > XLSX_MAX_RATIO:
            raise ReadError(
                f"{name}: the part {part.filename} expands {ratio:,.0f} times ({part.file_size / 2**20:,.0f} MB), "
                f"more than {XLSX_MAX_RATIO} times: a compression bomb, or a sheet to save as CSV"
            )


def _read_xlsx(
    name: str, data: bytes, digest: str, progress: Progress | None, given: tuple[str, ...] | None = None
) -> RawTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ReadError(f"{name}: cannot open as an Excel workbook: {exc}") from None
    try:
        sheet = book.worksheets[0]
        total = sheet.max_row or 0
        headers: tuple[str, ...] | None = _unique_headers(list(given)) if given is not None else None
        header_row = 0
        numbers: list[int] = []
        records: list[list[str | None]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if headers is None:
                if any(c is not None and c.strip() for c in cells):
                    while cells and not (cells[-1] or "").strip():
                        cells.pop()  # the sheet's width, not a header
                    headers = _unique_headers([(c or "").strip() for c in cells])
                    header_row = number
                continue
            if not any(c is not None and c.strip() for c in cells):
                continue
            numbers.append(number)
            records.append(cells)
            if progress is not None and number % 10_000 == 0:
                progress(f"reading {name}", number, max(total, number))
    finally:
        book.close()
    if headers is None:
        raise ReadError(f"{name}: the first sheet is empty")
    width = len(headers)
    lines: list[BadLine] = []
    for number, cells in zip(numbers, records, strict=True):
        extra = [c for c in cells[width:] if c is not None and c.strip()]
        if extra:
            lines.append(BadLine(number, ", ".join(c or "" for c in cells), f"cells beyond the {width} headed columns"))
    bad_rows = {line.row for line in lines}
    keep = [i for i, n in enumerate(numbers) if n not in bad_rows]
    columns = {
        header: pd.array(
            [(records[i][j] if j < len(records[i]) else None) for i in keep], dtype=pd.StringDtype(na_value=np.nan)
        )
        for j, header in enumerate(headers)
    }
    frame = pd.DataFrame(columns)
    if progress is not None:
        progress(f"reading {name}", total, total)
    del header_row
    return RawTable(
        name, digest, headers, frame, np.array([numbers[i] for i in keep], dtype=np.int64), tuple(lines), 0, "xlsx", ""
    )
