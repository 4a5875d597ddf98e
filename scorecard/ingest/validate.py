"""Row rules that make a mapped row unfit to load, each recorded with its reason.

Run over whole columns at once: missing required values, text too long for its
column, values outside a closed vocabulary, negative amounts, a close before a
creation, a won flag that contradicts the stage, and duplicate ids. References are
checked in `resolve`, against the database.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scorecard.ingest import schema
from scorecard.ingest.transform import Mapped

NEGATIVE_REASONS = {
    "duration_s": "negative duration",
    "margin_rate": "negative rate",
    "commission_rate": "negative rate",
}


def check_rows(mapped: Mapped) -> None:
    """Add every row-level problem of one mapped file to `mapped.issues`."""
    _required(mapped)
    _lengths(mapped)
    _vocabularies(mapped)
    _negatives(mapped)
    _ranges(mapped)
    _order(mapped)
    _won_matches_stage(mapped)


def _already(mapped: Mapped, target: str) -> np.ndarray:
    """Rows whose `target` was already flagged (an unreadable value is not also 'missing')."""
    label = mapped.labels.get(target, target)
    mask = np.zeros(len(mapped.frame), dtype=bool)
    for issues in mapped.issues:
        hit = issues["column"].to_numpy() == label
        mask[issues["pos"].to_numpy()[hit]] = True
    return mask


def _required(mapped: Mapped) -> None:
    keys = set(schema.key_columns(mapped.table))
    for target in mapped.frame.columns:
        rule = mapped.rule(target)
        required = target in keys or (rule is not None and rule.required)
        if not required:
            continue
        missing = mapped.frame[target].isna().to_numpy() & ~_already(mapped, target) & ~mapped.skipped_mask()
        mapped.flag(missing, target, "missing required value")


def _lengths(mapped: Mapped) -> None:
    table = schema.table(mapped.table)
    for target in mapped.frame.columns:
        limit = schema.max_length(table.c[target])
        if limit is None or schema.kind_of(table.c[target]) != "text":
            continue
        values = mapped.frame[target]
        if values.dtype.kind in "OUT" or isinstance(values.dtype, pd.StringDtype):
            too_long = (values.astype(str).str.len() > limit).to_numpy() & values.notna().to_numpy()
            mapped.flag(too_long, target, f"longer than {limit} characters")


def _vocabularies(mapped: Mapped) -> None:
    for (table, column), allowed in schema.VOCABULARIES.items():
        if table != mapped.table or column not in mapped.frame:
            continue
        values = mapped.frame[column]
        outside = values.notna().to_numpy() & ~values.isin(allowed).to_numpy()
        mapped.flag(outside, column, f"not one of {', '.join(allowed)}", value=values.astype(object))


def _negatives(mapped: Mapped) -> None:
    for column in schema.NON_NEGATIVE.get(mapped.table, ()):
        if column in mapped.frame:
            negative = (mapped.frame[column] < 0).fillna(False).to_numpy(dtype=bool)
            mapped.flag(negative, column, NEGATIVE_REASONS.get(column, "negative amount"))


def _ranges(mapped: Mapped) -> None:
    """Values the database column cannot hold, or dates no CRM event has: quarantined per row.

    Without this a single amount of 1e16 fails the NUMERIC(18, 2) cast inside the load and
    takes every good row of the import with it (or, on SQLite, lands as a wrong number).
    """
    table = schema.table(mapped.table)
    already = mapped.bad_mask()
    for target in mapped.frame.columns:
        bounds = schema.value_range(table.c[target])
        if bounds is None:
            continue
        low, high, reason = bounds
        values = mapped.frame[target]
        if schema.kind_of(table.c[target]) in ("date", "datetime"):
            stamps = pd.to_datetime(values, errors="coerce")
            present = stamps.notna().to_numpy()
            outside = present & ((stamps < pd.Timestamp(low)) | (stamps > pd.Timestamp(high))).fillna(False).to_numpy(
                dtype=bool
            )
        else:
            numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
            present = values.notna().to_numpy()
            with np.errstate(invalid="ignore"):
                outside = present & (~np.isfinite(numbers) | (numbers <= float(low)) | (numbers >= float(high)))
        mapped.flag(outside & ~already, target, reason)


def _order(mapped: Mapped) -> None:
    for earlier, later, reason in schema.ORDERED_PAIRS.get(mapped.table, ()):
        if earlier not in mapped.frame or later not in mapped.frame:
            continue
        first = pd.to_datetime(mapped.frame[earlier]).dt.normalize()
        second = pd.to_datetime(mapped.frame[later]).dt.normalize()
        wrong = (second < first).fillna(False).to_numpy(dtype=bool)
        label = mapped.labels.get(earlier, earlier)
        shown = mapped.texts.get(earlier)
        when = (
            shown.astype(object) if shown is not None else pd.to_datetime(mapped.frame[earlier]).dt.strftime("%Y-%m-%d")
        )
        mapped.flag(wrong, later, reason + f" ({label} " + when.astype(str) + ")")


def _won_matches_stage(mapped: Mapped) -> None:
    if mapped.table != "opportunities" or mapped.rule("is_won") is None or "stage" not in mapped.frame:
        return
    won = mapped.frame["is_won"].fillna(False).astype(bool).to_numpy()
    stage_won = (mapped.frame["stage"] == "won").fillna(False).to_numpy(dtype=bool)
    stage_known = mapped.frame["stage"].notna().to_numpy()
    mapped.flag(won & ~stage_won & stage_known, "is_won", "won, but the stage is not won")
    mapped.flag(~won & stage_won, "is_won", "not won, but the stage is won")


def check_duplicates(batch: list[Mapped]) -> None:
    """Within one import, a table's key may appear once: later repeats are quarantined.

    Rows already unfit for another reason do not count as first occurrences.
    """
    if not batch:
        return
    keys = list(schema.key_columns(batch[0].table))
    parts = []
    for i, mapped in enumerate(batch):
        if not all(k in mapped.frame for k in keys):
            continue
        part = mapped.frame[keys].copy()
        part["_file"] = i
        part["_pos"] = np.arange(len(part))
        part["_row"] = mapped.raw.rows
        parts.append(part.loc[~mapped.bad_mask() & part[keys].notna().all(axis=1).to_numpy()])
    if not parts:
        return
    frame = pd.concat(parts, ignore_index=True)
    if frame.empty:
        return
    key = frame[keys].astype(str).agg(" / ".join, axis=1) if len(keys) > 1 else frame[keys[0]].astype(str)
    repeated = key.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    first_index = pd.Series(np.arange(len(frame))).groupby(key.to_numpy()).transform("first").to_numpy()
    first_file = frame["_file"].to_numpy()[first_index]
    first_row = frame["_row"].to_numpy()[first_index]
    for i, mapped in enumerate(batch):
        mine = repeated & (frame["_file"].to_numpy() == i)
        if not mine.any():
            continue
        positions = frame["_pos"].to_numpy()[mine]
        where = [
            f"row {r}" if f == i else f"row {r} of {batch[f].file}"
            for f, r in zip(first_file[mine], first_row[mine], strict=True)
        ]
        mask = np.zeros(len(mapped.frame), dtype=bool)
        mask[positions] = True
        reasons = pd.Series("", index=mapped.frame.index, dtype=object)
        reasons.iloc[positions] = [f"duplicate {'/'.join(keys)}; first seen on {w}" for w in where]
        mapped.flag(mask, keys[0], reasons, value=_key_text(mapped, keys))


def _key_text(mapped: Mapped, keys: list[str]) -> pd.Series:
    if len(keys) == 1:
        return mapped.texts.get(keys[0], mapped.frame[keys[0]].astype(object))
    return mapped.frame[keys].astype(str).agg(" / ".join, axis=1)
