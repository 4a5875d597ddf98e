"""Maturation curves follow one fixed set of leads, so a curve never falls without a reason.

Worked by hand from tests/fixtures/tiny.py with as-of 2026-01-22 00:00 and curves to 2 weeks:
leads L1 (Jan 5 09:00), L2 (Jan 6), L3 (Jan 7 08:00) are at least 2 weeks old; L4-L7 are
1 week old. The fixed set is L1-L3. L1 was won Jan 9 12:00 (4.1 days: within week 0) and
L3 Jan 15 00:00 (7.7 days: within week 1); L2 never. So the curve is 0/3, 1/3, 2/3.
"""

from __future__ import annotations

import datetime as dt

import pytest

from scorecard.catalog.load import Catalog
from scorecard.engine.runner import maturation_curves
from scorecard.language import periods
from scorecard.sql.query import Query
from scorecard.store.db import Database

AS_OF = dt.datetime(2026, 1, 22)




def _weeks(catalog: Catalog) -> tuple[periods.Period, ...]:
    w03 = periods.parse_week(catalog.calendar, "2026-W03")
    return tuple(periods.weeks_ending(catalog.calendar, w03, 2))


def test_the_curve_counts_the_same_leads_at_every_point(tiny_db: Database, catalog: Catalog) -> None:
    curves = maturation_curves(tiny_db, catalog, "lead_to_close", Query.build(_weeks(catalog), as_of=AS_OF), 2)
    assert curves["weeks"].tolist() == [0, 1, 2]
    assert curves["members"].tolist() == [3, 3, 3]
    assert curves["converted"].tolist() == [0, 1, 2]
    assert curves["share"].tolist() == pytest.approx([0.0, 1 / 3, 2 / 3])


def test_the_span_stops_at_the_oldest_lead(tiny_db: Database, catalog: Catalog) -> None:
    # Asked for 10 weeks, but the oldest lead is 2 weeks old: the curve ends at week 2, over L1-L3.
    curves = maturation_curves(tiny_db, catalog, "lead_to_close", Query.build(_weeks(catalog), as_of=AS_OF), 10)
    assert curves["weeks"].max() == 2 and set(curves["members"]) == {3}


def test_each_group_keeps_its_own_fixed_set(tiny_db: Database, catalog: Catalog) -> None:
    # By source: trade_show L1 L2 (L4 L6 too young) -> L1 won in week 0: 0/2, 1/2, 1/2.
    # referral L3 (L5 too young) -> won in week 1: 0/1, 0/1, 1/1. webinar L7 is too young: no curve.
    query = Query.build(_weeks(catalog), group_by=["source"], as_of=AS_OF)
    curves = maturation_curves(tiny_db, catalog, "lead_to_close", query, 2)
    by = {s: part for s, part in curves.groupby("d_source")}
    assert set(by) == {"trade_show", "referral"}
    assert by["trade_show"]["share"].tolist() == pytest.approx([0.0, 0.5, 0.5])
    assert by["referral"]["share"].tolist() == pytest.approx([0.0, 0.0, 1.0])
    for part in by.values():
        shares = part.sort_values("weeks")["share"].tolist()
        assert shares == sorted(shares), "a curve over a fixed set of leads can only rise"
