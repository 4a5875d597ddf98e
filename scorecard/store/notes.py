"""Notes on a week: "the Berlin trade show landed this week", on one metric's week or the week as a whole.

Stored in the database (table `notes`) with author and time, read back for the
scorecard's cards, trend charts, exports and e-mail. A note never changes a number:
nothing in the engine reads this table, and adding one does not change the data
version that cached results are keyed on.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import unicodedata
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa

from scorecard.language import periods as cal
from scorecard.store import model
from scorecard.store.db import Database, create_schema

MAX_LENGTH: Final = 500
"""A note is a line or two for the meeting, not a report."""


class NoteError(ValueError):
    """A note that cannot be stored, with the reason in plain words."""


@dataclass(frozen=True)
class Note:
    """One note. `metric` None means the note is on the whole week."""

    id: str
    week: str
    week_start: dt.date
    metric: str | None
    text: str
    author: str
    created_at: dt.datetime

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "week": self.week, "metric": self.metric, "text": self.text, "author": self.author,
                "created_at": self.created_at.isoformat(timespec="seconds")}  # fmt: skip

    def line(self) -> str:
        """'text (author, 2026-11-30 09:12 UTC)': the form text exports and e-mail use."""
        return f"{self.text} ({self.author}, {self.created_at:%Y-%m-%d %H:%M} UTC)"


def default_author(signed_in: str | None = None) -> str:
    """The signed-in user if any, else the operating-system user (a local server or the CLI)."""
    if signed_in:
        return signed_in
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in a bare container
        return os.environ.get("USER") or "unknown"


def clean_text(text: str) -> str:
    """The note as stored: whitespace collapsed, control characters refused, at most MAX_LENGTH."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise NoteError("a note cannot contain control characters")
    cleaned = " ".join(text.split())
    if not cleaned:
        raise NoteError("a note needs some text")
    if len(cleaned) > MAX_LENGTH:
        raise NoteError(f"a note is at most {MAX_LENGTH} characters; this one has {len(cleaned)}")
    return cleaned


def add(
    db: Database,
    metrics: Collection[str],
    week: cal.Period,
    text: str,
    *,
    metric: str | None = None,
    author: str | None = None,
    now: dt.datetime | None = None,
) -> Note:
    """Store a note on `week` (and `metric`, if given, one of the catalog's `metrics`) and return it."""
    if metric is not None and metric not in metrics:
        raise NoteError(f"unknown metric {metric!r}; notes go on a metric of the catalog or on the whole week")
    note = Note(
        id=str(uuid.uuid4()),
        week=week.label,
        week_start=week.first,
        metric=metric,
        text=clean_text(text),
        author=(author or default_author()).strip()[:200] or default_author(),
        created_at=(now or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0),
    )
    with db.writer() as conn:
        create_schema(conn)  # databases built before notes existed get the table on the first note
        conn.execute(
            sa.insert(model.notes).values(
                id=note.id,
                week=note.week,
                week_start=note.week_start,
                metric=note.metric,
                text=note.text,
                author=note.author,
                created_at=note.created_at,
            )
        )
    return note


def delete(db: Database, note_id: str) -> bool:
    """Remove one note; False if there was none with that id."""
    if not _has_table(db):
        return False
    with db.writer() as conn:
        result = conn.execute(sa.delete(model.notes).where(model.notes.c.id == note_id))
    return bool(result.rowcount)


def for_weeks(db: Database, weeks: Iterable[cal.Period], metric: str | None = None) -> list[Note]:
    """Notes on these weeks, oldest first: on `metric` and on the whole week if a metric is given,
    else every note on those weeks."""
    starts = sorted({w.first for w in weeks})
    if not starts or not _has_table(db):
        return []
    table = model.notes
    statement = sa.select(table).where(table.c.week_start.in_(starts))
    if metric is not None:
        statement = statement.where(sa.or_(table.c.metric == metric, table.c.metric.is_(None)))
    statement = statement.order_by(table.c.week_start, table.c.created_at, table.c.id)
    with db.engine().connect() as conn:
        rows = conn.execute(statement).mappings().all()
    return [_note(r) for r in rows]


def between(db: Database, first: dt.date, last: dt.date, metric: str | None = None) -> list[Note]:
    """Notes on the weeks starting from `first` to `last`, oldest first (for trend charts of any grain);
    with `metric`, its notes and the whole-week ones."""
    if not _has_table(db):
        return []
    table = model.notes
    statement = sa.select(table).where(table.c.week_start >= first, table.c.week_start <= last)
    if metric is not None:
        statement = statement.where(sa.or_(table.c.metric == metric, table.c.metric.is_(None)))
    with db.engine().connect() as conn:
        rows = conn.execute(statement.order_by(table.c.week_start, table.c.created_at, table.c.id)).mappings().all()
    return [_note(r) for r in rows]


def all_notes(db: Database, limit: int = 500) -> list[Note]:
    """The newest notes first (for `note list`)."""
    if not _has_table(db):
        return []
    table = model.notes
    statement = sa.select(table).order_by(table.c.week_start.desc(), table.c.created_at.desc()).limit(limit)
    with db.engine().connect() as conn:
        return [_note(r) for r in conn.execute(statement).mappings().all()]


def by_metric(notes: Iterable[Note]) -> dict[str | None, list[Note]]:
    """{metric or None (week notes): notes}."""
    out: dict[str | None, list[Note]] = {}
    for note in notes:
        out.setdefault(note.metric, []).append(note)
    return out


def _note(row: Any) -> Note:
    start = row["week_start"]
    created = row["created_at"]
    return Note(
        id=str(row["id"]),
        week=str(row["week"]),
        week_start=start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start)[:10]),
        metric=row["metric"],
        text=str(row["text"]),
        author=str(row["author"]),
        created_at=created if isinstance(created, dt.datetime) else dt.datetime.fromisoformat(str(created)),
    )


def _has_table(db: Database) -> bool:
    if db.path is not None and not db.path.exists():
        return False
    try:
        with db.engine().connect() as conn:
            return sa.inspect(conn).has_table(model.notes.name)
    except sa.exc.DBAPIError:
        return False
