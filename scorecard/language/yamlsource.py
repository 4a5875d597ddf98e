"""Load YAML while remembering the line of every key and item, for file:line messages."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Issue:
    """One problem in a source file: where, which metric, what, and how to fix it."""

    file: str
    line: int
    message: str
    metric: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: "
        who = f"metric {self.metric}: " if self.metric else ""
        tag = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where}{tag}{who}{self.message}"


@dataclass(frozen=True)
class SourceDoc:
    """Parsed YAML data plus the line of each path (1-based)."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    duplicate_keys: tuple[tuple[Path_, int], ...] = ()

    def line(self, path: Path_) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        current = tuple(path)
        while current:
            if current in self.lines:
                return self.lines[current]
            current = current[:-1]
        return self.lines.get((), 1)


class IssuesError(Exception):
    """A file with problems; `issues` holds every one (file, line, message), str() one per line."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class YamlError(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(str(issue))
        self.issue = issue


# Limits that keep a hostile file cheap: every check runs while the node graph is composed
# (linear in the text), before anything is expanded or built.
MAX_BYTES = 512 * 1024
"""Largest YAML file read (the shipped metrics.yaml is about 30 KiB; a catalog ten times its size still loads)."""
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings."""
MAX_ALIASES = 200
"""Most `*alias` references in one file."""
MAX_NODES = 200_000
"""Most values once every alias is expanded (an alias bomb expands exponentially)."""

_STANDARD = "tag:yaml.org,2002:"
ALLOWED_TAGS = frozenset(_STANDARD + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map"))
"""Plain data only: no `!!python/...`, `!!binary`, `!!set`, custom `!tags` or merge keys."""


class _LimitError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _SafeComposer(yaml.SafeLoader):
    """PyYAML's safe loader, with the limits checked as each node is composed."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.aliases = 0
        self.open_anchors: set[str] = set()

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            line = event.start_mark.line + 1
            if event.anchor in self.open_anchors:
                raise _LimitError(line, f"recursive alias *{event.anchor}: an anchor cannot contain itself")
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _LimitError(line, f"more than {MAX_ALIASES} aliases (*name); write the values out")
            node: yaml.Node = super().compose_node(parent, index)
            return node
        event = self.peek_event()
        line = event.start_mark.line + 1
        if self.depth >= MAX_DEPTH:
            raise _LimitError(line, f"nested more than {MAX_DEPTH} levels deep")
        anchor = event.anchor
        if anchor is not None:
            self.open_anchors.add(anchor)
        self.depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
            if anchor is not None:
                self.open_anchors.discard(anchor)
        return node


def _check_depth(text: str) -> None:
    """Refuse deep nesting with libyaml's C parser first: PyYAML's scanner looks ahead
    over every open bracket, which takes seconds on thousands of them."""
    if not yaml.__with_libyaml__:
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark else 1
                    raise _LimitError(line, f"nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # the full parse below reports it in PyYAML's words


def _compose(text: str) -> yaml.Node | None:
    _check_depth(text)
    loader = _SafeComposer(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


def _expanded_size(root: yaml.Node) -> tuple[int, yaml.Node]:
    """Values in the document once aliases are expanded, stopping past MAX_NODES; and the node where it stopped.

    Shared (aliased) nodes are counted once per use but measured once, so this is linear in the file.
    """
    sizes: dict[int, int] = {}
    worst: list[yaml.Node] = [root]

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item)
                if total > MAX_NODES:
                    break
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                total += size(key) + size(value)
                if total > MAX_NODES:
                    break
        if total > MAX_NODES and len(worst) == 1:
            worst.append(node)
        sizes[id(node)] = total
        return total

    return size(root), worst[-1]


def load_text(text: str, file: str) -> SourceDoc:
    """Parse YAML text safely; every problem raises YamlError with its line.

    Refused before anything is built: files over MAX_BYTES, nesting past MAX_DEPTH, more
    than MAX_ALIASES aliases, recursive aliases, documents that expand past MAX_NODES
    values (alias bombs), tags other than plain data, and empty files. Refused while
    building: merge keys (`<<`), keys that are not plain values, impossible dates, NaN
    and infinity.
    """
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        raise YamlError(Issue(file, 1, f"the file is {size:,} bytes; the limit is {MAX_BYTES:,}"))
    try:
        node = _compose(text)
    except _LimitError as exc:
        raise YamlError(Issue(file, exc.line, exc.message)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlError(Issue(file, line, f"YAML syntax: {exc.problem or exc}")) from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise YamlError(Issue(file, 1, f"YAML syntax: {exc}")) from None
    if node is None:
        raise YamlError(Issue(file, 1, "the file is empty"))
    total, where = _expanded_size(node)
    if total > MAX_NODES:
        raise YamlError(
            Issue(file, where.start_mark.line + 1, f"aliases expand to more than {MAX_NODES:,} values (an alias bomb?)")
        )
    lines: dict[Path_, int] = {}
    duplicates: list[tuple[Path_, int]] = []
    constructor = SafeConstructor()

    def fail(n: yaml.Node, message: str) -> YamlError:
        return YamlError(Issue(file, n.start_mark.line + 1, message))

    def scalar(n: yaml.Node) -> Any:
        if n.tag not in ALLOWED_TAGS:
            shown = n.tag.removeprefix(_STANDARD) if n.tag.startswith(_STANDARD) else n.tag
            if n.tag == _STANDARD + "merge":
                raise fail(n, "merge keys (<<) are not supported; write the keys out in full")
            raise fail(n, f"the tag {shown!r} is not allowed; only plain text, numbers, dates, lists and mappings")
        if not isinstance(n, yaml.ScalarNode):
            raise fail(n, "expected a plain value")
        try:
            value = constructor.construct_object(n, deep=True)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:
            raise fail(n, f"cannot read {str(n.value)[:40]!r}: {exc}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise fail(n, f"{n.value!r} is not a number; NaN and infinity are not allowed")
        return value

    def build(n: yaml.Node, path: Path_) -> Any:
        lines.setdefault(path, n.start_mark.line + 1)
        if n.tag not in ALLOWED_TAGS:
            scalar(n)  # raises: a tag that is not plain data
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in n.value:
                if key_node.tag == _STANDARD + "merge":
                    raise fail(key_node, "merge keys (<<) are not supported; write the keys out in full")
                if not isinstance(key_node, yaml.ScalarNode):
                    raise fail(key_node, "a key must be a plain value, not a list or a mapping")
                key = scalar(key_node)
                if not isinstance(key, str | int | float | bool):
                    key = str(key)
                key_path = (*path, str(key))
                if key in out:
                    duplicates.append((key_path, key_node.start_mark.line + 1))
                lines[key_path] = key_node.start_mark.line + 1
                out[key] = build(value_node, key_path)
                lines[key_path] = key_node.start_mark.line + 1
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(item, (*path, i)) for i, item in enumerate(n.value)]
        return scalar(n)

    data = build(node, ())
    lines[()] = 1
    return SourceDoc(file, data, lines, tuple(duplicates))


def load_file(path: str | Path) -> SourceDoc:
    """Read and parse a YAML file (see load_text for what is refused)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise YamlError(Issue(str(p), 1, f"the file is {size:,} bytes; the limit is {MAX_BYTES:,}"))
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise YamlError(Issue(str(p), 1, "file not found")) from None
    except IsADirectoryError:
        raise YamlError(Issue(str(p), 1, "is a folder, not a file")) from None
    except OSError as exc:
        raise YamlError(Issue(str(p), 1, f"cannot read: {exc.strerror or exc}")) from None
    except UnicodeDecodeError as exc:
        raise YamlError(Issue(str(p), 1, f"not UTF-8 text: {exc}")) from None
    return load_text(text, str(p))
