"""Parsing real-world cell text: one case per line, (text, expected) worked out by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from scorecard.ingest import parse

TEXT = pd.StringDtype(na_value=np.nan)
BAD = "unreadable"


def _series(values: Sequence[str | None]) -> pd.Series:
    return pd.Series(values, dtype=TEXT)


def _outcomes(parsed: parse.Parsed) -> list[object]:
    out: list[object] = []
    for value, bad in zip(parsed.values.tolist(), parsed.bad.tolist(), strict=True):
        if bad:
            out.append(BAD)
        elif value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            out.append(None)
        elif isinstance(value, pd.Timestamp):
            out.append(value.to_pydatetime())
        else:
            out.append(value)
    return out


D = dt.datetime
DATES_UTC = [
    ("1/5/2026", D(2026, 1, 5)),
    ("01/05/2026", D(2026, 1, 5)),
    ("1/5/26", D(2026, 1, 5)),
    ("1/5/2026 9:30 AM", D(2026, 1, 5, 9, 30)),
    ("1/5/2026 12:15 am", D(2026, 1, 5, 0, 15)),
    ("1/5/2026 12:15 PM", D(2026, 1, 5, 12, 15)),
    ("1/5/2026 21:30", D(2026, 1, 5, 21, 30)),
    ("2026-01-05", D(2026, 1, 5)),
    ("2026/01/05", D(2026, 1, 5)),
    ("2026-01-05T09:30:00", D(2026, 1, 5, 9, 30)),
    ("2026-01-05 09:30:00.123", D(2026, 1, 5, 9, 30, 0, 123000)),
    ("2026-01-05T09:30:00Z", D(2026, 1, 5, 9, 30)),
    ("2026-01-05T09:30:00+01:00", D(2026, 1, 5, 8, 30)),
    ("2026-01-05 09:30-0500", D(2026, 1, 5, 14, 30)),
    ("05.01.2026", D(2026, 1, 5)),  # dots: always day first
    ("05.01.2026 14:30", D(2026, 1, 5, 14, 30)),
    ("Jan 5, 2026", D(2026, 1, 5)),
    ("5 January 2026 14:00", D(2026, 1, 5, 14)),
    ("05-Jan-26", D(2026, 1, 5)),
    ("Mon, 5 Jan 2026", D(2026, 1, 5)),
    ("20260105", D(2026, 1, 5)),
    ("46027", D(2026, 1, 5)),  # Excel serial day
    ("46027.75", D(2026, 1, 5, 18)),
    ("", None),
    (None, None),
    ("   ", None),
    ("garbage", BAD),
    ("2026-02-30", BAD),
    ("13/13/2026", BAD),
    ("1/5/2026 13:30 PM", BAD),
    ("2026-01-05 24:00", BAD),
    ("7", BAD),  # a small number is not an Excel date in auto mode
]


@pytest.mark.parametrize(("text", "expected"), DATES_UTC)
def test_datetime_shapes_in_utc(text: str | None, expected: object) -> None:
    assert _outcomes(parse.parse_datetime(_series([text]))) == [expected]


def test_local_times_convert_to_utc_across_daylight_saving() -> None:
    values = ["1/5/2026 9:30 AM", "7/1/2026 9:30", "2026-01-05T09:30:00Z", "3/8/2026 2:30 AM"]
    # New York: UTC-5 in January, UTC-4 in July; 2:30 on 8 March 2026 does not exist
    # (clocks jump 2:00 -> 3:00) and moves forward to 3:00 EDT = 07:00 UTC.
    assert _outcomes(parse.parse_datetime(_series(values), timezone="America/New_York")) == [
        D(2026, 1, 5, 14, 30),
        D(2026, 7, 1, 13, 30),
        D(2026, 1, 5, 9, 30),
        D(2026, 3, 8, 7, 0),
    ]


def test_day_month_order_is_detected_per_column() -> None:
    assert _outcomes(parse.parse_datetime(_series(["13/5/2026", "1/5/2026"]))) == [D(2026, 5, 13), D(2026, 5, 1)]
    assert _outcomes(parse.parse_datetime(_series(["5/13/2026", "1/5/2026"]))) == [D(2026, 5, 13), D(2026, 1, 5)]
    assert _outcomes(parse.parse_datetime(_series(["3/4/2026"]), day_first=True)) == [D(2026, 4, 3)]
    assert _outcomes(parse.parse_datetime(_series(["3/4/2026"]))) == [D(2026, 3, 4)]


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("dmy", "03/04/2026", D(2026, 4, 3)),
        ("mdy", "03/04/2026", D(2026, 3, 4)),
        ("iso", "03/04/2026", BAD),
        ("excel", "45000", D(2023, 3, 15)),
        ("excel", "2026-01-05", BAD),
        ("%d.%m.%Y %H:%M", "05.01.2026 14:30", D(2026, 1, 5, 14, 30)),
        ("%d.%m.%Y %H:%M", "05.01.2026", BAD),
    ],
)
def test_explicit_formats(fmt: str, text: str, expected: object) -> None:
    assert _outcomes(parse.parse_datetime(_series([text]), fmt=fmt)) == [expected]


def test_dates_drop_the_time_and_ignore_the_zone() -> None:
    parsed = parse.parse_date(_series(["1/5/2026 23:30", None, "nope"]))
    assert _outcomes(parsed) == [dt.date(2026, 1, 5), None, BAD]


NUMBERS = [
    ("$1,234.50", 1234.5),
    ("1.234,50", 1234.5),
    ("1 234,50", 1234.5),
    ("1\u00a0234,50", 1234.5),
    ("€ 1.234,50", 1234.5),
    ("1.234,50 €", 1234.5),
    ("USD 1,234.50", 1234.5),
    ("1234.5", 1234.5),
    ("(300)", -300.0),
    ("($1,000.00)", -1000.0),
    ("-300", -300.0),
    ("$-12", -12.0),
    ("-$12", -12.0),
    ("12-", -12.0),
    ("1,234,567", 1234567.0),
    ("1.234.567", 1234567.0),
    ("1.234.567,5", 1234567.5),
    (".5", 0.5),
    ("EUR 3", 3.0),
    ("", None),
    (None, None),
    ("abc", BAD),
    ("1.2.3", BAD),
    ("(12", BAD),
    ("12%", BAD),  # a percent is not an amount
    ("12,34,567", BAD),
]


@pytest.mark.parametrize(("text", "expected"), NUMBERS)
def test_money_shapes(text: str | None, expected: object) -> None:
    assert _outcomes(parse.parse_money(_series([text]))) == [expected]


def test_ambiguous_separators_follow_the_column() -> None:
    # "1,234" / "1.234" could be thousands or decimals: the column's clear values decide.
    assert _outcomes(parse.parse_number(_series(["1.234", "12,5"]))) == [1234.0, 12.5]
    assert _outcomes(parse.parse_number(_series(["1,234", "12.5"]))) == [1234.0, 12.5]
    assert _outcomes(parse.parse_number(_series(["1,234"]))) == [1234.0]
    assert _outcomes(parse.parse_number(_series(["1,234"]), decimal=",")) == [1.234]


def test_money_rounds_to_cents_and_percent_divides_for_rates() -> None:
    assert _outcomes(parse.parse_money(_series(["10.004", "2.676"]))) == [10.0, 2.68]
    assert _outcomes(parse.parse_number(_series(["12%", "0.3", "7,5 %"]), percent=True)) == [0.12, 0.3, 0.075]


@pytest.mark.parametrize(
    ("text", "scale", "expected"),
    [
        ("300", 1.0, 300),
        ("1:02:03", 1.0, 3723),
        ("5:23", 1.0, 323),
        ("323000", 0.001, 323),
        ("0:05:23", 0.001, 323),  # a clock duration is already seconds
        ("12.4", 1.0, 12),
        ("x", 1.0, BAD),
        (None, 1.0, None),
    ],
)
def test_integers_and_durations(text: str | None, scale: float, expected: object) -> None:
    assert _outcomes(parse.parse_integer(_series([text]), scale=scale)) == [expected]


def test_booleans() -> None:
    values = ["Yes", "no", "TRUE", "0", "x", "Checked", "maybe", None]
    assert _outcomes(parse.parse_boolean(_series(values))) == [True, False, True, False, True, True, BAD, None]


def test_value_map_ignores_case_spaces_underscores_and_hyphens() -> None:
    values = {"closedwon": "won", "decisionmakerboughtin": "proposal", "nothing": None}
    result, unmapped = parse.apply_value_map(
        _series(["Closed Won", "closed_won", "Decision Maker Bought-In", "Open", "Nothing", None]), values, False
    )
    assert result.tolist()[:3] == ["won", "won", "proposal"]
    assert result.isna().tolist() == [False, False, False, True, True, True]
    assert unmapped.tolist() == [False, False, False, True, False, False]


def test_value_map_can_keep_unmapped_values() -> None:
    result, unmapped = parse.apply_value_map(_series(["Web", "Podcast"]), {"web": "content"}, True)
    assert result.tolist() == ["content", "Podcast"]
    assert unmapped.tolist() == [False, True]


def test_text_is_trimmed_and_blank_is_null() -> None:
    assert parse.clean_text(_series(["  a b\u00a0", " ", None])).tolist()[0] == "a b"
    assert parse.clean_text(_series(["  a b\u00a0", " ", None])).isna().tolist() == [False, True, True]
