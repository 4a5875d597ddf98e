"""Saving the access file from the dashboard: checked, atomic, conflict-aware, and never locking out its editor.

A save is refused, leaving the file as it was, when the text has problems (every one with
its line), when the file changed since the editor loaded it (another admin, a hand edit),
or when the edit would take away the saving admin's own right to manage access.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from scorecard.access import policy as access
from scorecard.access.policy import AccessDenied, AccessPolicy, Principal
from scorecard.catalog.history import content_hash
from scorecard.store.files import atomic_write, locked


class AccessConflict(Exception):
    """The access file changed since it was loaded; the message says what to do."""


def current_text(path: Path) -> str:
    """The access file's text now ('' when there is none yet)."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return ""


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock = path.parent / f".{path.name}.lock"
    with locked(lock):
        yield


def save_policy(path: Path, text: str, editor: Principal, loaded_hash: str) -> AccessPolicy:
    """Write a new access file if it is valid, unchanged since loaded (`loaded_hash`) and keeps its editor an admin."""
    access.require(editor, "manage_access")
    policy = access.parse_policy(text, str(path))  # AccessError lists every problem
    if editor.mode == "signed_in":
        rule = policy.rule_for(editor.email or "")
        if rule is None or "manage_access" not in access.GRANTS[rule.role]:
            raise AccessDenied(
                f"This edit would take away your own right to manage access ({editor.email}); "
                "keep yourself an admin, or ask another admin to make the change."
            )
    with _locked(path):
        if content_hash(current_text(path)) != loaded_hash:
            raise AccessConflict(
                f"{path.name} changed since you opened it (another admin, or an edit on the server). "
                "Reload the page to see the new version, then make your change again."
            )
        atomic_write(path, text)
    return policy
