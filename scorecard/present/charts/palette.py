"""One palette for every chart: green good, amber close, red bad (read in each metric's direction),
blue for plain quantities, grey for "no verdict", violet for a week that carries a note.

`.streamlit/config.toml` repeats it for Streamlit's own elements (a test keeps the two in step); the theme
also sets the text and background colours of badges and deltas, each pair at WCAG AA contrast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

from scorecard.judge.weekly import ScorecardRow
from scorecard.present.views import change_tone

GOOD: Final = "#0f766e"
"""Teal green: on target, or a change in the metric's good direction.

Good, amber and bad are chosen to stay apart for readers with deuteranopia or protanopia
(tests/app/test_palette.py simulates both); status is always written in words as well."""
AMBER: Final = "#d97706"
"""Amber: between the amber and green thresholds."""
BAD: Final = "#b42318"
"""Brick red: off target, or a change in the metric's bad direction."""
NEUTRAL: Final = "#94a3b8"
"""Grey: no target, no change, not ranked, or too few to judge."""
ACCENT: Final = "#2563eb"
"""Blue: a plain quantity with no verdict (lead counts, a metric without a target)."""
INK: Final = "#1f2937"
MUTED: Final = "#6b7280"
RULE: Final = "#e5e7eb"
NOTE_COLOR: Final = "#7c3aed"
"""Violet: a week that carries a note (never a verdict colour)."""

STATUS_COLORS: Final[Mapping[str, str]] = MappingProxyType({"green": GOOD, "amber": AMBER, "red": BAD, "none": NEUTRAL})
"""Scorecard status -> colour."""

CATEGORY_COLORS: Final[tuple[str, ...]] = (
    "#2563eb",
    "#db2777",
    "#0891b2",
    "#7c3aed",
    "#1e293b",
    "#60a5fa",
    "#c084fc",
    "#64748b",
    "#0e7490",
    "#4338ca",
)
"""Colours for categories (sources, campaigns). None is green, amber or red, which carry verdicts."""

NOT_RANKED: Final = "not ranked"
NOT_TIERED: Final = "not tiered"


def tier_colors(tiers: Sequence[str]) -> dict[str, str]:
    """Tier -> colour: the best tier green, the worst red, those between blue, unranked grey."""
    colors: dict[str, str] = {}
    for i, tier in enumerate(tiers):
        if i == 0 and len(tiers) > 1:
            colors[tier] = GOOD
        elif i == len(tiers) - 1 and len(tiers) > 1:
            colors[tier] = BAD
        else:
            colors[tier] = ACCENT
    colors[NOT_RANKED] = NEUTRAL
    colors[NOT_TIERED] = NEUTRAL  # ranked in a group too small to tier: no verdict, no colour
    return colors


TONE_COLORS: Final[Mapping[str, str]] = MappingProxyType({"good": GOOD, "bad": BAD, "none": NEUTRAL})
"""A change's tone (`views.change_tone`) -> colour."""


def change_color(row: ScorecardRow, compact: bool = False) -> str:
    """Green if last week's change went the metric's good way, red if the bad way, grey if none as shown."""
    return TONE_COLORS[change_tone(row, compact)]
