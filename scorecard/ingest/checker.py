"""The walker that checks a mapping YAML document: it collects every issue with its
file:line instead of stopping at the first, suggests the closest key, and checks the
parse settings (time zone, date format, day first, decimal mark) any level may set.
"""

from __future__ import annotations

import difflib
import zoneinfo
from collections.abc import Mapping as MappingType
from collections.abc import Sequence
from typing import Any, Final

from scorecard.ingest.parse import NAMED_FORMATS
from scorecard.ingest.rules import Settings
from scorecard.language.yamlsource import Issue, SourceDoc

SETTING_KEYS: Final = ("timezone", "date_format", "day_first", "decimal")


def suggest(word: str, choices: Sequence[str]) -> str:
    """A did-you-mean hint for an unknown word, or the list of choices."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f"; expected one of: {', '.join(choices)}"


class Checker:
    """Walks the YAML document, collecting issues instead of stopping at the first."""

    def __init__(self, doc: SourceDoc) -> None:
        self.doc = doc
        self.issues: list[Issue] = []

    def issue(self, path: tuple[str | int, ...], message: str) -> None:
        self.issues.append(Issue(self.doc.file, self.doc.line(path), message))

    def check_keys(
        self, value: MappingType[Any, Any], allowed: Sequence[str], path: tuple[str | int, ...], what: str
    ) -> None:
        for key in value:
            if key not in allowed:
                self.issue((*path, str(key)), f"{what}: unknown key {key!r}{suggest(str(key), allowed)}")

    def settings(self, raw: Any, path: tuple[str | int, ...], base: Settings) -> Settings:
        if not isinstance(raw, MappingType):
            return base
        timezone = raw.get("timezone", base.timezone)
        if not isinstance(timezone, str) or not valid_zone(timezone):
            self.issue(
                (*path, "timezone"), f"unknown time zone {timezone!r}; use an IANA name such as Europe/Berlin or UTC"
            )
            timezone = base.timezone
        date_format = raw.get("date_format", raw.get("format", base.date_format))
        if not isinstance(date_format, str) or (date_format.lower() not in NAMED_FORMATS and "%" not in date_format):
            key = "date_format" if "date_format" in raw else "format"
            self.issue(
                (*path, key),
                f"date format {date_format!r}: use auto, iso, mdy, dmy, excel, "
                "or a strftime pattern like %d.%m.%Y %H:%M",
            )
            date_format = base.date_format
        day_first = raw.get("day_first", base.day_first)
        if not isinstance(day_first, bool):
            self.issue((*path, "day_first"), "day_first must be true or false")
            day_first = base.day_first
        decimal = raw.get("decimal", base.decimal)
        decimal = {"dot": ".", "comma": ","}.get(str(decimal), decimal)
        if decimal not in ("auto", ".", ","):
            self.issue((*path, "decimal"), f"decimal {decimal!r}: use auto, '.' (dot) or ',' (comma)")
            decimal = base.decimal
        return Settings(timezone, date_format, day_first, decimal, base.date_zone)


def valid_zone(name: str) -> bool:
    """Whether `name` is a time zone this machine knows (IANA, e.g. Europe/Berlin)."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
