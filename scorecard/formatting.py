"""Numbers as people read them, the same in the terminal, the dashboard and exports."""

from __future__ import annotations

import math


def format_value(value: float | None, unit: str, compact: bool = False) -> str:
    """12.5%, $1,234, $1.2M (compact), 3.5 d, 12.0 h, 2.50x, 1,234."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "percent":
        return f"{value * 100:.1f}%"
    if unit == "currency":
        return "-" * (value < 0) + "$" + _amount(abs(value), compact)
    if unit == "days":
        return f"{value:,.1f} d"
    if unit == "hours":
        return f"{value:,.1f} h"
    if unit == "ratio":
        return f"{value:,.2f}x"
    if unit == "count":
        return _amount(value, compact) if compact else f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def format_delta(delta: float | None, unit: str) -> str:
    """+3.2 pts, -$1,200, +0.5 d: the change since the previous week."""
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return "–"
    sign = "+" if delta > 0 else "-" if delta < 0 else "±"
    if unit == "percent":
        return f"{sign}{abs(delta) * 100:.1f} pts"
    return sign + format_value(abs(delta), unit).lstrip("-")


def _amount(value: float, compact: bool) -> str:
    if compact:
        for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(value) >= limit:
                return f"{value / limit:.1f}{suffix}"
        return f"{value:,.0f}"
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}"
