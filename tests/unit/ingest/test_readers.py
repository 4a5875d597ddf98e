"""Reading files: encodings, delimiters, row numbers as a spreadsheet shows them, XLSX cells."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from scorecard.ingest.readers import RawTable, ReadError, SourceFile, detect_delimiter, detect_encoding, read_table

from .helpers import FIXTURES, write_users_xlsx


def _read(data: bytes, name: str = "x.csv") -> RawTable:
    return read_table(SourceFile.from_bytes(name, data))


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + "Name\nCafé\n".encode(), "utf-8"),
        ("Name\nCafé\n".encode(), "utf-8"),
        ("Name\nCafé 5 €\n".encode("cp1252"), "cp1252"),
        (b"Name\n\x81\n", "latin-1"),  # 0x81 is undefined in Windows-1252
        ("Name\nCafé\n".encode("utf-16"), "utf-16"),
    ],
)
def test_detect_encoding(data: bytes, encoding: str) -> None:
    assert detect_encoding(data) == encoding


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2,5;3\n", ";"),  # the comma inside a value does not win
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ('"x, y";z\n"1, 2";3\n', ";"),
        ("single\nvalue\n", ","),
    ],
)
def test_detect_delimiter(sample: str, delimiter: str) -> None:
    assert detect_delimiter(sample) == delimiter


def test_windows_1252_semicolon_file_reads_accents_and_euro() -> None:
    table = read_table(SourceFile.from_path(FIXTURES / "deals_eu.csv"))
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert table.headers[:3] == ("Deal ID", "Erstellt", "Abschluss")
    assert table.frame.loc[2, "Firma"] == "Café Müller"
    assert table.frame.loc[0, "Betrag"] == "1.234,50 €"
    assert table.rows.tolist() == [2, 3, 4, 5, 6, 7, 8]


def test_bom_multiline_cell_and_bad_line_keep_spreadsheet_row_numbers() -> None:
    table = read_table(SourceFile.from_path(FIXTURES / "leads_web.csv"))
    assert table.headers[0] == "Lead_ID"  # the BOM is not part of the first header
    # Row 7 holds a two-line note; row 9 has seven cells and is set aside.
    assert table.rows.tolist() == [2, 3, 4, 5, 6, 7, 8, 10]
    assert table.frame["Notes"].tolist()[5] == "Two-line\r\nnote"
    assert [(b.row, b.reason) for b in table.bad_lines] == [(9, "expected 6 cells, found 7")]


def test_blank_cells_are_null_and_blank_lines_are_skipped() -> None:
    table = _read(b"id,name\n1,\n\n2,b\n")
    assert table.frame["name"].isna().tolist() == [True, False]
    assert table.rows.tolist() == [2, 4]


def test_excel_sep_hint_line_sets_the_delimiter_and_shifts_rows() -> None:
    table = _read(b"sep=;\nid;amount\n1;1,5\n2;3\n")
    assert table.headers == ("id", "amount")
    assert table.rows.tolist() == [3, 4]


def test_duplicate_and_blank_headers_get_distinct_names() -> None:
    table = _read(b"Name,name,,x\n1,2,3,4\n")
    assert table.headers == ("Name", "name (2)", "column 3", "x")


def test_salesforce_report_footer_is_skipped_and_counted() -> None:
    table = read_table(SourceFile.from_path(FIXTURES / "salesforce" / "report_leads.csv"))
    assert len(table.frame) == 4
    assert table.footer_lines == 7
    assert table.bad_lines == ()


def test_a_one_cell_line_that_is_not_a_footer_is_a_bad_line() -> None:
    table = _read(b"a,b\n1,2\nstray\n3,4\n")
    assert [(b.row, b.text) for b in table.bad_lines] == [(3, "stray")]
    assert table.rows.tolist() == [2, 4]


def test_xlsx_cells_become_text_with_sheet_row_numbers(tmp_path: Path) -> None:
    table = read_table(SourceFile.from_path(write_users_xlsx(tmp_path / "users.xlsx")))
    assert table.headers == ("User ID", "Name", "Email", "Team", "Hired", "Active")
    assert table.rows.tolist() == [2, 3, 4, 6]  # row 5 is blank
    assert table.frame["Hired"].tolist()[:2] == ["2023-03-01 00:00:00", "45000"]
    assert table.frame["Active"].tolist() == ["true", "yes", "0", "1"]


def test_xlsx_header_may_start_below_title_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([None])
    sheet.append(["Deal ID", "Amount", "Close"])
    sheet.append(["D-1", 1234.5, dt.date(2026, 1, 5)])
    sheet.append(["D-2", 10, None, "stray"])
    book.save(tmp_path / "deals.xlsx")
    table = read_table(SourceFile.from_path(tmp_path / "deals.xlsx"))
    assert table.rows.tolist() == [3]
    assert table.frame.iloc[0].tolist() == ["D-1", "1234.5", "2026-01-05 00:00:00"]
    assert [(b.row, b.reason) for b in table.bad_lines] == [(4, "cells beyond the 3 headed columns")]


def test_empty_file_is_a_clear_error() -> None:
    with pytest.raises(ReadError, match=r"^empty.csv: the file is empty$"):
        _read(b"  \n", "empty.csv")


def test_file_hash_is_sha256_of_the_bytes() -> None:
    # printf 'a,b\n1,2\n' | sha256sum
    table = _read(b"a,b\n1,2\n")
    assert table.sha256 == "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470"
