"""The dashboard's Data page renders with Streamlit's AppTest, previews an upload, imports
it on confirmation and shows freshness and the load history."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scorecard.store.db import Database
from tests.unit.ingest.helpers import FIXTURES, rows

ROOT = Path(__file__).resolve().parents[2]


def _page(page_file: str) -> None:
    # Loaded by path: under pytest, tests/app (a package) is importable as `app` and
    # shadows the dashboard's app package.
    import importlib.util

    spec = importlib.util.spec_from_file_location("data_page_under_test", page_file)
    assert spec is not None and spec.loader is not None
    page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(page)
    page.auth.gate()  # as the dashboard does before every page: here local mode, one admin
    page.render()


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, Database]:
    db_path = tmp_path / "data" / "scorecard.duckdb"
    monkeypatch.setenv("SCORECARD_DB", str(db_path))
    app = AppTest.from_function(_page, args=(str(ROOT / "app" / "data_page.py"),), default_timeout=60)
    return app, Database.open(db_path)


def test_renders_on_an_empty_database(page: tuple[AppTest, Database]) -> None:
    app, db = page
    app.run()
    assert not app.exception
    assert app.header[0].value == "Data"
    assert [i.value for i in app.info] == [
        f"No data in {db.display()} yet: import files above, or run `python -m scorecard demo`."
    ]
    assert app.selectbox(key="data_preset").options == ["hubspot", "pipedrive", "salesforce"]


def test_upload_preview_confirm_and_freshness(page: tuple[AppTest, Database]) -> None:
    app, db = page
    app.run()
    uploads = [(p.name, p.read_bytes(), "text/csv") for p in sorted((FIXTURES / "salesforce").glob("*.csv"))]
    app.file_uploader(key="data_files_0").set_value(uploads)
    app.selectbox(key="data_preset").set_value("salesforce")
    app.run()
    assert not app.exception
    assert [m.value for m in app.metric] == ["9", "4", "5"]  # accepted, quarantined, created
    quarantine = app.dataframe[-1].value
    assert quarantine[["row", "column", "reason"]].values.tolist() == [
        [5, "Create Date", "missing required value"],
        [5, "Amount", "negative amount"],
        [6, "Stage", "value has no entry under values: (salesforce.yaml:64)"],
        [4, "Task Subtype", "value has no entry under values: (salesforce.yaml:20)"],
    ]
    # Every preview table (one per file, and the quarantine) downloads as CSV and XLSX.
    downloads = [b.proto.label for b in app.get("download_button")]
    assert downloads.count("CSV") == downloads.count("XLSX") == len(app.dataframe) == 4
    keys = [b.proto.id for b in app.get("download_button")]
    assert len(set(keys)) == len(keys)
    assert not db.exists()  # a preview writes nothing

    confirm = app.button(key="data_confirm")
    assert confirm.label == f"Import 9 rows into {db.display()}"
    confirm.click()
    app.run()
    assert not app.exception
    assert [r[0] for r in rows(db, "leads", "id")] == ["00Q5g00000AAAA1", "00Q5g00000AAAA2", "00Q5g00000AAAA3"]
    assert "recorded as load 1" in app.text[0].value
    # The imported files leave the page: a fresh uploader, no second preview to confirm.
    assert app.success[0].value.startswith("Imported 9 rows (load 1)")
    # ... and which metrics the data now supports: Salesforce leads, deals and tasks, but no quotas
    supports = [m.value for m in app.markdown if m.value.startswith("**Your data supports ")]
    assert len(supports) == 1 and supports[0].endswith(" scorecard metrics.**")
    assert any("- **Quota attainment**: no quotas are in this data" in m.value for m in app.markdown)
    assert not app.file_uploader(key="data_files_1").value
    assert not [b for b in app.button if b.key == "data_confirm"]

    tables = {frame.value.columns[0]: frame.value for frame in app.dataframe}
    fresh = tables["Table"].set_index("Table")  # one row per table: its newest time stamp and its column
    assert fresh.loc["leads", "Rows"] == 3
    assert (fresh.loc["leads", "Latest"], fresh.loc["leads", "Latest of"]) == ("2026-01-07 00:00", "created_at")
    assert (fresh.loc["products", "Latest"], fresh.loc["products", "Latest of"]) == ("–", "–")
    loads = tables["Load"]
    assert loads[["Load", "Kind", "Files", "Accepted", "Quarantined"]].values.tolist() == [
        [1, "import", "report_leads.csv, report_opportunities.csv, report_tasks.csv", 9, 4]
    ]


def test_build_a_mapping_from_the_files_change_a_column_and_import(page: tuple[AppTest, Database]) -> None:
    """tests/fixtures/ingest/generic, as in test_builder: 3 deals and 2 leads, nothing quarantined."""
    app, db = page
    app.run()
    uploads = [(p.name, p.read_bytes(), "text/csv") for p in sorted((FIXTURES / "generic").glob("*.csv"))]
    app.file_uploader(key="data_files_0").set_value(uploads)
    app.radio(key="data_mapping_kind").set_value("Build one from the files")
    app.run()
    assert not app.exception and not app.error
    proposed = app.dataframe[0].value
    assert proposed.loc[proposed["column"] == "stage", ["from", "samples"]].values.tolist() == [
        ["Status", "Closed Won, In negotiation, Lost"]
    ]
    assert app.selectbox(key="data_map_1_source").value == "Source"
    assert [m.value for m in app.metric] == ["5", "0", "4"]  # accepted, quarantined, created (2 reps, 2 accounts)
    # The leads' Source is not wanted: unmap it; the preview follows the changed mapping.
    app.selectbox(key="data_map_1_source").set_value("(not mapped)")
    app.run()
    assert not app.exception and not app.error
    assert app.download_button(key="data_map_save") is not None
    app.button(key="data_confirm").click()
    app.run()
    assert not app.exception
    assert rows(db, "leads", "id", "source") == [("L1", None), ("L2", None)]
    assert [r[0] for r in rows(db, "opportunities", "id")] == ["G1", "G2", "G3"]
