"""Where the database and the metric catalog are: flag, else environment, else default.

In a source checkout the defaults are the checkout's `metrics.yaml` and `data/`; installed with
`pip install .`, the current folder's (its `metrics.yaml` if there is one, else the catalog
that ships with the package).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

_CHECKOUT: Final = Path(__file__).resolve().parents[2]
PACKAGED_METRICS: Final = Path(__file__).resolve().parents[1] / "catalog" / "metrics.yaml"
"""The default catalog as the package ships it (in a checkout, a link to the top-level metrics.yaml)."""
PROJECT_ROOT: Final = _CHECKOUT if (_CHECKOUT / "pyproject.toml").is_file() else Path.cwd()
DEFAULT_DB: Final = PROJECT_ROOT / "data" / "scorecard.duckdb"
DEFAULT_METRICS: Final = (
    PROJECT_ROOT / "metrics.yaml" if (PROJECT_ROOT / "metrics.yaml").is_file() else PACKAGED_METRICS
)
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


DUCKDB_MEMORY_ENV: Final = "SCORECARD_DUCKDB_MEMORY"
DEFAULT_DUCKDB_MEMORY: Final = "1.5GB"
"""DuckDB's memory limit while reading. At 10M leads the weekly scorecard peaked at 2.5 GiB
without a limit and at 1.7 GiB with this one, equally fast (BENCHMARKS.md)."""
_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)$", re.IGNORECASE)


def duckdb_memory_limit() -> str | None:
    """How much memory DuckDB may use for a read (it spills to disk beyond it):
    $SCORECARD_DUCKDB_MEMORY (a size such as 4GB or 800MB; `none` for DuckDB's own default,
    80% of RAM), else 1.5GB. Raises ValueError, naming the variable, for anything else."""
    raw = os.environ.get(DUCKDB_MEMORY_ENV, "").strip()
    if raw.lower() == "none":
        return None
    if not raw:
        return DEFAULT_DUCKDB_MEMORY
    if not _SIZE.match(raw):
        raise ValueError(
            f"${DUCKDB_MEMORY_ENV}={raw!r} is not a size: give one such as 1.5GB or 800MB, or none for DuckDB's default"
        )
    return raw


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
