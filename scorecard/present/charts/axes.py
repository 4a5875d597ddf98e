"""Number formats and sizes the charts share: the catalog's locale for Vega, axis labels per unit,
a height per row, autosize modes, and how a line meets a week without a value."""

from __future__ import annotations

from typing import Any, Final

import altair as alt

from scorecard.language.settings import Locale

BREAK_GAPS: Final = "break-paths-filter-domains"
"""Vega-Lite `invalid` mode for lines: a week without a value breaks the line instead of being bridged."""


def vega_locale(*, locale: Locale) -> dict[str, Any]:
    """The catalog's locale as a Vega number locale, so axis labels use its currency and marks."""
    currency = ["", "\u00a0" + locale.symbol] if locale.symbol_position == "after" else [locale.symbol, ""]
    return {
        "number": {
            "decimal": locale.decimal,
            "thousands": locale.thousands,
            "grouping": [3],
            "currency": currency,
            "minus": "-",
        }
    }


def localised(chart: Any, *, locale: Locale) -> Any:
    """A top-level chart whose number formats follow `locale` (Vega's `config.locale`)."""
    return chart.configure(locale=vega_locale(locale=locale))


# --- number formats on axes ---------------------------------------------------------------

_SUFFIX = {"days": " d", "hours": " h", "ratio": "x"}


def axis(unit: str, title: str | None = None, *, locale: Locale, **kwargs: Any) -> alt.Axis:
    """An axis whose labels read like `formatting.format_value` for the metric's unit.

    Money carries the catalog's symbol where it writes it ($1.5M, 1,5M €); the marks
    come from the chart's Vega locale (`localised`).
    """
    if unit == "percent":
        return alt.Axis(title=title, format=".0%", **kwargs)
    if unit == "currency":
        symbol = locale.symbol.replace("\\", "\\\\").replace("'", "\\'")
        sign = "(datum.value < 0 ? '-' : '')"  # -$5k, never $-5k
        amount = "replace(format(abs(datum.value), '~s'), 'G', 'B')"  # billions are B, as on the cards
        label = (
            f"{sign} + {amount} + '\u00a0{symbol}'"
            if locale.symbol_position == "after"
            else f"{sign} + '{symbol}' + {amount}"
        )
        return alt.Axis(title=title, labelExpr=label, **kwargs)
    if unit == "count":
        return alt.Axis(title=title, format="~s", **kwargs)
    if unit in _SUFFIX:
        digits = ".1f" if unit == "ratio" else ",.0f"
        return alt.Axis(title=title, labelExpr=f"format(datum.value, '{digits}') + '{_SUFFIX[unit]}'", **kwargs)
    return alt.Axis(title=title, format=",.2~f", **kwargs)


def row_step(step: int) -> alt.Step:
    """Height of a chart with one band per row: a fixed step per row, whatever the container does."""
    return alt.Step(step)


def rows_height(rows: int, step: int) -> int:
    """Height in pixels of `rows` bands of `step` pixels, for a chart that also fits the page's width.

    (A step height with a fitted width makes Vega-Lite log a warning on every draw.)
    """
    return max(1, rows) * step


FIT_WIDTH: Final = alt.AutoSizeParams(type="fit-x", contains="padding")
"""Autosize of a bar chart with a height per row: fit the page's width only."""
AS_DRAWN: Final = alt.AutoSizeParams(type="pad")
"""Autosize of side-by-side panels, which Vega cannot fit to a width: drawn at their own size."""
