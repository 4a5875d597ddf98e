"""What a statement computes (`Query`: periods, breakdown, kept values, as-of instant) and the
periods as rows of a CTE that every statement joins its rows to."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement

from scorecard.language.anchors import Time
from scorecard.language.periods import Period
from scorecard.sql import dialects
from scorecard.sql.resolve import CompileError, literal


@dataclass(frozen=True)
class Query:
    """What to compute: periods (oldest first), breakdown dimensions, kept dimension values."""

    periods: tuple[Period, ...]
    group_by: tuple[str, ...] = ()
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    as_of: dt.datetime | None = None

    @staticmethod
    def build(
        periods: Sequence[Period],
        group_by: Sequence[str] = (),
        filters: Mapping[str, Sequence[str]] | None = None,
        as_of: dt.datetime | None = None,
    ) -> Query:
        kept = tuple(sorted((k, tuple(sorted(set(map(str, v))))) for k, v in (filters or {}).items() if v))
        return Query(tuple(periods), tuple(group_by), kept, as_of)

    @property
    def filter_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.filters)


def span(periods: sa.CTE, time: Time) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The days a spread is read over in each period: the period itself, or the days after it."""
    if time.ahead_days > 0:
        return periods.c.a_first, periods.c.a_last
    return periods.c.p_first, periods.c.p_last


def periods_cte(query: Query, ahead_days: int = 0) -> sa.CTE:
    """The periods as rows: period, p_start/p_end (instants), p_first/p_last (dates) and, for
    anchors that look ahead, a_first/a_last: the `ahead_days` days after each period."""
    if not query.periods:
        raise CompileError("no periods to compute")
    return periods_rows(query.periods, ahead_days)


@functools.lru_cache(maxsize=256)
def periods_rows(periods: tuple[Period, ...], ahead_days: int) -> sa.CTE:
    """`periods_cte`, built once per set of periods: the scorecard's statements mostly share their
    twelve weeks, and seven typed literals per period were a fifth of a scorecard build's time
    at 100k leads (profiled in BENCHMARKS.md). A CTE is an immutable construct, safe to share."""

    def date(value: dt.date) -> ColumnElement[Any]:
        return dialects.Typed(literal(value), sa.Date())

    def instant(value: dt.datetime) -> ColumnElement[Any]:
        return dialects.Typed(literal(value), sa.DateTime())

    rows = [
        sa.select(
            date(p.first).label("period"),
            instant(p.start).label("p_start"),
            instant(p.end).label("p_end"),
            date(p.first).label("p_first"),
            date(p.last).label("p_last"),
            date(p.last + dt.timedelta(days=1)).label("a_first"),
            date(p.last + dt.timedelta(days=max(ahead_days, 1))).label("a_last"),
        )
        for p in periods
    ]
    union = rows[0] if len(rows) == 1 else sa.union_all(*rows)
    return union.cte("periods")
