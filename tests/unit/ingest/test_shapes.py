"""File shapes beyond one file with a header row per table (tests/fixtures/ingest/shapes).

deals_noheader.csv has no header row; headerless.yaml names its six columns:
  row 1 N-1 won 1200, closed 2017-02-10, owner Ana Alvarez (created)
  row 2 N-2 open ("open" -> prospecting), no close, owner Ben Brown (created)
  row 3 N-3 lost, Amount "n/a" -> quarantined as not an amount (row 3: no header row)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from scorecard.ingest import IngestError, MappingError, SourceFile, load_mapping, load_mapping_text, run_import
from scorecard.store.db import Database

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


# links.yaml: leads_l.csv adds L1-L3; deals_l.csv adds D1 (lead L1) and D2 and also feeds
# an update source that sets each named lead's opportunity_id (L1 -> D1; D2 names no lead:
# skipped and counted, nothing to fill). links_1.csv is link-only: L2 -> D2, and
# L9, which no file or database row holds, is quarantined. A later run, links_2.csv: L3 -> D2.
def _links_import(db: Database, *names: str):  # type: ignore[no-untyped-def]
    mapping = load_mapping(SHAPES / "links.yaml")
    return run_import(db, [SourceFile.from_path(SHAPES / n) for n in names], mapping)


def test_update_sources_fill_rows_that_exist_in_any_file_order_and_later_runs(any_db: Database) -> None:
    first = _links_import(any_db, "links_1.csv", "deals_l.csv", "leads_l.csv")
    assert [(f.file, f.source, f.accepted, f.quarantined) for f in first.plan.files] == [
        ("links_1.csv", "lead links", 1, 1),
        ("deals_l.csv", "deals", 2, 0),
        ("deals_l.csv", "the deal of each lead, from the deals file", 1, 0),
        ("leads_l.csv", "leads", 3, 0),
    ]
    assert first.plan.quarantine[["file", "row", "column", "value", "reason"]].values.tolist() == [
        ["links_1.csv", 3, "Lead", "L9", "no lead has this id (mode: update only fills rows that exist)"],
    ]
    assert first.plan.files[2].skipped == 1
    assert (
        "deals_l.csv -> leads (the deal of each lead, from the deals file): 2 rows, 1 accepted, 0 quarantined, "
        "1 without an id skipped (nothing to fill)" in first.summary()
    )
    assert (first.counts["leads"].inserted, first.counts["leads"].updated) == (3, 2)
    assert rows(any_db, "leads", "id", "source", "opportunity_id") == [
        ("L1", "web", "D1"),
        ("L2", "web", "D2"),
        ("L3", "referral", None),
    ]
    later = _links_import(any_db, "links_2.csv")
    assert (later.counts["leads"].inserted, later.counts["leads"].updated) == (0, 1)
    assert rows(any_db, "leads", "id", "created_at", "opportunity_id")[2] == ("L3", dt.datetime(2017, 1, 4), "D2")


def test_an_update_finds_rows_by_name_and_adds_none(any_db: Database) -> None:
    _links_import(any_db, "deals_l.csv", "leads_l.csv")
    result = _links_import(any_db, "reps_regions.csv")
    assert result.plan.quarantine[["row", "value", "reason"]].values.tolist() == [
        [3, "Nobody", "no rep has this name (mode: update only fills rows that exist)"]
    ]
    ana = stable_id("reps", "rep", "Ana Alvarez")
    ben = stable_id("reps", "rep", "Ben Brown")
    assert rows(any_db, "reps", "id", "name", "region", "active") == sorted(
        [(ana, "Ana Alvarez", "EMEA", True), (ben, "Ben Brown", None, True)]
    )


def test_a_link_only_file_without_mode_update_says_how_to_fix_it() -> None:
    text = """
version: 1
sources:
  - name: links
    table: leads
    match: {files: [links*.csv]}
    columns: {id: Lead, opportunity_id: Deal}
"""
    with pytest.raises(MappingError) as caught:
        load_mapping_text(text)
    assert [str(i) for i in caught.value.issues] == [
        "mapping.yaml:7: source 'links': leads.created_at is required but not mapped; map a column or give "
        "`constant:` (or, if this file only fills columns of rows another file adds, give the source `mode: update`)"
    ]


# products.yaml: products.csv names GTX Pro, GTX Basic, MG Special. deals_products.csv:
# P1 "gtx pro" matches GTX Pro (case is ignored); P2 and P4 "GTXPro" and P3 "Zebra" are unknown:
# GTXPro is close to GTX Pro (a suggestion, and the values: line that maps it), Zebra to nothing.
def test_an_unknown_lookup_value_suggests_the_nearest_names_and_how_to_map_it(any_db: Database) -> None:
    mapping = load_mapping(SHAPES / "products.yaml")
    files = [SourceFile.from_path(SHAPES / n) for n in ("deals_products.csv", "products.csv")]
    result = run_import(any_db, files, mapping)
    hint = (
        "unknown product (looked up by name); did you mean 'GTX Pro'? To map it, give this column "
        "(products.yaml:19) values: {GTXPro: GTX Pro} with unmapped: keep"
    )
    assert result.plan.quarantine[["row", "value", "reason"]].values.tolist() == [
        [3, "GTXPro", hint],
        [4, "Zebra", "unknown product (looked up by name)"],
        [5, "GTXPro", hint],
    ]
    assert f"  quarantined: 2 x Product: {hint}" in result.summary()
    assert rows(any_db, "opportunities", "id", "product_id") == [("P1", "GTX Pro")]


# copy.yaml: team.csv adds reps U1 Ana Alvarez (EMEA) and U2 Ben Brown (NA); deals_region.csv
# names owners by name and copies the owner's region where the deal has none:
#   R1 Ana, blank -> EMEA; R2 Ben, APAC on the deal stays APAC; R3 Zed Zane, unknown, created
#   without a region -> blank; R4 Ben, blank -> NA.
def test_a_lookup_copies_columns_of_the_row_it_finds(any_db: Database) -> None:
    mapping = load_mapping(SHAPES / "copy.yaml")
    files = [SourceFile.from_path(SHAPES / n) for n in ("deals_region.csv", "team.csv")]
    result = run_import(any_db, files, mapping)
    assert result.plan.quarantined == 0
    zed = stable_id("reps", "rep", "Zed Zane")
    assert rows(any_db, "opportunities", "id", "owner_rep_id", "region") == [
        ("R1", "U1", "EMEA"),
        ("R2", "U2", "APAC"),
        ("R3", zed, None),
        ("R4", "U2", "NA"),
    ]


def test_copy_names_real_columns() -> None:
    text = """
version: 1
sources:
  - name: deals
    table: opportunities
    match: {files: [d.csv]}
    columns:
      id: Deal
      created_at: Created
      stage: Stage
      channel: {constant: direct}
      owner_rep_id: {column: Owner, lookup: {by: name, copy: {regoin: region, segment: teams}}}
"""
    with pytest.raises(MappingError) as caught:
        load_mapping_text(text)
    assert [i.message for i in caught.value.issues] == [
        "source 'deals', column owner_rep_id: opportunities has no column 'regoin'; did you mean 'region'?",
        "source 'deals', column owner_rep_id: reps has no column 'teams'; did you mean 'team'?",
    ]


# Without copy:, the default catalog's region dimension falls back to the owner's region:
# bookings of 2017-W02 (Jan 9-15) by region: R1 100 (Ana -> EMEA), R2 200 (APAC on the deal),
# R4 400 (Ben -> NA); R3 300 (Zed, no region anywhere) stays unassigned.
def test_the_region_dimension_falls_back_to_the_owner(any_db: Database) -> None:
    from scorecard.catalog.load import load_catalog
    from scorecard.engine.runner import Runner
    from scorecard.language import periods
    from scorecard.sql.query import Query
    from scorecard.store.config import DEFAULT_METRICS

    text = (SHAPES / "copy.yaml").read_text(encoding="utf-8").replace(", copy: {region: region}", "")
    mapping = load_mapping_text(text, "nocopy.yaml")
    files = [SourceFile.from_path(SHAPES / n) for n in ("deals_region.csv", "team.csv")]
    run_import(any_db, files, mapping)
    assert [r[1] for r in rows(any_db, "opportunities", "id", "region")] == [None, "APAC", None, None]
    catalog = load_catalog(DEFAULT_METRICS)
    week = periods.parse_week(catalog.calendar, "2017-W02")
    by_region = Runner(any_db, catalog).run("bookings", Query.build([week], group_by=["region"]))
    assert sorted(zip(by_region["d_region"].fillna("(none)"), by_region["value"], strict=True)) == [
        ("(none)", 300.0),
        ("APAC", 200.0),
        ("EMEA", 100.0),
        ("NA", 400.0),
    ]
    emea = Runner(any_db, catalog).run("bookings", Query.build([week], filters={"region": ["EMEA"]}))
    assert list(emea["value"]) == [100.0]


def test_the_import_summary_says_which_metrics_the_data_supports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scorecard.cli.main import main

    target = tmp_path / "nq.duckdb"
    argv = ["import", "--db", str(target), "--mapping", str(SHAPES / "noquota.yaml"), str(SHAPES / "deals_noquota.csv")]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    summary = next(line for line in out if line.startswith("your data supports "))
    assert summary.endswith(" scorecard metrics")
    # deals_noquota.csv holds deals only: no quotas, no leads, no activities
    assert "  not yet: Quota attainment: no quotas are in this data" in out
    assert "  not yet: Leads created: no leads are in this data" in out
    assert not any(line.startswith("  not yet: Bookings") for line in out)  # won deals with amounts are there
