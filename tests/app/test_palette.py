"""Colour that works for every reader: verdict colours stay apart under colour-vision deficiency,
and badge/delta text is readable on its background.

Colour-blindness is simulated with the severity-1.0 matrices of Machado, Oliveira and
Fernandes (2009), "A physiologically-based model for simulation of color vision
deficiency", applied to linear RGB; colours are compared by CIE76 distance in CIELAB
(about 2.3 is "just noticeable"; we ask for much more). Contrast is the WCAG 2.1 ratio.
"""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path

import pytest

from scorecard.present.charts import palette

ROOT = Path(__file__).resolve().parents[2]
THEME = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]

MACHADO = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "normal vision": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
}


def _linear(hex_colour: str) -> tuple[float, float, float]:
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return r, g, b


def _simulate(hex_colour: str, matrix: tuple[tuple[float, ...], ...]) -> tuple[float, float, float]:
    rgb = _linear(hex_colour)
    r, g, b = (min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in matrix)
    return r, g, b


def _lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _distance(a: str, b: str, matrix: tuple[tuple[float, ...], ...]) -> float:
    la, lb = _lab(_simulate(a, matrix)), _lab(_simulate(b, matrix))
    return sum((p - q) ** 2 for p, q in zip(la, lb, strict=True)) ** 0.5


def _luminance(hex_colour: str) -> float:
    r, g, b = _linear(hex_colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_helpers_reproduce_published_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    # Pure red and pure green, far apart for most readers, become nearly the same for a deuteranope.
    assert _distance("#ff0000", "#00ff00", MACHADO["normal vision"]) > 150
    assert _distance("#ff0000", "#00ff00", MACHADO["deuteranopia"]) < 30


@pytest.mark.parametrize("vision", list(MACHADO))
def test_good_and_bad_stay_apart_under_colour_blindness(vision: str) -> None:
    matrix = MACHADO[vision]
    assert _distance(palette.GOOD, palette.BAD, matrix) >= 30, "good and bad must not look alike"
    for a, b in ((palette.GOOD, palette.AMBER), (palette.AMBER, palette.BAD)):
        assert _distance(a, b, matrix) >= 20, (vision, a, b)
    verdicts = (palette.GOOD, palette.AMBER, palette.BAD)
    for verdict, plain in itertools.product(verdicts, (palette.ACCENT, palette.NEUTRAL)):
        assert _distance(verdict, plain, matrix) >= 20, (vision, verdict, plain)


def test_the_old_green_and_red_failed_this_check() -> None:
    # The palette before issue 15: #15803d and #dc2626 are 12 apart for a protanope.
    assert _distance("#15803d", "#dc2626", MACHADO["protanopia"]) < 15


@pytest.mark.parametrize("colour", ["green", "orange", "red", "gray", "blue", "violet"])
def test_badge_text_is_readable_on_its_background(colour: str) -> None:
    text, background = THEME[f"{colour}TextColor"], THEME[f"{colour}BackgroundColor"]
    assert contrast(text, background) >= 4.5, (colour, text, background)  # WCAG AA, normal text
    assert contrast(text, THEME["backgroundColor"]) >= 4.5


def test_chart_text_colours_are_readable_on_white() -> None:
    for colour in (palette.GOOD, palette.BAD, palette.ACCENT, palette.MUTED, palette.INK):
        assert contrast(colour, "#ffffff") >= 4.5, colour
    assert contrast(THEME["textColor"], THEME["backgroundColor"]) >= 7
