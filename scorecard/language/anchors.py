"""A metric's `time:` anchor, parsed: which timestamp places a row in a period.

Three kinds: a point (`created_at`: the row falls in the period holding that instant), a
spread (`{spread: [start, end]}`: the value is spread evenly over the days from one date to
the other) and an open interval (`{open: [opened, closed]}`: the row counts in every period
at whose end it is open). A spread or an open interval may look `ahead_days` past each
period (the quota of the next 13 weeks; the deals due to close in them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, model_validator

from scorecard.language import expressions as ex
from scorecard.language.base import Strict


class AheadTime(Strict):
    """An anchor read over the days just after each period instead of the period itself: the
    quota of the next 13 weeks (`spread` + `ahead_days: 91`), or the deals open at the period's
    end and due to close in those days (`open` + `due: expected_close_at` + `ahead_days: 91`)."""

    spread: tuple[str, str] | None = Field(None, description="spread the value over the days ahead")
    open: tuple[str, str] | None = Field(None, description="rows open at the period's end: opened, closed")
    due: str | None = Field(None, description="with `open`: the date each row is expected to close")
    ahead_days: int = Field(gt=0, le=731, description="how many days after the period to look")

    @model_validator(mode="after")
    def _one_kind(self) -> AheadTime:
        if (self.spread is None) == (self.open is None):
            raise ValueError("an ahead_days anchor needs exactly one of `spread` or `open`")
        if self.open is not None and self.due is None:
            raise ValueError("`open` with `ahead_days` needs `due`: the column with the expected close date")
        if self.spread is not None and self.due is not None:
            raise ValueError("`due` goes with `open`, not with `spread`")
        return self


class AnchorError(ValueError):
    """A `time:` value that is none of the three kinds."""


@dataclass(frozen=True)
class Time:
    """A parsed anchor: `first` (the point, the spread's start, or when a row opened), `second`
    (the spread's end or when a row closed), `due` (an open row's expected close) and how many
    days after each period it is read over."""

    kind: Literal["point", "spread", "open"]
    first: ex.Node
    second: ex.Node | None = None
    due: ex.Node | None = None
    ahead_days: int = 0

    def nodes(self) -> Iterator[ex.Node]:
        """The anchor's expressions, in order."""
        for node in (self.first, self.second, self.due):
            if node is not None:
                yield node


def parse_time(anchor: Any) -> Time:
    """A metric's `time:` as a point, spread or open-interval anchor (optionally read over the
    `ahead_days` after each period). Raises AnchorError (or ExpressionError for bad text)."""
    if isinstance(anchor, str):
        return Time("point", ex.parse(anchor))
    if isinstance(anchor, AheadTime):
        if anchor.spread is not None:
            return Time("spread", ex.parse(anchor.spread[0]), ex.parse(anchor.spread[1]), None, anchor.ahead_days)
        assert anchor.open is not None and anchor.due is not None
        first, second = anchor.open
        return Time("open", ex.parse(first), ex.parse(second), ex.parse(anchor.due), anchor.ahead_days)
    if isinstance(anchor, Mapping) and len(anchor) == 1:
        ((kind, pair),) = anchor.items()
        if kind in ("spread", "open") and len(pair) == 2:
            return Time(kind, ex.parse(pair[0]), ex.parse(pair[1]))
    raise AnchorError("time must be a column (created_at), {spread: [start, end]} or {open: [opened, closed]}")
