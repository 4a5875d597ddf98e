"""Fixtures for the dashboard tests: one small demo database per session, and a page runner.

The demo database is built once (5,000 leads, about a second) with today's date, as the
dashboard reads it, plus one campaign that has no leads at all, so a filter on it must
show the plain "nothing matches" message.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from dashboard_helpers import DEMO_LEADS, EMPTY_CAMPAIGN, ROOT, PageRunner
from streamlit.testing.v1 import AppTest

from scorecard.demo import generate as demo
from scorecard.store import model
from scorecard.store.db import Database, bulk_insert


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 5,000-lead demo database (DuckDB file), built once for the whole session."""
    path = tmp_path_factory.mktemp("dashboard") / "demo.duckdb"
    db = Database.open(path)
    demo.build(db, leads=DEMO_LEADS)
    with db.writer() as conn:
        bulk_insert(
            conn,
            model.campaigns,
            pd.DataFrame(
                [
                    {
                        "id": "test-empty-campaign",
                        "name": EMPTY_CAMPAIGN,
                        "channel": "webinar",
                        "region": "EMEA",
                        "start_date": dt.date(2000, 1, 1),
                        "end_date": dt.date(2000, 1, 2),
                        "cost": 0.0,
                    }
                ]
            ),
        )
    db.dispose()
    return path


@pytest.fixture
def dashboard_db(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the dashboard at the session's demo database."""
    monkeypatch.setenv("SCORECARD_DB", str(demo_db))
    monkeypatch.delenv("SCORECARD_METRICS", raising=False)
    return demo_db


def _dashboard(root: str, page: str) -> None:
    """The AppTest script: the real entrypoint with `page` opening at the root address."""
    import sys

    if root not in sys.path:
        sys.path.insert(0, root)
    import dashboard

    dashboard.main(default=page)


@pytest.fixture
def open_page() -> PageRunner:
    """open_page("explore", region="EMEA", ...) -> the dashboard run once on that page with those URL parameters."""

    def run(page: str, **query: str | list[str]) -> AppTest:
        app = AppTest.from_function(_dashboard, args=(str(ROOT), page), default_timeout=60)
        for key, value in query.items():
            app.query_params[key] = value
        return app.run()

    return run
