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


UPLOAD_ENV: Final = "SCORECARD_MAX_UPLOAD_MB"
DEFAULT_MAX_UPLOAD_MB: Final = 50
"""Largest file an upload may be, in MB; keep `server.maxUploadSize` in .streamlit/config.toml the same."""


def max_upload_bytes() -> int:
    """The upload limit: $SCORECARD_MAX_UPLOAD_MB (whole MB), else DEFAULT_MAX_UPLOAD_MB."""
    raw = os.environ.get(UPLOAD_ENV, "")
    megabytes = int(raw) if raw.strip().isdigit() and int(raw) > 0 else DEFAULT_MAX_UPLOAD_MB
    return megabytes * 1024 * 1024


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
