"""Versions of metrics.yaml: save with a message, who and when; diff any two; revert to any one.

History is a plain folder beside the catalog, readable without the app:

    metrics.yaml
    .metrics-history/
        index.json          one entry per version: number, time (UTC), author, message, sha256, file
        v0001.yaml          the whole catalog as it was at version 1
        v0002.yaml          ...

Why a folder and not a table: the catalog is a file that also changes outside the app (a
hand edit, a `git pull`), history must survive a database rebuilt by `scorecard demo
--force`, and `diff .metrics-history/v0003.yaml .metrics-history/v0004.yaml` works in any
shell. A version is the whole file (catalogs are tens of kilobytes), so reading one never
needs the others.

A save is atomic and refuses conflicts:
- every file is written to a temporary file in the same folder, flushed to disk and then
  renamed over the old one, so a crash leaves either the old file or the new one, whole;
- the editor passes the hash of the text it loaded; if the file on disk no longer has that
  hash (another analyst saved, a `git pull`), the save is refused with ConflictError, which
  carries the file's current text for a three-way view;
- an invalid catalog is never written (InvalidCatalogError lists every problem);
- if the file on disk differs from the newest version (changed outside the editor), that
  content is first recorded as a version of its own, so nothing is ever lost;
- one save at a time: an exclusive lock on `.metrics-history/.lock`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import getpass
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from scorecard.catalog.load import check_text
from scorecard.language.yamlsource import Issue
from scorecard.store.files import atomic_write, locked

INDEX: Final = "index.json"
OUTSIDE_AUTHOR: Final = "(outside the editor)"
CURRENT: Final = "current"
"""The name of the file on disk as it is now, wherever a version number is accepted."""


class HistoryError(Exception):
    """A history operation that cannot be done; the message says why and what to do."""


class ConflictError(HistoryError):
    """The file changed since the editor loaded it; `theirs` is its text now."""

    def __init__(self, path: Path, theirs: str) -> None:
        super().__init__(
            f"{path.name} changed since you loaded it (another analyst saved, or the file was edited or pulled). "
            "Your text is kept: compare both changes, then save again on top of the current file."
        )
        self.theirs = theirs


class InvalidCatalogError(HistoryError):
    """The text to save has problems; `issues` lists every one."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = tuple(issues)
        errors = [i for i in self.issues if i.severity == "error"]
        super().__init__(f"not saved: the catalog has {len(errors)} problem(s)\n" + "\n".join(map(str, errors)))


@dataclass(frozen=True)
class Version:
    """One saved version of the catalog."""

    number: int
    time: str
    author: str
    message: str
    sha256: str
    file: str
    reverts: int | None = None

    @property
    def label(self) -> str:
        return f"v{self.number}"


def content_hash(text: str) -> str:
    """The hash that identifies a catalog's text (what the editor loaded, what a version holds)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_author() -> str:
    """The operating-system user, for saves where nobody is signed in."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def folder_for(path: Path) -> Path:
    """Where the history of a catalog file lives: `.metrics-history/` beside `metrics.yaml`."""
    return path.parent / f".{path.stem}-history"


class History:
    """The versions of one catalog file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.folder = folder_for(self.path)

    # --- reading --------------------------------------------------------------------------

    def versions(self) -> list[Version]:
        """Every version, oldest first (empty before the first save)."""
        index = self.folder / INDEX
        if not index.exists():
            return []
        try:
            data = json.loads(index.read_text(encoding="utf-8"))
            return [Version(**entry) for entry in data["versions"]]
        except (ValueError, KeyError, TypeError) as exc:
            problem = f"{index}: unreadable history index ({exc}); the version files beside it are intact"
            raise HistoryError(problem) from None

    def version(self, number: int) -> Version:
        found = {v.number: v for v in self.versions()}
        if number not in found:
            known = f"v1..v{max(found)}" if found else "none yet"
            raise HistoryError(f"no version {number} of {self.path.name} (versions: {known})")
        return found[number]

    def text(self, ref: int | str) -> str:
        """The text of a version number, or of the file on disk for `current`."""
        number = parse_ref(ref) if isinstance(ref, str) else ref
        if not isinstance(number, int):
            return self.disk_text()
        version = self.version(number)
        return (self.folder / version.file).read_text(encoding="utf-8")

    def disk_text(self) -> str:
        """The catalog file as it is now ('' if it does not exist)."""
        try:
            return self.path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            return ""

    def disk_hash(self) -> str:
        return content_hash(self.disk_text())

    def diff(self, old: int | str, new: int | str = CURRENT, context: int = 3) -> str:
        """A unified diff between two versions (or a version and the file on disk)."""
        return unified_diff(self.text(old), self.text(new), _name(old), _name(new), context)

    # --- writing --------------------------------------------------------------------------

    def save(
        self,
        text: str,
        message: str,
        author: str | None = None,
        expected_hash: str | None = None,
        reverts: int | None = None,
    ) -> Version:
        """Validate, then atomically write `text` as the catalog and record it as a new version.

        `expected_hash` is content_hash() of the text the editor started from; None skips
        the conflict check (the command line's revert takes the file as it is now).
        """
        message = message.strip()
        if not message:
            raise HistoryError("a save needs a message saying what changed and why")
        checked, issues = check_text(text, self.path.name)
        if checked is None:
            raise InvalidCatalogError(issues)
        with self._locked():
            current = self.disk_text()
            if expected_hash is not None and content_hash(current) != expected_hash:
                raise ConflictError(self.path, current)
            if text == current:
                raise HistoryError(f"nothing to save: the text is the same as {self.path.name} on disk")
            versions = self.versions()
            if current and (not versions or versions[-1].sha256 != content_hash(current)):
                what = "the file as found before its first save" if not versions else "changed outside the editor"
                versions.append(self._record(versions, current, what, OUTSIDE_AUTHOR))
                self._write_index(versions)
            version = self._record(versions, text, message, author or default_author(), reverts)
            atomic_write(self.path, text)
            self._write_index([*versions, version])
        return version

    def record(self, message: str, author: str | None = None) -> Version:
        """Record the file on disk as it is now (a hand edit, a pull) as a version with a message."""
        message = message.strip()
        if not message:
            raise HistoryError("a version needs a message saying what changed and why")
        current = self.disk_text()
        checked, issues = check_text(current, self.path.name)
        if checked is None:
            raise InvalidCatalogError(issues)
        with self._locked():
            current = self.disk_text()
            versions = self.versions()
            if versions and versions[-1].sha256 == content_hash(current):
                raise HistoryError(f"nothing to record: {self.path.name} is {versions[-1].label}")
            version = self._record(versions, current, message, author or default_author())
            self._write_index([*versions, version])
        return version

    def revert(self, number: int, message: str, author: str | None = None, expected_hash: str | None = None) -> Version:
        """Make version `number` the catalog again, as a new version whose message says so."""
        old = self.version(number)
        text = (self.folder / old.file).read_text(encoding="utf-8")
        note = message.strip()
        if not note:
            raise HistoryError("a revert needs a message saying why")
        return self.save(text, f"revert to v{number}: {note}", author, expected_hash, reverts=number)

    def _record(
        self, versions: list[Version], text: str, message: str, author: str, reverts: int | None = None
    ) -> Version:
        number = (versions[-1].number if versions else 0) + 1
        name = f"v{number:04d}.yaml"
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self.folder / name, text)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return Version(number, now, author, message, content_hash(text), name, reverts)

    def _write_index(self, versions: Sequence[Version]) -> None:
        data: dict[str, Any] = {"file": self.path.name, "versions": [asdict(v) for v in versions]}
        atomic_write(self.folder / INDEX, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with locked(self.folder / ".lock"):
            yield


def parse_ref(text: str) -> int | str:
    """'3', 'v3' -> 3; 'current' -> 'current'."""
    cleaned = text.strip().lower()
    if cleaned in (CURRENT, "disk", "now"):
        return CURRENT
    try:
        return int(cleaned.removeprefix("v"))
    except ValueError:
        raise HistoryError(f"{text!r} is not a version: write a number such as 3 (or v3), or 'current'") from None


def _name(ref: int | str) -> str:
    return "current" if ref == CURRENT else f"v{ref}" if isinstance(ref, int) else str(ref)


def unified_diff(old: str, new: str, old_name: str = "old", new_name: str = "new", context: int = 3) -> str:
    """A unified diff of two texts ('' when they are the same)."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name, n=context
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class ThreeWay:
    """A refused save's two sides: what the analyst changed and what changed on disk, both from the same base."""

    mine: str
    theirs: str
    overlapping: bool
    merged: str | None = None
    """Both changes applied to the base, when they touch different lines; None when they overlap."""

    @staticmethod
    def of(base: str, mine: str, theirs: str) -> ThreeWay:
        ours = _changed_lines(base, mine)
        other = _changed_lines(base, theirs)
        return ThreeWay(
            unified_diff(base, mine, "loaded", "yours"),
            unified_diff(base, theirs, "loaded", "on disk now"),
            bool(ours & other),
            merge(base, mine, theirs),
        )


def merge(base: str, mine: str, theirs: str) -> str | None:
    """A line-based three-way merge: both sides' changes applied to `base`, or None if any two
    changes touch the same or adjacent lines (then a person decides)."""
    base_lines = base.splitlines(keepends=True)
    hunks: set[tuple[int, int, tuple[str, ...]]] = set()  # the same change made on both sides counts once
    for other in (mine, theirs):
        other_lines = other.splitlines(keepends=True)
        matcher = difflib.SequenceMatcher(a=base_lines, b=other_lines, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                hunks.add((i1, i2, tuple(other_lines[j1:j2])))
    ordered = sorted(hunks)
    for (_a1, a2, _), (b1, _b2, _) in zip(ordered, ordered[1:], strict=False):
        if b1 <= a2:  # overlapping or touching ranges (an insertion at the edge of another change)
            return None
    out = list(base_lines)
    for i1, i2, lines in reversed(ordered):
        out[i1:i2] = lines
    return "".join(out)


def _changed_lines(base: str, other: str) -> set[int]:
    """Lines of `base` that `other` replaces or deletes (insertions count the line they follow)."""
    changed: set[int] = set()
    matcher = difflib.SequenceMatcher(a=base.splitlines(), b=other.splitlines(), autojunk=False)
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            changed.update(range(i1, max(i2, i1 + 1)))
    return changed
