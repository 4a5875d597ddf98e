"""Where the database and the metric catalog are: flag, else environment, else default."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
DEFAULT_DB: Final = PROJECT_ROOT / "data" / "scorecard.duckdb"
DEFAULT_METRICS: Final = PROJECT_ROOT / "metrics.yaml"
DB_ENV: Final = "SCORECARD_DB"
METRICS_ENV: Final = "SCORECARD_METRICS"
ACCESS_ENV: Final = "SCORECARD_ACCESS"


def database_target(flag: str | None = None) -> str:
    """The database to use: --db, else $SCORECARD_DB, else data/scorecard.duckdb."""
    return flag or os.environ.get(DB_ENV) or str(DEFAULT_DB)


def metrics_path(flag: str | Path | None = None) -> Path:
    """The catalog to use: --metrics, else $SCORECARD_METRICS, else metrics.yaml."""
    return Path(flag or os.environ.get(METRICS_ENV) or DEFAULT_METRICS)


def access_path(flag: str | Path | None = None, metrics: str | Path | None = None) -> Path:
    """The access file (roles, scopes): --access, else $SCORECARD_ACCESS, else access.yaml next to the catalog."""
    named = flag or os.environ.get(ACCESS_ENV)
    return Path(named) if named else metrics_path(metrics).resolve().parent / "access.yaml"
