"""The catalog's settings and the model's shape as metrics.yaml declares it: the calendar,
the locale money is written in, relationships between tables and dimensions to slice by."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import Field, field_validator, model_validator

from scorecard.language import expressions as ex
from scorecard.language.base import NAME_PATTERN, Strict

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Calendar(Strict):
    """How time is cut into weeks, quarters and years."""

    week_start: Weekday = "monday"
    timezone: str = "UTC"
    fiscal_year_start: int = Field(1, ge=1, le=12, description="month the fiscal year starts (1 = January)")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as UTC or Europe/Berlin") from None
        return value


THOUSANDS_MARKS: tuple[str, ...] = (",", ".", " ", "\u00a0", "\u202f", "'", "\u2019", "")
DECIMAL_MARKS: tuple[str, ...] = (".", ",")


class Locale(Strict):
    """How money and numbers are written: the currency the data is in and the marks between digits."""

    code: str = Field("USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code of the amounts, e.g. EUR")
    symbol: str = Field("$", min_length=1, max_length=4, description="written with money, e.g. $, €, £, CHF")
    symbol_position: Literal["before", "after"] = Field(
        "before", description="$1,234 (before) or 1.234 € (after, with a space)"
    )
    thousands: str = Field(",", description="between groups of three digits: ',', '.', ' ', \"'\" or '' (none)")
    decimal: str = Field(".", description="before the fraction: '.' or ','")

    @field_validator("thousands")
    @classmethod
    def _known_thousands(cls, value: str) -> str:
        if value not in THOUSANDS_MARKS:
            shown = ", ".join(repr(m) for m in THOUSANDS_MARKS)
            raise ValueError(f"thousands mark {value!r} is not one of {shown}")
        return value

    @field_validator("decimal")
    @classmethod
    def _known_decimal(cls, value: str) -> str:
        if value not in DECIMAL_MARKS:
            raise ValueError(f"decimal mark {value!r} is not '.' or ','")
        return value

    @model_validator(mode="after")
    def _marks_differ(self) -> Locale:
        if self.thousands == self.decimal:
            raise ValueError(f"the thousands and decimal marks are both {self.decimal!r}; 1{self.decimal}234 "
                             "would read two ways")
        return self


class Relationship(Strict):
    """A many-to-one link: each row of `from` points at one row of `to` through `column`.

    `name` is how expressions on `from` reach `to` (opportunity.amount); `reverse` is how
    expressions on `to` reach the many rows of `from` (count(activities)).
    """

    name: str = Field(pattern=NAME_PATTERN)
    from_: str = Field(alias="from")
    to: str
    column: str
    to_column: str = "id"
    reverse: str | None = Field(None, pattern=NAME_PATTERN)


Paths = str | tuple[str, ...]


class Dimension(Strict):
    """A way to slice metrics: where its value lives, relative to each base table.

    A table may give several paths, tried in order, the first non-null winning: a call
    logged on a deal reaches its lead source through the deal's lead
    (`activities: [lead.source, opportunity.lead.source]`).
    """

    label: str
    column: Paths | None = Field(None, description="path(s) from the base table, used when no per-table entry")
    columns: dict[str, Paths] = Field(
        default_factory=dict, description="base table -> path, or a list of paths tried in order (first non-null)"
    )
    description: str = ""

    def paths(self, table: str) -> tuple[str, ...]:
        """The paths that give this dimension's value on a base table, in order; () if none."""
        given = self.columns.get(table, self.column)
        if given is None:
            return ()
        return (given,) if isinstance(given, str) else tuple(given)

    def nodes(self, table: str) -> tuple[ex.Node, ...]:
        """`paths(table)` parsed (once per dimension: a loaded catalog holds them parsed)."""
        return self._parsed_columns.get(table, self._parsed_column)

    @cached_property
    def _parsed_column(self) -> tuple[ex.Node, ...]:
        given = self.column
        if given is None:
            return ()
        return tuple(ex.parse(path) for path in ((given,) if isinstance(given, str) else given))

    @cached_property
    def _parsed_columns(self) -> dict[str, tuple[ex.Node, ...]]:
        return {table: tuple(ex.parse(path) for path in self.paths(table)) for table in self.columns}
