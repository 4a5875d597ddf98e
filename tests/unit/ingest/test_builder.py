"""The mapping builder: a proposal from the files alone imports without edits.

For the Salesforce, HubSpot and Pipedrive fixtures, importing with the proposal gives
exactly the rows the preset gives (every table compared). For an export no preset knows
(tests/fixtures/ingest/generic), the proposal is worked out by hand:
  deals_pipeline.csv -> opportunities ("Deal No" and "Value" and "Closed On" name deals):
    id Deal No, created_at Opened, stage Status (Closed Won -> won, In negotiation ->
    negotiation, Lost -> lost), closed_at Closed On only for won or lost deals (G2's
    2026-03-01 is an expected date), amount Value, owner Salesperson and account Customer
    looked up by name and created, lead_id Lead ID, channel direct.
  leads_signups.csv -> leads: id Lead ID, created_at Signup Date, source Source, account Company.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from scorecard.cli.main import main
from scorecard.ingest import SourceFile, load_mapping_text, load_preset, run_import
from scorecard.ingest.builder import mapping_yaml, propose, stage_of
from scorecard.store.db import Database

from .helpers import FIXTURES, rows, snapshot, stable_id

MakeDb = Callable[[str], Database]
CRMS = (("salesforce", None), ("hubspot", "America/New_York"), ("pipedrive", "Europe/Berlin"))


def _files(folder: str) -> list[SourceFile]:
    return [SourceFile.from_path(p) for p in sorted((FIXTURES / folder).glob("*.csv"))]


@pytest.mark.parametrize(("crm", "zone"), CRMS)
def test_the_proposal_for_a_known_export_gives_the_presets_rows(crm: str, zone: str | None, make_db: MakeDb) -> None:
    proposals, _ = propose(_files(crm))
    assert all(p.recognised and p.recognised.startswith(f"preset {crm},") for p in proposals)
    proposed = load_mapping_text(mapping_yaml(proposals), "proposed.yaml", timezone=zone)
    by_preset, by_proposal = make_db("duckdb"), make_db("duckdb")
    run_import(by_preset, _files(crm), load_preset(crm, timezone=zone))
    result = run_import(by_proposal, _files(crm), proposed)
    assert result.plan.accepted > 0
    mine, theirs = snapshot(by_proposal), snapshot(by_preset)
    del mine["loads"], theirs["loads"]  # when, and by which mapping
    assert mine == theirs


def test_an_unknown_export_is_read_from_its_headers_and_values(make_db: MakeDb) -> None:
    files = _files("generic")
    proposals, _ = propose(files)
    deals, leads = sorted(proposals, key=lambda p: p.file)
    assert (deals.table, leads.table) == ("opportunities", "leads")
    assert {c.target: c.header for c in deals.columns} == {
        "id": "Deal No",
        "created_at": "Opened",
        "closed_at": "Closed On",
        "stage": "Status",
        "amount": "Value",
        "owner_rep_id": "Salesperson",
        "account_id": "Customer",
        "lead_id": "Lead ID",
        "channel": None,
    }
    stage = next(c for c in deals.columns if c.target == "stage")
    assert stage.spec["values"] == {"Closed Won": "won", "In negotiation": "negotiation", "Lost": "lost"}
    assert stage.samples == ("Closed Won", "In negotiation", "Lost")
    assert {c.target: c.header for c in leads.columns} == {
        "id": "Lead ID",
        "created_at": "Signup Date",
        "source": "Source",
        "account_id": "Company",
    }
    db = make_db("sqlite")
    result = run_import(db, files, load_mapping_text(mapping_yaml(proposals)))
    assert (result.plan.accepted, result.plan.quarantined) == (5, 0)
    ana, ben = stable_id("reps", "rep", "Ana Alvarez"), stable_id("reps", "rep", "Ben Brown")
    acme, globex = stable_id("accounts", "acct", "Acme"), stable_id("accounts", "acct", "Globex")
    day = dt.datetime
    assert rows(
        db,
        "opportunities",
        "id",
        "created_at",
        "closed_at",
        "stage",
        "amount",
        "owner_rep_id",
        "account_id",
        "lead_id",
        "channel",
    ) == [
        ("G1", day(2026, 2, 2), day(2026, 2, 20), "won", 1500.0, ana, acme, "L1", "direct"),
        ("G2", day(2026, 2, 3), None, "negotiation", 2000.0, ben, globex, None, "direct"),
        ("G3", day(2026, 2, 4), day(2026, 2, 25), "lost", 700.0, ana, acme, "L2", "direct"),
    ]
    assert rows(db, "leads", "id", "created_at", "source", "account_id") == [
        ("L1", day(2026, 1, 20), "Webinar", acme),
        ("L2", day(2026, 1, 21), "Trade Show", acme),
    ]


@pytest.mark.parametrize(
    ("word", "stage"),
    [
        ("Closed Won", "won"),
        ("closedlost", "lost"),
        ("Contract Sent", "negotiation"),
        ("Proposal Made", "proposal"),
        ("Qualified To Buy", "qualification"),
        ("Appointment Scheduled", "prospecting"),
    ],
)
def test_stage_words(word: str, stage: str) -> None:
    assert stage_of(word) == stage


def test_map_cli_writes_yaml_that_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(p) for p in sorted((FIXTURES / "generic").glob("*.csv"))]
    assert main(["map", *files]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("# Proposed by `python -m scorecard map`")
    assert "      stage:  # e.g. Closed Won, In negotiation, Lost\n" in out
    assert err.splitlines()[0] == "deals_pipeline.csv -> opportunities (from its headers and values): 9 columns"
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(out, encoding="utf-8")
    target = tmp_path / "generic.duckdb"
    assert main(["import", "--db", str(target), "--mapping", str(mapping), *files]) == 0
    assert len(rows(Database.open(target), "opportunities", "id")) == 3
