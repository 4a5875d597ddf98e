"""File shapes beyond one file with a header row per table (tests/fixtures/ingest/shapes).

deals_noheader.csv has no header row; headerless.yaml names its six columns:
  row 1 N-1 won 1200, closed 2017-02-10, owner Ana Alvarez (created)
  row 2 N-2 open ("open" -> prospecting), no close, owner Ben Brown (created)
  row 3 N-3 lost, Amount "n/a" -> quarantined as not an amount (row 3: no header row)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from scorecard.db import Database
from scorecard.ingest import IngestError, MappingError, SourceFile, load_mapping, load_mapping_text, run_import

from .helpers import FIXTURES, rows, stable_id

SHAPES = FIXTURES / "shapes"


def test_a_file_without_a_header_row_imports_with_names(any_db: Database) -> None:
    mapping = load_mapping(SHAPES / "headerless.yaml")
    result = run_import(any_db, [SourceFile.from_path(SHAPES / "deals_noheader.csv")], mapping)
    assert (result.plan.files[0].rows, result.plan.accepted, result.plan.quarantined) == (3, 2, 1)
    assert result.plan.quarantine[["row", "column", "value", "reason"]].values.tolist() == [
        [3, "Amount", "n/a", "not an amount"]
    ]
    ana = stable_id("reps", "rep", "Ana Alvarez")
    ben = stable_id("reps", "rep", "Ben Brown")
    assert rows(any_db, "opportunities", "id", "created_at", "closed_at", "stage", "amount", "owner_rep_id") == [
        ("N-1", dt.datetime(2017, 1, 9), dt.datetime(2017, 2, 10), "won", 1200.0, ana),
        ("N-2", dt.datetime(2017, 1, 10), None, "prospecting", 800.0, ben),
    ]


def test_a_first_row_of_values_is_named_as_such_and_the_fix_suggested(make_db: Callable[[str], Database]) -> None:
    mapping = load_mapping(SHAPES / "with_header.yaml")
    with pytest.raises(IngestError) as caught:
        run_import(make_db("duckdb"), [SourceFile.from_path(SHAPES / "deals_noheader.csv")], mapping)
    first, *others = caught.value.problems
    assert first.startswith("deals_noheader.csv: has no column 'Deal' for opportunities.id")
    assert first.endswith(
        "Its columns: N-1, 2017-01-09, 2017-02-10, won, 1200, Ana Alvarez. Its first row looks like data "
        "('2017-01-09', '2017-02-10', '1200'), not column names: if the file has no header row, give its "
        "source `header: false` and `names: [...]` (its columns in order)"
    )
    assert len(others) == 2 and not any("looks like data" in p for p in others)  # said once


def test_header_false_needs_names() -> None:
    text = """
version: 1
sources:
  - name: deals
    table: opportunities
    header: false
    match: {files: [deals.csv]}
    columns: {id: Deal, created_at: Created, stage: Stage, channel: {constant: direct}}
"""
    with pytest.raises(MappingError) as caught:
        load_mapping_text(text)
    assert [str(i) for i in caught.value.issues] == [
        "mapping.yaml:6: source 'deals': a file without a header row needs `names:`, its columns in order, "
        "e.g. [Deal ID, Created, Stage, Amount]"
    ]


def test_header_false_needs_a_file_pattern() -> None:
    text = """
version: 1
sources:
  - name: deals
    table: opportunities
    header: false
    names: [Deal, Created, Stage]
    columns: {id: Deal, created_at: Created, stage: Stage, channel: {constant: direct}}
"""
    with pytest.raises(MappingError) as caught:
        load_mapping_text(text)
    messages = [i.message for i in caught.value.issues]
    assert any("recognised by its name only; give match: files:" in m for m in messages)
