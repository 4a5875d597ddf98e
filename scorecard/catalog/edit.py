"""Edit metrics.yaml text in place: the editor's form fields and one metric's block.

Round-trip with ruamel.yaml, so comments, key order, flow mappings (`target: {green: 0.5,
amber: 0.35}`) and folded descriptions everywhere else come back byte for byte; only the
values the form changes are rewritten. Text in, text out: the caller validates and saves.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import FoldedScalarString

DESCRIPTION_WIDTH: Final = 92
"""Folded descriptions are wrapped at this many characters (the catalog's own style)."""
_KEY_ORDER: Final = ("name", "label", "description", "owner", "owners", "contributors", "section", "type")
"""Where a field the metric did not have goes: after the last of these it has (else at the end)."""


class EditError(ValueError):
    """The text cannot be edited this way (does not parse, no such metric)."""


@dataclass(frozen=True)
class MetricFields:
    """The fields the editor's form shows for one metric."""

    label: str
    description: str
    owners: tuple[str, ...]
    min_sample: int
    green: float | None
    amber: float | None
    window: str = "week"
    example: bool = False
    """The target is still an example shipped with the catalog; unticking it (or changing the
    thresholds) confirms it as the company's own."""


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def _load(text: str) -> Any:
    try:
        return _yaml().load(text)
    except YAMLError as exc:
        raise EditError(f"the YAML does not parse: {exc}") from None


def _dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def _metric(data: Any, name: str) -> CommentedMap:
    items = data.get("metrics") if isinstance(data, dict) else None
    for item in items or []:
        if isinstance(item, CommentedMap) and item.get("name") == name:
            return item
    raise EditError(f"no metric named {name!r} in the text")


def metric_fields(text: str, name: str) -> MetricFields:
    """The form's fields of one metric as the text has them now."""
    item = _metric(_load(text), name)
    owners = item.get("owner") or item.get("owners") or []  # `owner:` (one team or both); older `owners:`
    if isinstance(owners, str):
        owners = ["sales", "marketing"] if owners == "both" else [owners]
    target = item.get("target") if isinstance(item.get("target"), dict) else {}
    return MetricFields(
        label=str(item.get("label") or ""),
        description=" ".join(str(item.get("description") or "").split()),
        owners=tuple(str(o) for o in owners),
        min_sample=int(item.get("min_sample") or 0),
        green=_float(target.get("green")),
        amber=_float(target.get("amber")),
        window=str(item.get("window") or "week"),
        example=bool(target.get("example", False)),
    )


def set_metric_fields(text: str, name: str, fields: MetricFields) -> str:
    """The text with one metric's form fields set; everything else (comments, order, style) untouched."""
    data = _load(text)
    item = _metric(data, name)
    before = metric_fields(text, name)
    if fields.label != before.label:
        _put(item, "label", fields.label)
    if fields.description != before.description:
        _put(item, "description", _folded(fields.description))
    if tuple(fields.owners) != before.owners and "owners" not in item:
        # The accountable team: one of them, or `both` for a shared outcome (contributors stay as written).
        _put(item, "owner", "both" if len(set(fields.owners)) > 1 else fields.owners[0])
    elif tuple(fields.owners) != before.owners:
        owners = CommentedSeq(fields.owners)
        owners.fa.set_flow_style()
        _put(item, "owners", owners)
    if fields.window != before.window:
        if fields.window == "week" and "window" in item:
            del item["window"]  # the default
        else:
            _put(item, "window", fields.window)
    if fields.min_sample != before.min_sample:
        _put(item, "min_sample", fields.min_sample)
    if (fields.green, fields.amber) != (before.green, before.amber):
        if fields.green is None or fields.amber is None:
            item.pop("target", None)
        elif isinstance(item.get("target"), dict):
            item["target"]["green"] = _number(fields.green)
            item["target"]["amber"] = _number(fields.amber)
        else:
            target = CommentedMap(green=_number(fields.green), amber=_number(fields.amber))
            target.fa.set_flow_style()
            _put(item, "target", target)
        if isinstance(item.get("target"), dict):
            item["target"].pop("example", None)  # thresholds a person set are the company's own
    elif before.example and not fields.example and isinstance(item.get("target"), dict):
        item["target"].pop("example", None)
    return _dump(data)


def example_targets(text: str) -> list[str]:
    """The metrics whose target is still marked `example: true`, in file order."""
    items = _load(text).get("metrics") or []
    return [
        str(i.get("name"))
        for i in items
        if isinstance(i, dict) and isinstance(i.get("target"), dict) and i["target"].get("example")
    ]


def confirm_targets(text: str, names: Sequence[str]) -> str:
    """The text with the example mark taken off the named metrics' targets (their thresholds
    kept as the company's own); everything else untouched. Raises EditError for a metric that
    has no example target."""
    data = _load(text)
    for name in names:
        target = _metric(data, name).get("target")
        if not isinstance(target, dict) or not target.get("example"):
            raise EditError(f"metric {name!r} has no example target to confirm")
        target.pop("example", None)
    return _dump(data)


def _put(item: CommentedMap, key: str, value: Any) -> None:
    if key in item:
        item[key] = value
        return
    position = len(item)
    order = [*_KEY_ORDER, "format", "direction", "window", "min_sample", "target"]
    if key in order:
        earlier = [k for k in order[: order.index(key)] if k in item]
        if earlier:
            position = list(item).index(earlier[-1]) + 1
    item.insert(position, key, value)
    previous = list(item)[position - 1] if position > 0 else None
    if previous is not None and position == len(item) - 1 and previous in item.ca.items:
        # the blank line and comments after an item hang on its last key: keep them after the new one
        item.ca.items[key] = item.ca.items.pop(previous)


def _folded(text: str) -> FoldedScalarString:
    wrapped = textwrap.wrap(" ".join(text.split()), DESCRIPTION_WIDTH)
    value = FoldedScalarString(" ".join(wrapped) + "\n")
    positions, at = [], 0
    for line in wrapped[:-1]:
        at += len(line)
        positions.append(at)
        at += 1
    value.fold_pos = positions  # type: ignore[attr-defined]
    return value


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() and abs(value) >= 1 else value


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


# --- one metric's block -----------------------------------------------------------------------


def metric_names(text: str) -> list[str]:
    """The metric names in the text, in file order (empty if it does not parse)."""
    try:
        data = _load(text)
    except EditError:
        return []
    items = data.get("metrics") if isinstance(data, dict) else None
    return [str(i.get("name")) for i in items or [] if isinstance(i, dict) and i.get("name")]


def metric_span(text: str, name: str) -> tuple[int, int]:
    """0-based [first, last) lines of one metric's item, without the comments and blank lines after it."""
    data = _load(text)
    item = _metric(data, name)
    items: CommentedSeq = data["metrics"]
    index = next(i for i, x in enumerate(items) if x is item)
    first = items.lc.item(index)[0]
    lines = text.splitlines()
    last = items.lc.item(index + 1)[0] if index + 1 < len(items) else len(lines)
    while last > first + 1 and (not lines[last - 1].strip() or lines[last - 1].lstrip().startswith("#")):
        last -= 1
    return first, last


def metric_block(text: str, name: str) -> str:
    """One metric's YAML as it stands in the file (with its `- ` and indentation)."""
    first, last = metric_span(text, name)
    return "\n".join(text.splitlines()[first:last]) + "\n"


def replace_metric_block(text: str, name: str, block: str) -> str:
    """The text with one metric's item replaced by `block` (as metric_block returned it, edited)."""
    first, last = metric_span(text, name)
    lines = text.splitlines(keepends=True)
    new = block if block.endswith("\n") else block + "\n"
    return "".join([*lines[:first], new, *lines[last:]])
