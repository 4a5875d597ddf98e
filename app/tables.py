"""Tables as the pages show them: formatted like the cards, with CSV and XLSX downloads under each."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from scorecard.language.formatting import MISSING
from scorecard.language.settings import Locale
from scorecard.present import spreadsheets
from scorecard.present.frames import TableColumn, table_styler
from scorecard.present.pack import XLSX_MIME


def table(
    frame: pd.DataFrame,
    columns: Sequence[TableColumn],
    *,
    name: str = "table",
    locale: Locale,
    help: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> None:
    """A read-only table: (column, label, unit or None for text) each, numbers written like the cards.

    Cells are formatted by `scorecard.formatting` in the catalog's locale (one formatter for
    every surface); numbers still sort as numbers; a missing value shows "–", never "None".
    `help` maps a heading to the tooltip that explains it. Under it, CSV and XLSX downloads of
    exactly these columns (`name` makes the file name and the buttons' keys, so give each table
    on a page its own).
    """
    config: dict[str, Any] = {}
    for column, label, unit in columns:
        if column not in frame:
            continue
        tip = (help or {}).get(label)
        kind = st.column_config.TextColumn if unit is None else st.column_config.NumberColumn
        config[label] = kind(label, help=tip)
    styled = table_styler(frame, columns, locale=locale)
    st.dataframe(styled, hide_index=True, column_config=config, placeholder=MISSING, **kwargs)
    table_downloads(frame, columns, name)


def table_downloads(frame: pd.DataFrame, columns: Sequence[tuple[str, str, str | None]], name: str) -> None:
    """CSV and XLSX buttons for a table: the shown columns, numbers as numbers with their formats."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() or "table"
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "CSV", lambda: spreadsheets.table_csv(frame, columns), f"{stem}.csv", "text/csv", on_click="ignore",
            icon=":material/download:", key=f"{stem}_csv", type="tertiary", help="This table as CSV",
        )  # fmt: skip
        st.download_button(
            "XLSX", lambda: spreadsheets.table_xlsx(frame, columns, title=name), f"{stem}.xlsx", XLSX_MIME,
            on_click="ignore", icon=":material/download:", key=f"{stem}_xlsx", type="tertiary",
            help="This table as an Excel workbook, numbers kept as numbers",
        )  # fmt: skip


def frame_downloads(frame: pd.DataFrame, name: str) -> None:
    """CSV and XLSX buttons for a plain table (its own column names): numeric columns kept as
    numbers (whole numbers with thousands separators), dates as dates, the rest as text."""
    columns: list[tuple[str, str, str | None]] = []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            columns.append((str(column), str(column), None))
        else:
            columns.append((str(column), str(column), "count" if pd.api.types.is_integer_dtype(values) else "number"))
    table_downloads(frame.rename(columns=str), columns, name)
