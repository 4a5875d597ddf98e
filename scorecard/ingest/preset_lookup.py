"""The presets shipped with Scorecard (scorecard/ingest/presets/*.yaml): their names, and
one loaded by name like any mapping file.
"""

from __future__ import annotations

import importlib.resources
from typing import Final

from scorecard.ingest.mapping_file import MappingError, load_mapping_text
from scorecard.ingest.rules import Mapping
from scorecard.language.yamlsource import Issue

PRESETS_PACKAGE: Final = "scorecard.ingest.presets"


def preset_names() -> tuple[str, ...]:
    """Presets shipped with Scorecard (scorecard/ingest/presets/*.yaml)."""
    folder = importlib.resources.files(PRESETS_PACKAGE)
    return tuple(sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")))


def load_preset(name: str, timezone: str | None = None) -> Mapping:
    """A shipped preset by name, e.g. 'salesforce' or 'hubspot'."""
    names = preset_names()
    if name not in names:
        raise MappingError([Issue(f"preset {name}", 1, f"unknown preset {name!r}; choose one of {', '.join(names)}")])
    resource = importlib.resources.files(PRESETS_PACKAGE) / f"{name}.yaml"
    text = resource.read_text(encoding="utf-8")
    return load_mapping_text(text, f"presets/{name}.yaml", timezone)
