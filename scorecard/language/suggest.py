"""One way to say "did you mean": the nearest known name, or else what the known names are."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def nearest(word: str, known: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The known name closest to `word`, or None when none is close."""
    found = difflib.get_close_matches(str(word), list(known), n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(word: str, known: Iterable[str], *, listing: str | None = None, cutoff: float = 0.6) -> str:
    """"; did you mean 'x'?" for the nearest known name; else "; LISTING: a, b, c" when `listing`
    names what to list (e.g. "valid keys"), else "" (an empty hint)."""
    choices = list(known)
    near = nearest(word, choices, cutoff)
    if near is not None:
        return f"; did you mean {near!r}?"
    if listing:
        return f"; {listing}: {', '.join(choices)}"
    return ""
