"""Bring your own CRM data: CSV/XLSX import with column mappings, presets, validation
with quarantine, and exports back out.

Stages, one module each: readers (encoding, delimiter, CSV/XLSX) -> mapping_file (YAML
into the typed rules of rules.py, checked by checker and column_rules; shipped presets
in preset_lookup) -> transform + parse (typed columns) -> validate (row rules) ->
resolve (references) -> load (staging, upsert, log). `run_import` runs them all; the
command line (`python -m scorecard import/export`) and the dashboard's Data page call
the names below and nothing deeper. Submodules load on first use, so the command line
starts fast.
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from scorecard.ingest.export import EXPORT_FORMATS, ExportError, export_table
    from scorecard.ingest.importer import (
        FileReport,
        ImportPlan,
        ImportRejected,
        ImportResult,
        plan_import,
        prepare,
        quarantine_csv,
        run_import,
        summary_lines,
        write_quarantine,
    )
    from scorecard.ingest.mapping_file import MappingError, load_mapping, load_mapping_text
    from scorecard.ingest.preset_lookup import load_preset, preset_names
    from scorecard.ingest.readers import ReadError, SourceFile
    from scorecard.ingest.rules import Mapping
    from scorecard.ingest.status import LoadRecord, TableFreshness, freshness, load_history
    from scorecard.ingest.transform import IngestError

_WHERE: Final = MappingProxyType(
    {
        "EXPORT_FORMATS": "export",
        "ExportError": "export",
        "export_table": "export",
        "FileReport": "importer",
        "ImportPlan": "importer",
        "ImportRejected": "importer",
        "ImportResult": "importer",
        "plan_import": "importer",
        "prepare": "importer",
        "quarantine_csv": "importer",
        "run_import": "importer",
        "summary_lines": "importer",
        "write_quarantine": "importer",
        "MappingError": "mapping_file",
        "load_mapping": "mapping_file",
        "load_mapping_text": "mapping_file",
        "load_preset": "preset_lookup",
        "preset_names": "preset_lookup",
        "ReadError": "readers",
        "SourceFile": "readers",
        "Mapping": "rules",
        "LoadRecord": "status",
        "TableFreshness": "status",
        "freshness": "status",
        "load_history": "status",
        "IngestError": "transform",
    }
)

__all__ = [
    "EXPORT_FORMATS",
    "ExportError",
    "FileReport",
    "ImportPlan",
    "ImportRejected",
    "ImportResult",
    "IngestError",
    "LoadRecord",
    "Mapping",
    "MappingError",
    "ReadError",
    "SourceFile",
    "TableFreshness",
    "export_table",
    "freshness",
    "load_history",
    "load_mapping",
    "load_mapping_text",
    "load_preset",
    "plan_import",
    "prepare",
    "preset_names",
    "quarantine_csv",
    "run_import",
    "summary_lines",
    "write_quarantine",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'scorecard.ingest' has no attribute {name!r}")
    return getattr(importlib.import_module(f"scorecard.ingest.{module}"), name)
