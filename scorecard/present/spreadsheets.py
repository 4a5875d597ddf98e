"""Tables as spreadsheets: CSV and XLSX (openpyxl), numbers kept as numbers with their formats.

Every table the dashboard draws downloads through `table_csv` / `table_xlsx` with the same
column list the page shows (column, label, unit or None for text). Percentages are stored
as fractions with a percent format, money with a currency format, so a spreadsheet sums
and charts them. The weekly scorecard gets a workbook of its own (`scorecard_xlsx`): one
sheet per section with the 12 trend weeks as columns, the drivers and the notes.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from scorecard.judge.drivers import Movement, drivers_line
from scorecard.judge.weekly import Scorecard, ScorecardRow
from scorecard.language.settings import Locale
from scorecard.present.report import SECTIONS, row_notes
from scorecard.store.cells import safe_text
from scorecard.store.notes import Note

Column = tuple[str, str, str | None]
"""(frame column, header, unit or None for text): the same spec `app.tables.table` draws."""

NUMBER_FORMATS: Final[Mapping[str, str]] = {
    "percent": "0.0%",
    "currency": '"$"#,##0',
    "count": "#,##0",
    "days": '#,##0.0" d"',
    "hours": '#,##0.0" h"',
    "ratio": '0.00"x"',
    "number": "#,##0.00",
    "integer": "#,##0",
    "date": "yyyy-mm-dd",
}
"""Excel number formats that read like `formatting.format_value`."""
DELTA_FORMATS: Final[Mapping[str, str]] = {
    "percent": '+0.0" pts";-0.0" pts";0.0" pts"',
    "currency": '+"$"#,##0;-"$"#,##0;"$"0',
    "count": "+#,##0;-#,##0;0",
    "days": '+#,##0.0" d";-#,##0.0" d";0.0" d"',
    "hours": '+#,##0.0" h";-#,##0.0" h";0.0" h"',
    "ratio": '+0.00"x";-0.00"x";0.00"x"',
    "number": "+#,##0.00;-#,##0.00;0.00",
}
"""Formats for changes; a percent change is in points, so its value is stored ×100."""
_BAD_SHEET_CHARS: Final = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a header row, then rows of cells; `formats` per (row index, column index)."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    formats: Mapping[tuple[int, int], str] = field(default_factory=dict)
    widths: Mapping[int, int] = field(default_factory=dict)


def cell_value(value: Any) -> Any:
    """A value as a spreadsheet cell: None for missing, plain Python numbers, dates, text."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def table_csv(frame: pd.DataFrame, columns: Sequence[Column]) -> str:
    """The table as CSV with the shown headers; numbers unformatted (percentages as fractions)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    kept = [c for c in columns if c[0] in frame]
    writer.writerow([label for _, label, _ in kept])
    for values in zip(*[frame[c] for c, _, _ in kept], strict=True) if kept else []:
        writer.writerow(["" if (v := cell_value(x)) is None else safe_text(_csv_text(v)) for x in values])
    return buffer.getvalue()


def _csv_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def table_sheet(frame: pd.DataFrame, columns: Sequence[Column], title: str = "Table") -> Sheet:
    """The table as one sheet: the shown headers, each numeric column with its unit's format."""
    kept = [c for c in columns if c[0] in frame]
    rows = []
    formats: dict[tuple[int, int], str] = {}
    for i, values in enumerate(zip(*[frame[c] for c, _, _ in kept], strict=True) if kept else []):
        row = []
        for j, (value, (_, _, unit)) in enumerate(zip(values, kept, strict=True)):
            cell = cell_value(value)
            if unit is not None and cell is not None and not isinstance(cell, (int, float)):
                with contextlib.suppress(TypeError, ValueError):
                    cell = float(cell)
            if unit is not None and isinstance(cell, (int, float)) and not isinstance(cell, bool):
                formats[(i, j)] = NUMBER_FORMATS.get(unit, NUMBER_FORMATS["number"])
            elif isinstance(cell, dt.date):
                formats[(i, j)] = NUMBER_FORMATS["date"]
            row.append(cell)
        rows.append(tuple(row))
    return Sheet(title, tuple(label for _, label, _ in kept), tuple(rows), formats)


def table_xlsx(frame: pd.DataFrame, columns: Sequence[Column], title: str = "Table") -> bytes:
    """The table as an XLSX workbook of one sheet."""
    return workbook([table_sheet(frame, columns, title)])


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """Sheets into an XLSX file: bold frozen header, formats per cell, columns sized to their text."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    used: set[str] = set()
    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.title, used))
        ws.append(list(sheet.header))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for row in sheet.rows:
            ws.append([cell_value(v) for v in row])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text from data is text, never a formula
        for (i, j), number_format in sheet.formats.items():
            ws.cell(row=i + 2, column=j + 1).number_format = number_format
        for j, header in enumerate(sheet.header):
            longest = max([len(str(header)), *(len(str(r[j])) for r in sheet.rows if r[j] is not None)])
            ws.column_dimensions[get_column_letter(j + 1)].width = sheet.widths.get(j, min(60, max(8, longest + 2)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str, used: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    base = _BAD_SHEET_CHARS.sub(" ", title).strip()[:31] or "Sheet"
    name, i = base, 2
    while name.lower() in used:
        suffix = f" ({i})"
        name, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(name.lower())
    return name


# --- the weekly scorecard ------------------------------------------------------------------------

SCORECARD_HEADER: Final = ("Metric", "Owners", "Value", "Previous", "Change", "Target", "Status", "n",
                           "Low sample", "Cohort")  # fmt: skip
"""The fixed columns of each section sheet; the trend weeks, What moved and Notes follow."""


def scorecard_sheets(
    card: Scorecard,
    notes: Sequence[Note] = (),
    movements: Mapping[str, Movement] | None = None,
    *,
    locale: Locale,
) -> list[Sheet]:
    """One sheet per section (the trend weeks as columns), then the week's notes and what the file shows."""
    sheets = []
    for section, title in SECTIONS.items():
        rows = [r for r in card.rows if r.section == section]
        if not rows:
            continue
        # The card's weeks; a cohort row's trend holds its 12 cohorts ending with the one in "Cohort".
        plain = next((r for r in card.rows if r.cohort is None and r.trend), rows[0])
        weeks = [p.week for p in plain.trend]
        header = (*SCORECARD_HEADER, *weeks, "What moved", "Notes")
        cells = []
        formats: dict[tuple[int, int], str] = {}
        for i, row in enumerate(rows):
            cells.append(_scorecard_row(row, len(weeks), notes, movements, card.week.label, locale))
            unit = NUMBER_FORMATS.get(row.format, NUMBER_FORMATS["number"])
            for j in (2, 3, 5, *range(len(SCORECARD_HEADER), len(SCORECARD_HEADER) + len(weeks))):
                formats[(i, j)] = unit
            formats[(i, 4)] = DELTA_FORMATS.get(row.format, DELTA_FORMATS["number"])
            formats[(i, 7)] = NUMBER_FORMATS["integer"]
        widths = {0: 34, len(header) - 2: 60, len(header) - 1: 60}
        sheets.append(Sheet(title, header, tuple(cells), formats, widths))
    labels = {r.metric: r.label for r in card.rows}
    shown = sorted(
        (n for n in notes if n.week == card.week.label),
        key=lambda n: (n.metric is not None, labels.get(n.metric or "", n.metric or ""), n.created_at),
    )
    sheets.append(
        Sheet(
            "Notes",
            ("Week", "About", "Note", "Author", "Written (UTC)"),
            tuple(
                (
                    n.week,
                    "whole week" if n.metric is None else labels.get(n.metric, n.metric),
                    n.text,
                    n.author,
                    n.created_at,
                )  # fmt: skip
                for n in shown
            ),
            {(i, 4): "yyyy-mm-dd hh:mm" for i in range(len(shown))},
            {2: 80},
        )
    )
    filters = "; ".join(f"{k}={'|'.join(v)}" for k, v in card.filters.items()) or "none"
    sheets.append(
        Sheet(
            "About",
            ("Field", "Value"),
            (
                ("Week", card.week.label),
                ("First day", card.week.first),
                ("Last day", card.week.last),
                ("Filters", filters),
                ("Catalog version", card.catalog_version),
                (
                    "Trend columns",
                    "the 12 weeks ending with the week shown; for a cohort metric, the 12 cohorts "
                    "ending with the cohort in its Cohort column",
                ),
                ("Generated (UTC)", card.generated_at.replace(microsecond=0)),
            ),
            {(1, 1): "yyyy-mm-dd", (2, 1): "yyyy-mm-dd", (6, 1): "yyyy-mm-dd hh:mm"},
            {1: 60},
        )
    )
    return sheets


def _scorecard_row(
    row: ScorecardRow,
    trend_columns: int,
    notes: Sequence[Note],
    movements: Mapping[str, Movement] | None,
    week: str,
    locale: Locale,
) -> tuple[Any, ...]:
    delta = row.delta * 100 if row.delta is not None and row.format == "percent" else row.delta
    known: list[float | None] = [p.value for p in row.trend][-trend_columns:]
    padding: list[float | None] = [None] * (trend_columns - len(known))
    trend = padding + known
    movement = (movements or {}).get(row.metric)
    moved = drivers_line(movement, row.format, locale=locale) if movement is not None and movement.decomposed else ""
    if moved and row.delta is not None and not row.significant:
        moved = "within noise"  # the same rule as the cards and the e-mail
    owners = "both" if set(row.owners) == {"sales", "marketing"} else "/".join(row.owners)
    return (
        row.label,
        owners,
        row.value,
        row.previous,
        delta,
        row.target,
        "n/a" if row.note else row.status,
        row.n,
        row.low_sample,
        row.cohort,
        *trend,
        moved,
        " | ".join(n.text for n in row_notes(notes, row.metric, week)),
    )


def scorecard_xlsx(
    card: Scorecard,
    notes: Sequence[Note] = (),
    movements: Mapping[str, Movement] | None = None,
    *,
    locale: Locale,
) -> bytes:
    """The weekly scorecard as a workbook: one sheet per section with the trend columns, Notes, About."""
    return workbook(scorecard_sheets(card, notes, movements, locale=locale))
