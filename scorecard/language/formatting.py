"""Numbers as people read them, the same in the terminal, the dashboard and exports.

One place for every surface: cards, tables, charts, the PNG/PDF page, the CLI and CSV
text columns all call these functions with the catalog's `locale:` (currency symbol,
thousands and decimal marks), so "$1.2M" on a card is "$1.2M" in the report too.
"""

from __future__ import annotations

import math
from typing import Final

from scorecard.language.settings import Locale

DEFAULT_LOCALE: Final = Locale()
"""US dollars, 1,234.5: what a catalog without a `locale:` block gets."""

MISSING: Final = "–"
"""Shown for a value that does not exist (no data, not computable): never "None" or "nan"."""

_COMPACT: Final = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


def is_missing(value: object) -> bool:
    """None, NaN or pandas' NA/NaT: no value to show."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT and pd.NA are not equal to themselves
    except (TypeError, ValueError):
        return False


def format_value(value: float | None, unit: str, compact: bool = False, *, locale: Locale) -> str:
    """12.5%, $1,234, $1.2M (compact), 3.5 d, 12.0 h, 2.50x, 1,234; "–" without a value."""
    if is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if math.isinf(number):
        return MISSING
    if unit == "percent":
        return _marks(f"{number * 100:.1f}", locale) + "%"
    if unit == "currency":
        sign = "-" if number < 0 and not _is_zero(_amount(abs(number), compact)) else ""
        return sign + money(_marks(_amount(abs(number), compact), locale), locale=locale)
    if unit == "days":
        return _marks(f"{number:,.1f}", locale) + " d"
    if unit == "hours":
        return _marks(f"{number:,.1f}", locale) + " h"
    if unit == "ratio":
        return _marks(f"{number:,.2f}", locale) + "x"
    if unit == "count":
        return _marks(_amount(number, compact) if compact else f"{number:,.0f}", locale)
    if unit == "rank":  # 3, or 2.5 when tied reps share the average rank
        return _marks(f"{number:,.0f}" if number == int(number) else f"{number:,.1f}", locale)
    return _marks(f"{number:,.2f}" if abs(number) < 100 else f"{number:,.0f}", locale)


def format_delta(delta: float | None, unit: str, compact: bool = False, *, locale: Locale) -> str:
    """+3.2 pts, -$1,200 (or -$1.2k beside a compact value), +0.5 d; "no change" when it rounds to zero."""
    if is_missing(delta):
        return MISSING
    number = float(delta)  # type: ignore[arg-type]
    if is_no_change(number, unit, compact):
        return "no change"
    sign = "+" if number > 0 else "-"
    if unit == "percent":
        return f"{sign}{_marks(f'{abs(number) * 100:.1f}', locale)} pts"
    return sign + format_value(abs(number), unit, compact, locale=locale)


def is_no_change(delta: float | None, unit: str, compact: bool = False) -> bool:
    """True when a change is zero as shown: +0.0 h is no change, and is neither good nor bad."""
    if is_missing(delta):
        return False
    number = abs(float(delta))  # type: ignore[arg-type]
    if unit == "percent":
        return _is_zero(f"{number * 100:.1f}")
    if unit in ("days", "hours"):
        return _is_zero(f"{number:.1f}")
    if unit == "ratio":
        return _is_zero(f"{number:.2f}")
    if unit in ("currency", "count") and compact:
        return _is_zero(_amount(number, compact))
    if unit in ("count", "rank"):
        return _is_zero(f"{number:.0f}")
    return _is_zero(_amount(number, False) if unit == "currency" else f"{number:.2f}")


def money(amount: str, *, locale: Locale) -> str:
    """An already formatted amount with the currency symbol where the locale writes it: $12 or 12 €."""
    return f"{amount}\u00a0{locale.symbol}" if locale.symbol_position == "after" else f"{locale.symbol}{amount}"


def number_text(value: float | None, digits: int = 0, *, locale: Locale) -> str:
    """A plain number with the locale's marks (row counts, shares): 186,601 or 186.601."""
    if is_missing(value):
        return MISSING
    return _marks(f"{float(value):,.{digits}f}", locale)  # type: ignore[arg-type]


def _marks(text: str, locale: Locale) -> str:
    """Python writes 1,234.5; swap in the locale's thousands and decimal marks."""
    if locale.thousands == "," and locale.decimal == ".":
        return text
    return "".join(locale.thousands if c == "," else locale.decimal if c == "." else c for c in text)


def _is_zero(text: str) -> bool:
    return not any(c in "123456789" for c in text)


def _amount(value: float, compact: bool) -> str:
    if compact:
        for limit, suffix in _COMPACT:
            if abs(value) >= limit * 0.9995:  # 999,950 is $1.0M, not $1000.0k
                return f"{value / limit:.1f}{suffix}"
        return f"{value:,.0f}"
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}"
