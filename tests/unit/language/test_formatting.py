"""Numbers as every surface writes them (scorecard.formatting): units, locales, changes, missing values.

Each expected string is written out by hand.
"""

from __future__ import annotations

import math

import pytest

from scorecard.language.formatting import DEFAULT_LOCALE as USD
from scorecard.language.formatting import MISSING, format_delta, format_value, is_no_change, money, number_text
from scorecard.language.settings import Locale

EURO = Locale(code="EUR", symbol="€", symbol_position="after", thousands=".", decimal=",")
FRANC = Locale(code="CHF", symbol="CHF ", thousands="'", decimal=".")


@pytest.mark.parametrize(
    ("value", "unit", "compact", "expected"),
    [
        (1234567.891, "currency", False, "$1,234,568"),
        (1234567.891, "currency", True, "$1.2M"),
        (999_960.0, "currency", True, "$1.0M"),  # not "$1000.0k"
        (-280_638.0, "currency", False, "-$280,638"),
        (-280_638.0, "currency", True, "-$280.6k"),
        (12.5, "currency", False, "$12.50"),
        (0.1234, "percent", False, "12.3%"),
        (3.46, "days", False, "3.5 d"),
        (12.0, "hours", False, "12.0 h"),
        (2.5, "ratio", False, "2.50x"),
        (186_601, "count", False, "186,601"),
        (30_000, "count", True, "30.0k"),
        (2.5, "rank", False, "2.5"),
        (3.0, "rank", False, "3"),
    ],
)
def test_values_in_the_default_locale(value: float, unit: str, compact: bool, expected: str) -> None:
    assert format_value(value, unit, compact, locale=USD) == expected


@pytest.mark.parametrize(
    ("value", "unit", "compact", "expected"),
    [
        (1234567.891, "currency", False, "1.234.568\u00a0€"),
        (1234567.891, "currency", True, "1,2M\u00a0€"),
        (-280_638.0, "currency", False, "-280.638\u00a0€"),
        (0.1234, "percent", False, "12,3%"),
        (1234.5, "days", False, "1.234,5 d"),
        (186_601, "count", False, "186.601"),
    ],
)
def test_values_in_a_euro_locale(value: float, unit: str, compact: bool, expected: str) -> None:
    assert format_value(value, unit, compact, locale=EURO) == expected


def test_a_symbol_before_with_its_own_space_and_apostrophe_thousands() -> None:
    assert format_value(1_234_567.0, "currency", locale=FRANC) == "CHF 1'234'567"
    assert money("12", locale=EURO) == "12\u00a0€"
    assert number_text(186_601, locale=EURO) == "186.601"


@pytest.mark.parametrize("missing", [None, math.nan, float("inf")])
def test_a_missing_value_is_a_dash_never_none_or_nan(missing: float | None) -> None:
    for unit in ("count", "currency", "percent", "days", "hours", "ratio", "number"):
        assert format_value(missing, unit, locale=USD) == MISSING
    assert format_delta(None, "count", locale=USD) == MISSING
    assert number_text(None, locale=USD) == MISSING


def test_a_change_is_written_in_the_style_of_its_value() -> None:
    # Beside a compact value ($221.9k) the change is compact too, never "-$280,638".
    assert format_delta(-280_638.0, "currency", compact=True, locale=USD) == "-$280.6k"
    assert format_delta(-280_638.0, "currency", locale=USD) == "-$280,638"
    assert format_delta(0.054, "percent", locale=USD) == "+5.4 pts"
    assert format_delta(0.054, "percent", locale=EURO) == "+5,4 pts"
    assert format_delta(-1.0, "hours", locale=USD) == "-1.0 h"
    assert format_delta(1015.0, "currency", compact=True, locale=EURO) == "+1,0k\u00a0€"


def test_a_change_that_rounds_to_zero_is_no_change() -> None:
    # 0.0004 h is shown as 0.0 h: that is no change, neither good nor bad.
    assert is_no_change(0.0004, "hours")
    assert format_delta(0.0004, "hours", locale=USD) == "no change"
    assert format_delta(-0.0004, "percent", locale=USD) == "no change"  # -0.04 pts
    assert format_delta(0.0, "currency", locale=USD) == "no change"
    assert format_delta(40.0, "currency", compact=True, locale=USD) == "+$40"
    assert is_no_change(0.4, "count") and not is_no_change(0.6, "count")
    assert not is_no_change(0.0006, "percent")  # 0.06 pts shows as +0.1 pts
    assert not is_no_change(None, "count")
