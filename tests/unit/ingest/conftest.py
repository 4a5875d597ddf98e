"""Fixtures for the import tests: a folder with every hand-made export plus users.xlsx.

tests/fixtures/ingest holds exports written by hand to look like the real thing;
users.xlsx is written with openpyxl (cells of several types, as Excel stores them).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .helpers import FIXTURES, write_users_xlsx


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    """A folder with every fixture export plus users.xlsx."""
    folder = tmp_path / "exports"
    shutil.copytree(FIXTURES, folder)
    write_users_xlsx(folder / "users.xlsx")
    return folder
