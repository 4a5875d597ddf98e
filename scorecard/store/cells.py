"""Cells that a spreadsheet will read as text, never as a formula (CSV and XLSX injection).

Spreadsheets run a cell that begins with `=`, `+`, `-` or `@` as a formula (and some treat a
leading tab or carriage return the same), so a lead source imported as `=cmd|' /C calc'!A0`
would run on the machine of whoever opens the export. Every CSV and XLSX writer passes its
text through `safe_text` (or `safe_frame` / `safe_arrow`), which prefixes such a cell with a
single quote: spreadsheets show the text as typed and run nothing. Numbers stay numbers: a
number, or text that is only a number ("-5000", "+1.5e3"), runs nothing and is left as it is.
"""

from __future__ import annotations

import csv
import re
from typing import Any, Final

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP's list)."""

_PATTERN: Final = r"^[=+\-@\t\r]"
_NUMBER: Final = r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_PLAIN_NUMBER: Final = re.compile(_NUMBER)
_ARROW_PLAIN_NUMBER: Final = f"^{_NUMBER}$"


def safe_text(value: Any) -> Any:
    """`value` with a quote in front if it is text a spreadsheet would run; anything else unchanged.

    >>> safe_text("=1+1"), safe_text("-2+3"), safe_text("-5"), safe_text("Trade show"), safe_text(-5)
    ("'=1+1", "'-2+3", '-5', 'Trade show', -5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _plain_number(value):
        return "'" + value
    return value


def _plain_number(text: str) -> bool:
    return _PLAIN_NUMBER.fullmatch(text) is not None


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (object and string columns) are passed through `safe_text`."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[column] = series.map(safe_text, na_action="ignore")
    out.columns = [safe_text(c) if isinstance(c, str) else c for c in out.columns]
    return out


def frame_csv(frame: pd.DataFrame, columns: list[str] | None = None) -> str:
    """A frame as CSV text for a spreadsheet: formula-like text quoted (`safe_frame`), no index.

    Python 3.11's csv writer leaves a carriage return inside a field unquoted, which splits
    the row in two when read back; a frame holding one has every text field quoted.
    """
    safe = safe_frame(frame if columns is None else frame[columns])
    text_columns = [c for c in safe.columns if safe[c].dtype == object or pd.api.types.is_string_dtype(safe[c].dtype)]
    has_return = any(safe[c].astype(str).str.contains("\r", regex=False).any() for c in text_columns)
    return safe.to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC if has_return else csv.QUOTE_MINIMAL)


def safe_arrow(array: pa.Array) -> pa.Array:
    """A string Arrow array with formula-like cells prefixed by a quote; other types unchanged."""
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return array
    risky = pc.and_(
        pc.match_substring_regex(array, _PATTERN),
        pc.invert(pc.match_substring_regex(array, _ARROW_PLAIN_NUMBER)),
    )
    quoted = pc.binary_join_element_wise(pa.scalar("'", array.type), array, "")
    return pc.if_else(pc.fill_null(risky, False), quoted, array)
