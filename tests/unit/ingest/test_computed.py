"""Computed columns: the metrics.yaml expression grammar over a file's headers (text) and
the source's target columns (typed), read like a cell of the target column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from scorecard.ingest import IngestError, SourceFile, load_mapping_text, run_import
from scorecard.store.db import Database

from .helpers import rows

MakeDb = Callable[[str], Database]

MAPPING = """
sources:
  - name: deals
    table: opportunities
    columns:
      id: Deal
      created_at: Created
      stage: {column: Stage, values: {Won: won, Open: proposal, Lost: lost}}
      amount: Amount
      channel: {constant: direct}
      list_amount: {expression: "%s"}
      closed_at: {expression: "if(stage in ('won', 'lost'), close_date, null)"}
"""
CSV = (
    b"Deal,Created,Stage,Amount,Close Date,Discount\n"
    b"D1,2026-01-05,Won,100,2026-01-20,20\n"
    b"D2,2026-01-06,Open,$80.00,2026-03-01,\n"
)


def test_numbers_and_dates_are_computed_per_row(make_db: MakeDb) -> None:
    db = make_db("duckdb")
    mapping = load_mapping_text(MAPPING % "amount * 1.15", "m.yaml")
    run_import(db, [SourceFile.from_bytes("deals.csv", CSV)], mapping)
    # D1: 100 x 1.15 = 115.00, won so closed on its Close Date; D2: 80 x 1.15 = 92.00,
    # open, so its (expected) Close Date stays out of closed_at.
    assert rows(db, "opportunities", "id", "list_amount", "closed_at") == [
        ("D1", 115.0, dt.datetime(2026, 1, 20)),
        ("D2", 92.0, None),
    ]


def test_an_expression_naming_a_missing_column_is_an_error_with_the_mapping_line(make_db: MakeDb) -> None:
    mapping = load_mapping_text(MAPPING % "amount * rebate", "m.yaml")
    with pytest.raises(IngestError) as caught:
        run_import(make_db("duckdb"), [SourceFile.from_bytes("deals.csv", CSV)], mapping)
    (problem,) = caught.value.problems
    assert problem.startswith("m.yaml:11: expression for list_amount on deals.csv: ")
    assert "rebate" in problem
