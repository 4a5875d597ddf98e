"""Resolve references: ids that must exist, and natural keys (a rep's name or email, an
account's name) that become ids, creating missing rows when the mapping allows.

Known rows are those in the database plus those arriving in the same import, so
files may come in any order. A created row gets a stable id derived from its key
(`acct-` + 12 hex digits of a SHA-256), so importing the same file again finds it
instead of creating a twin.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd
import sqlalchemy as sa

from scorecard.ingest import parse, schema
from scorecard.ingest.rules import ColumnRule
from scorecard.ingest.transform import TEXT, Mapped

CHUNK = 5_000
SUGGEST_FROM = 20_000
"""Names considered for a "did you mean" (enough for any team's reps, products, accounts)."""
SUGGEST_FOR = 200
"""Unknown names per column that get one (the rest still say they are unknown)."""
NOUNS = MappingProxyType(
    {"reps": "rep", "accounts": "account", "products": "product", "partners": "partner", "campaigns": "campaign"}
)


def stable_id(table: str, key: str) -> str:
    """The id a created row gets: the same key always gives the same id."""
    digest = hashlib.sha256(f"{table}:{parse.fold_key(key)}".encode()).hexdigest()[:12]
    return f"{schema.ID_PREFIX[table]}-{digest}"


@dataclass
class Known:
    """Ids and natural keys of one referenced table (database plus this import)."""

    table: str
    ids: set[str] = field(default_factory=set)
    by_key: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    """key column -> folded key -> ids carrying it."""
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    """key column -> folded key -> the key as written, for every row (for "did you mean")."""

    def add(self, key_column: str, keys: pd.Series, ids: pd.Series, wanted: set[str]) -> None:
        """Index the rows whose folded key is among `wanted` (the keys the files name)."""
        shown = self.names.setdefault(key_column, {})
        if len(shown) < SUGGEST_FROM:
            for key in keys.dropna().astype(str).unique()[: SUGGEST_FROM - len(shown)]:
                shown.setdefault(parse.fold_key(key), key)
        folded = parse.map_distinct(keys, parse.fold_key)
        frame = pd.DataFrame({"key": folded.to_numpy(), "id": ids.astype(object).to_numpy()})
        frame = frame.loc[frame["key"].isin(list(wanted)) & frame["id"].notna()].drop_duplicates()
        index = self.by_key.setdefault(key_column, {})
        for key, row_id in zip(frame["key"], frame["id"], strict=True):
            index.setdefault(str(key), set()).add(str(row_id))


@dataclass
class Creation:
    """Rows a file asks to create: per file position, the created id and its row values."""

    table: str
    positions: np.ndarray
    rows: pd.DataFrame
    owner: Mapped


def _existing_ids(conn: sa.Connection | None, table: str, values: Sequence[str]) -> set[str]:
    if conn is None or not values:
        return set()
    t = schema.table(table)
    found: set[str] = set()
    for start in range(0, len(values), CHUNK):
        chunk = list(values[start : start + CHUNK])
        found.update(str(v) for v in conn.execute(sa.select(t.c.id).where(t.c.id.in_(chunk))).scalars())
    return found


def _known(conn: sa.Connection | None, table: str, batches: Sequence[Mapped], wanted: set[str], by_key: bool) -> Known:
    """Ids of `table` named in `wanted` (or, by_key, rows whose name/email is), from this
    import's files and the database."""
    known = Known(table)
    keys = schema.NATURAL_KEYS.get(table, ())
    folded = {parse.fold_key(w) for w in wanted} if by_key else set()
    for mapped in batches:
        if mapped.table == table and "id" in mapped.frame and not mapped.updates:
            known.ids.update(mapped.frame["id"].dropna().astype(str))
            for column in keys if by_key else ():
                if column in mapped.frame:
                    known.add(column, mapped.frame[column], mapped.frame["id"], folded)
    if conn is None:
        return known
    if not by_key:
        known.ids.update(_existing_ids(conn, table, sorted(wanted - known.ids)))
        return known
    # Names match ignoring case and repeated spaces, which SQL cannot index portably:
    # read the (small) id/name/email columns of the referenced table once.
    t = schema.table(table)
    existing = pd.DataFrame(conn.execute(sa.select(t.c.id, *(t.c[c] for c in keys))).all(), columns=["id", *keys])
    for column in keys:
        known.add(column, existing[column].astype(object), existing["id"], folded)
    known.ids.update(existing["id"].astype(str))
    return known


def resolve_references(batches: Sequence[Mapped], conn: sa.Connection | None) -> list[Creation]:
    """Replace reference text by ids in every mapped file; flag unknown and ambiguous ones.

    Returns the rows that lookups with `create: true` would add (per file position).
    """
    creations: list[Creation] = []
    wanted: dict[tuple[str, bool], set[str]] = {}
    for mapped in batches:
        for rule in mapped.source.columns:
            if rule.references and rule.target in mapped.frame:
                by_key = rule.lookup is not None and rule.lookup.by != "id"
                values = mapped.frame[rule.target].dropna().astype(str)
                wanted.setdefault((rule.references, by_key), set()).update(values.unique())
    cache: dict[tuple[str, bool], Known] = {}
    for (table, by_key), ids in wanted.items():
        cache[(table, by_key)] = _known(conn, table, batches, ids, by_key)
    for mapped in batches:
        for rule in mapped.source.columns:
            if rule.references and rule.target in mapped.frame:
                by_key = rule.lookup is not None and rule.lookup.by != "id"
                creation = _resolve_column(mapped, rule, cache[(rule.references, by_key)])
                if creation is not None:
                    creations.append(creation)
    return creations


def _resolve_column(mapped: Mapped, rule: ColumnRule, known: Known) -> Creation | None:
    text = mapped.frame[rule.target]
    present = text.notna().to_numpy()
    table = rule.references
    assert table is not None
    by = rule.lookup.by if rule.lookup is not None else "id"
    noun = NOUNS.get(table, table.removesuffix("s"))
    if by == "id":
        found = text.isin(list(known.ids)).to_numpy() & present
        missing = present & ~found
        if mapped.updates and rule.target == "id":
            mapped.flag(missing, rule.target, f"no {noun} has this id (mode: update only fills rows that exist)")
        else:
            _unknown(mapped, rule, missing, f"unknown {noun} id")
        return None

    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    index = np.where(codes < 0, len(uniques), codes)
    final: list[str | None] = []
    state: list[str] = []  # ok | missing | ambiguous
    create = rule.lookup is not None and rule.lookup.create
    for value in uniques:
        column = "email" if by == "email" or (by == "auto" and "@" in str(value)) else "name"
        ids = known.by_key.get(column, {}).get(parse.fold_key(value), set())
        if len(ids) == 1:
            final.append(next(iter(ids)))
            state.append("ok")
        elif len(ids) > 1:
            final.append(None)
            state.append("ambiguous")
        elif create:
            final.append(stable_id(table, str(value)))
            state.append("created")
        else:
            final.append(None if rule.unknown != "keep" else str(value))
            state.append("missing")
    states = np.array([*state, "blank"], dtype=object)[index]
    what = NOUNS.get(table, table)
    hints = _did_you_mean(mapped, rule, known, uniques, state, by)
    mapped.flag(
        states == "ambiguous", rule.target, f"ambiguous: more than one {what} has this {by if by != 'auto' else 'name'}"
    )
    if mapped.updates and rule.target == "id":
        mapped.flag(
            states == "missing", rule.target, f"no {what} has this {by} (mode: update only fills rows that exist)"
        )
    elif rule.unknown == "quarantine":
        reasons = pd.Series(np.array([*hints, ""], dtype=object)[index], index=text.index)
        mapped.flag(states == "missing", rule.target, f"unknown {what} (looked up by {by})" + reasons)
    mapped.frame[rule.target] = pd.Series(pd.array([*final, None], dtype=TEXT).take(index), index=text.index)
    created_unique = [i for i, s in enumerate(state) if s == "created"]
    if not created_unique:
        return None
    keys = [str(uniques[i]) for i in created_unique]
    rows = pd.DataFrame({"id": [final[i] for i in created_unique], "name": keys})
    if "email" in schema.NATURAL_KEYS.get(table, ()):
        rows["email"] = [k if by in ("auto", "email") and "@" in k else None for k in keys]
    for column, value in schema.CREATED_DEFAULTS.get(table, {}).items():
        rows[column] = value
    for column, value in rule.lookup.set if rule.lookup is not None else ():
        rows[column] = value
    # Creation rows per file row: which created key each row needs.
    per_unique = np.full(len(uniques) + 1, -1)
    per_unique[created_unique] = np.arange(len(created_unique))
    needed = per_unique[index]
    positions = np.flatnonzero(needed >= 0)
    return Creation(table, positions, rows.iloc[needed[positions]].reset_index(drop=True), mapped)


def _unknown(mapped: Mapped, rule: ColumnRule, missing: np.ndarray, reason: str) -> None:
    """Apply the rule's `unknown:` policy to ids that match nothing (keep leaves them)."""
    if rule.unknown == "quarantine":
        mapped.flag(missing, rule.target, reason)
    elif rule.unknown == "null":
        mapped.frame[rule.target] = mapped.frame[rule.target].where(~missing)


def _did_you_mean(
    mapped: Mapped, rule: ColumnRule, known: Known, uniques: Sequence[object], state: list[str], by: str
) -> list[str]:
    """Per distinct value: '' or "; did you mean 'GTX Pro'? To map it: values: {...}"."""
    import difflib
    from pathlib import Path

    hints = [""] * len(uniques)
    asked = 0
    for i, value in enumerate(uniques):
        if state[i] != "missing" or asked >= SUGGEST_FOR:
            continue
        asked += 1
        column = "email" if by == "email" or (by == "auto" and "@" in str(value)) else "name"
        candidates = known.names.get(column, {})
        close = difflib.get_close_matches(parse.fold_key(value), list(candidates), n=3, cutoff=0.75)
        if not close:
            continue
        names = [candidates[c] for c in close]
        where = f"{Path(mapped.mapping.file).name}:{rule.line}"
        hints[i] = (
            f"; did you mean {' or '.join(repr(n) for n in names)}? To map it, give this column ({where}) "
            f"values: {{{value}: {names[0]}}} with unmapped: keep"
        )
    return hints


def copy_from_references(batches: Sequence[Mapped], conn: sa.Connection | None) -> None:
    """`lookup: {copy: {region: region}}`: fill a blank column from the row a reference found
    (a deal's region from its owner), taking the row from this import's files, else the database."""
    for mapped in batches:
        for rule in mapped.source.columns:
            if rule.lookup is None or not rule.lookup.copy or rule.target not in mapped.frame:
                continue
            table = rule.lookup.table
            ids = mapped.frame[rule.target]
            wanted = sorted(set(ids.dropna().astype(str)))
            for target, column in rule.lookup.copy:
                found = _values_of(batches, conn, table, column, wanted)
                copied = ids.map(found)
                if target in mapped.frame:
                    current = mapped.frame[target]
                    mapped.frame[target] = current.where(current.notna(), copied.astype(current.dtype))
                else:
                    kind = schema.kind_of(schema.table(mapped.table).c[target])
                    mapped.frame[target] = copied.astype(TEXT) if kind == "text" else copied


def _values_of(
    batches: Sequence[Mapped], conn: sa.Connection | None, table: str, column: str, ids: list[str]
) -> dict[str, object]:
    """id -> value of `column` for the rows of `table` with these ids (this import's files win)."""
    found: dict[str, object] = {}
    if conn is not None and ids:
        t = schema.table(table)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            for row_id, value in conn.execute(sa.select(t.c.id, t.c[column]).where(t.c.id.in_(chunk))):
                if value is not None:
                    found[str(row_id)] = value
    for mapped in batches:  # files in load order: a later (update) file overrides an earlier one
        if mapped.table != table or "id" not in mapped.frame or column not in mapped.frame:
            continue
        good = ~mapped.bad_mask()
        part = mapped.frame.loc[good, ["id", column]].dropna()
        found.update(zip(part["id"].astype(str), part[column], strict=True))
    return found
