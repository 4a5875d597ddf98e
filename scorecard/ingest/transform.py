"""Apply a mapping source to a file: find each target column's text and type it.

The result keeps, for every file row, the typed target values plus a list of
problems (row position, column as the user knows it, original text, reason) so
the caller can quarantine rows without losing a cell. References stay as text here
(an id, a name or an email) and are resolved against the database later.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scorecard.ingest import parse
from scorecard.ingest.readers import RawTable, headerless_hint
from scorecard.ingest.rules import ColumnRule, Mapping, SourceRule
from scorecard.language.evaluate import evaluate_frame

TEXT = parse.TEXT


class IngestError(Exception):
    """The import cannot go ahead (a file or the mapping is wrong); nothing was written."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class Mapped:
    """One file mapped onto its table: typed target columns and the problems found."""

    raw: RawTable
    mapping: Mapping
    source: SourceRule
    frame: pd.DataFrame
    labels: dict[str, str]
    """target column -> the column name shown in the quarantine (a header, or the target)."""
    texts: dict[str, pd.Series]
    """target column -> the original text, for quarantine lines."""
    issues: list[pd.DataFrame] = field(default_factory=list)

    @property
    def table(self) -> str:
        return self.source.table

    @property
    def file(self) -> str:
        return self.raw.file

    @property
    def updates(self) -> bool:
        """The source only fills columns of rows that exist (`mode: update`)."""
        return self.source.mode == "update"

    def rule(self, target: str) -> ColumnRule | None:
        return next((r for r in self.source.columns if r.target == target), None)

    def flag(self, mask: np.ndarray, target: str, reason: str | pd.Series, value: pd.Series | None = None) -> None:
        """Record a problem for every row where `mask` is set, on the column `target`."""
        if not mask.any():
            return
        positions = np.flatnonzero(mask)
        text = value if value is not None else self.texts.get(target)
        values = (
            text.iloc[positions].astype(object).where(text.iloc[positions].notna(), "").astype(str).to_numpy()
            if text is not None
            else np.full(len(positions), "")
        )
        reasons = (
            reason.iloc[positions].to_numpy() if isinstance(reason, pd.Series) else np.full(len(positions), reason)
        )
        self.issues.append(
            pd.DataFrame(
                {
                    "pos": positions,
                    "column": self.labels.get(target, target),
                    "value": values,
                    "reason": reasons,
                }
            )
        )

    def skipped_mask(self) -> np.ndarray:
        """Rows of an update source that name no row (a blank id): nothing to fill, not an error."""
        if not self.updates or "id" not in self.frame:
            return np.zeros(len(self.frame), dtype=bool)
        text = self.texts.get("id")
        blank = self.frame["id"].isna() if text is None else text.isna()
        return blank.to_numpy(dtype=bool)

    def bad_mask(self) -> np.ndarray:
        """Rows with at least one problem so far."""
        mask = np.zeros(len(self.frame), dtype=bool)
        for frame in self.issues:
            mask[frame["pos"].to_numpy()] = True
        return mask


def find_header(headers: tuple[str, ...], wanted: tuple[str, ...]) -> str | None:
    """The file header matching any wanted name, ignoring case, spaces and underscores."""
    by_fold = {parse.fold(h): h for h in reversed(headers)}
    return next((by_fold[parse.fold(w)] for w in wanted if parse.fold(w) in by_fold), None)


def missing_header_message(raw: RawTable, mapping: Mapping, rule: ColumnRule, source: SourceRule) -> str:
    wanted = " or ".join(repr(w) for w in rule.sources)
    nearest = difflib.get_close_matches(
        parse.fold(rule.sources[0]), [parse.fold(h) for h in raw.headers], n=1, cutoff=0.5
    )
    near = ""
    if nearest:
        header = next(h for h in raw.headers if parse.fold(h) == nearest[0])
        near = f"; nearest is {header!r}"
    return (
        f"{raw.file}: has no column {wanted} for {source.table}.{rule.target} "
        f"({mapping.file}:{rule.line}){near}. Its columns: {', '.join(raw.headers)}"
    )


def parse_kind(text: pd.Series, rule: ColumnRule) -> tuple[pd.Series, np.ndarray, str]:
    """Type text by the target column's kind; returns (values, unreadable mask, reason)."""
    s = rule.settings
    kind = rule.kind
    if kind == "text" or rule.references is not None:
        return parse.clean_text(text), np.zeros(len(text), dtype=bool), ""
    if kind == "datetime":
        p = parse.parse_datetime(text, s.date_format, s.timezone, s.day_first, s.date_zone)
        return p.values, p.bad, _date_reason(rule)
    if kind == "date":
        p = parse.parse_date(text, s.date_format, s.day_first)
        return p.values, p.bad, _date_reason(rule)
    if kind == "money":
        p = parse.parse_money(text, s.decimal)
        values = (p.values * rule.scale).round(2) if rule.scale != 1 else p.values
        return values, p.bad, "not an amount"
    if kind == "number":
        p = parse.parse_number(text, s.decimal, percent=True)
        return p.values * rule.scale, p.bad, "not a number"
    if kind == "integer":
        p = parse.parse_integer(text, s.decimal, rule.scale)
        return p.values, p.bad, "not a whole number or h:mm:ss duration"
    p = parse.parse_boolean(text)
    return p.values, p.bad, "not true/false (yes/no, 1/0)"


def _date_reason(rule: ColumnRule) -> str:
    fmt = rule.settings.date_format
    return "not a date" if fmt == "auto" else f"not a date in format {fmt}"


def _as_text(values: pd.Series) -> pd.Series:
    """Mapped or computed values (YAML scalars, dates, booleans) as text for the parsers."""
    if values.dtype == TEXT:
        return values
    return parse.map_distinct(values, parse.to_text, dtype=TEXT)


def map_file(raw: RawTable, mapping: Mapping, source: SourceRule, problems: list[str]) -> Mapped | None:
    """Apply `source` to `raw`; header problems go to `problems` (and return None)."""
    n = len(raw.frame)
    headers: dict[str, str | None] = {}
    hint = headerless_hint(raw.headers) if source.header else ""
    for rule in source.columns:
        if rule.sources:
            header = find_header(raw.headers, rule.sources)
            if header is None and not rule.optional:
                problems.append(missing_header_message(raw, mapping, rule, source) + hint)
                hint = ""  # said once per file
            headers[rule.target] = header
    if any(r.sources and headers.get(r.target) is None and not r.optional for r in source.columns):
        return None
    frame = pd.DataFrame(index=pd.RangeIndex(n))
    mapped = Mapped(raw, mapping, source, frame, {}, {})
    for rule in source.columns:
        if rule.expression is not None:
            continue
        if rule.has_constant:
            _constant(mapped, rule, problems)
            continue
        header = headers.get(rule.target)
        if header is None:  # an optional column the file lacks: its default, else blank
            if rule.has_default and rule.default is not None:
                _fill(mapped, rule, pd.Series([None] * n, dtype=TEXT))
            else:
                mapped.frame[rule.target] = _empty(rule, n)
            continue
        mapped.labels[rule.target] = header
        text = parse.clean_text(raw.frame[header])
        mapped.texts[rule.target] = text
        _fill(mapped, rule, text)
    for rule in source.columns:
        if rule.expression is not None:
            _compute(mapped, rule, problems)
    _derived(mapped)
    return mapped


def _fill(mapped: Mapped, rule: ColumnRule, text: pd.Series) -> None:
    """Type one column from its text: value map, then blank default, then the kind's parser."""
    if rule.values is not None:
        translated, unmapped = parse.apply_value_map(text, rule.value_map, keep_unmapped=rule.unmapped == "keep")
        if rule.unmapped == "default":
            translated = translated.where(~unmapped, parse.to_text(rule.default))
        elif rule.unmapped == "quarantine":
            where = f"{Path(mapped.mapping.file).name}:{rule.line}"
            mapped.flag(unmapped, rule.target, f"value has no entry under values: ({where})")
        text = _as_text(translated)
    if rule.has_default and rule.default is not None:
        text = text.fillna(_as_text(pd.Series([rule.default], dtype=object)).iloc[0])
    values, bad, reason = parse_kind(text, rule)
    mapped.flag(bad, rule.target, reason)
    mapped.frame[rule.target] = values


def _constant(mapped: Mapped, rule: ColumnRule, problems: list[str]) -> None:
    one = _as_text(pd.Series([rule.constant], dtype=object))
    values, bad, reason = parse_kind(one, rule)
    if bad.any():
        problems.append(f"{mapped.mapping.file}:{rule.line}: constant {rule.constant!r} for {rule.target}: {reason}")
    n = len(mapped.frame)
    value = values.iloc[0]
    mapped.frame[rule.target] = pd.Series([value] * n, dtype=values.dtype) if n else values.iloc[:0]


def _empty(rule: ColumnRule, n: int) -> pd.Series:
    values, _, _ = parse_kind(pd.Series([None] * n, dtype=TEXT), rule)
    return values


def _compute(mapped: Mapped, rule: ColumnRule, problems: list[str]) -> None:
    """A column computed from others with the metrics expression grammar."""
    from scorecard.language import expressions

    assert rule.expression is not None
    node = expressions.parse(rule.expression)
    targets = {parse.fold(c) for c in mapped.frame.columns}
    inputs = {h: parse.clean_text(mapped.raw.frame[h]) for h in mapped.raw.headers if parse.fold(h) not in targets}
    scope = pd.concat([pd.DataFrame(inputs, index=mapped.frame.index), mapped.frame], axis=1)
    try:
        result = evaluate_frame(node, scope)
    except expressions.ExpressionError as exc:
        problems.append(
            f"{mapped.mapping.file}:{rule.line}: expression for {rule.target} on {mapped.file}: {exc.message}"
        )
        mapped.frame[rule.target] = _empty(rule, len(mapped.frame))
        return
    except (TypeError, ValueError) as exc:
        problems.append(
            f"{mapped.mapping.file}:{rule.line}: expression for {rule.target} "
            f"cannot be computed on {mapped.file}: {exc}"
        )
        mapped.frame[rule.target] = _empty(rule, len(mapped.frame))
        return
    result = pd.Series(result, index=mapped.frame.index)
    direct = _typed(result, rule)
    if direct is not None:
        mapped.frame[rule.target] = direct
        return
    text = _as_text(result)
    mapped.texts[rule.target] = text
    values, bad, reason = parse_kind(text, rule)
    mapped.flag(bad, rule.target, f"computed value is {reason}")
    mapped.frame[rule.target] = values


def _typed(result: pd.Series, rule: ColumnRule) -> pd.Series | None:
    """Computed numbers, flags and times already have a type: keep it (no text round trip)."""
    kind = result.dtype.kind
    if rule.kind in ("money", "number", "integer") and kind in "iuf":
        values = pd.to_numeric(result).astype(float)
        if rule.kind == "money":
            return values.round(2)
        return values.round().astype("Int64") if rule.kind == "integer" else values
    if rule.kind == "boolean" and kind == "b":
        return result.astype("boolean")
    if rule.kind == "datetime" and kind == "M":
        return result.astype("datetime64[us]")
    return None


def _derived(mapped: Mapped) -> None:
    """Columns the model derives when a mapping leaves them out (is_won from stage)."""
    if mapped.table == "opportunities" and "is_won" not in mapped.frame and "stage" in mapped.frame:
        mapped.frame["is_won"] = (mapped.frame["stage"] == "won").fillna(False).astype(bool)
    if mapped.table == "reps" and "active" not in mapped.frame and not mapped.updates:
        mapped.frame["active"] = True
