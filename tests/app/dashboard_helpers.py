"""Names shared by the dashboard tests and their fixtures (a module of its own: conftest is not importable)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
DEMO_LEADS = 5_000
EMPTY_CAMPAIGN = "Test campaign with no leads"
PageRunner = Callable[..., AppTest]
