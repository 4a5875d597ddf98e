"""Mapping files: the documented example and the presets load; every problem in a broken
mapping is reported at once with its line and a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from scorecard.ingest.mapping_file import MappingError, load_mapping, load_mapping_text
from scorecard.ingest.preset_lookup import load_preset, preset_names

ROOT = Path(__file__).resolve().parents[3]


def _problems(text: str) -> list[str]:
    with pytest.raises(MappingError) as caught:
        load_mapping_text(text, "m.yaml")
    return [str(issue) for issue in caught.value.issues]


def test_the_documented_example_loads() -> None:
    mapping = load_mapping(ROOT / "examples" / "mapping.example.yaml")
    assert [(s.name, s.table) for s in mapping.sources] == [
        ("users", "reps"),
        ("leads", "leads"),
        ("deals", "opportunities"),
        ("calls", "activities"),
    ]
    deals = mapping.sources[2]
    closed = next(r for r in deals.columns if r.target == "closed_at")
    assert closed.expression == "if(stage in ('won', 'lost'), close_date, null)"
    owner = next(r for r in mapping.sources[1].columns if r.target == "owner_rep_id")
    assert owner.lookup is not None and (owner.lookup.by, owner.lookup.create) == ("auto", True)
    assert owner.lookup.set == (("team", "sales"),)
    mql = next(r for r in mapping.sources[1].columns if r.target == "mql_at")
    assert mql.settings.timezone == "Europe/Berlin"
    created = next(r for r in mapping.sources[1].columns if r.target == "created_at")
    assert created.settings.timezone == "America/New_York"
    assert created.sources == ("Create Date", "Created")


def test_presets_ship_salesforce_and_hubspot() -> None:
    assert {"salesforce", "hubspot"} <= set(preset_names())
    salesforce = load_preset("salesforce")
    assert [s.table for s in salesforce.sources] == ["activities", "opportunities", "leads"]
    hubspot = load_preset("hubspot", timezone="Europe/Paris")
    assert [s.table for s in hubspot.sources] == ["opportunities", "activities", "leads"]
    created = next(r for r in hubspot.sources[0].columns if r.target == "created_at")
    assert created.settings.timezone == "Europe/Paris"


def test_sources_match_by_file_glob_and_headers() -> None:
    mapping = load_mapping_text(
        """
sources:
  - {name: a, table: leads, match: {files: ["leads*.csv"]}, columns: {id: Id, created_at: Created}}
  - {name: b, table: leads, match: {headers: [Lead ID, [Created, Create Date]]},
     columns: {id: Lead ID, created_at: Created}}
"""
    )
    assert mapping.source_for("LEADS_jan.CSV", ["x"]).name == "a"  # type: ignore[union-attr]
    assert mapping.source_for("export.csv", ["lead_id", "Create Date"]).name == "b"  # type: ignore[union-attr]
    assert mapping.source_for("export.csv", ["lead_id"]) is None


def test_every_problem_is_reported_with_its_line() -> None:
    problems = _problems(
        """version: 1
sources:
  - name: deals
    table: oportunities
  - name: leads
    table: leads
    columns:
      id: Lead ID
      created: Create Date
      source: {column: Source, values: {A: a}, unmaped: keep}
      region: {constant: emea, column: Region}
      owner_rep_id: {column: Owner, lookup: {by: phone}}
      mql_at: {column: MQL, timezone: Mars/Olympus}
  - name: opps
    table: opportunities
    columns:
      id: Opp
      created_at: Created
      stage: {column: Stage, values: {Won: closed_won}}
      amount: {expression: "amount * (1 +"}
      account_id: {column: Account, lookup: {by: name, create: true, set: {tier: gold}}}
"""
    )
    # The expression module words the syntax error; the mapping adds where it is.
    expression_problem = next(p for p in problems if p.startswith("m.yaml:20:"))
    assert expression_problem.startswith("m.yaml:20: source 'opps', column amount: ")
    assert expression_problem.endswith("(at column 14 of 'amount * (1 +')")
    assert problems == [
        "m.yaml:4: source 'deals': table 'oportunities' cannot be imported; did you mean 'opportunities'?",
        "m.yaml:7: source 'leads': leads.created_at is required but not mapped; map a column or give `constant:`"
        + UPDATE_HINT,
        "m.yaml:9: source 'leads': leads has no column 'created'; did you mean 'created_at'?",
        "m.yaml:10: source 'leads', column source: unknown key 'unmaped'; did you mean 'unmapped'?",
        "m.yaml:11: source 'leads', column region: give exactly one of column:, constant:, expression: "
        "(found column, constant)",
        "m.yaml:12: source 'leads', column owner_rep_id: reps can be looked up by id, name, email, auto, not 'phone'",
        "m.yaml:13: unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Berlin or UTC",
        "m.yaml:16: source 'opps': opportunities.channel is required but not mapped; map a column or give "
        "`constant:`" + UPDATE_HINT,
        "m.yaml:19: source 'opps', column stage: 'closed_won' is not one of prospecting, qualification, proposal, "
        "negotiation, won, lost",
        expression_problem,
        "m.yaml:21: source 'opps', column account_id: accounts has no column 'tier'; "
        "expected one of: id, name, region, segment, industry, ownership",
    ]


UPDATE_HINT = " (or, if this file only fills columns of rows another file adds, give the source `mode: update`)"


def test_yaml_syntax_errors_name_the_line() -> None:
    assert _problems("sources:\n  - name: [unclosed\n") == [
        "m.yaml:3: YAML syntax: expected ',' or ']', but got '<stream end>'"
    ]


def test_creating_rows_needs_a_natural_key_and_a_creatable_table() -> None:
    problems = _problems(
        """
sources:
  - name: calls
    table: activities
    columns:
      id: Call ID
      type: {constant: call}
      occurred_at: Started
      lead_id: {column: Lead, lookup: {by: name}}
      rep_id: {column: Agent, lookup: {by: id, create: true}}
"""
    )
    assert problems == [
        "m.yaml:9: source 'calls', column lead_id: leads can be looked up by id, not 'name'",
        "m.yaml:10: source 'calls', column rep_id: create: needs a lookup by name or email "
        "(an id alone makes no reps row)",
    ]


def test_unknown_preset_lists_the_shipped_ones() -> None:
    with pytest.raises(MappingError, match=r"unknown preset 'zoho'; choose one of hubspot, pipedrive, salesforce"):
        load_preset("zoho")
