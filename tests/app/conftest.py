"""Fixtures for the AppTest tier: the dashboard pointed at the session's demo database
(`demo_db`, tests/fixtures/dashboard.py), and a page runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.fixtures.dashboard import ROOT, PageRunner


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
