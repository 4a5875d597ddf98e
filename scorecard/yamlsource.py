"""Load YAML while remembering the line of every key and item, for file:line messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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


def load_text(text: str, file: str) -> SourceDoc:
    """Parse YAML text; syntax errors raise YamlError with the line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlError(Issue(file, line, f"YAML syntax: {exc.problem or exc}")) from None
    except yaml.YAMLError as exc:
        raise YamlError(Issue(file, 1, f"YAML syntax: {exc}")) from None
    lines: dict[Path_, int] = {}
    duplicates: list[tuple[Path_, int]] = []
    if node is None:
        return SourceDoc(file, None, {(): 1})
    constructor = yaml.SafeLoader("")

    def build(n: yaml.Node, path: Path_) -> Any:
        lines.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in n.value:
                key = constructor.construct_object(key_node, deep=True)
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
        return constructor.construct_object(n, deep=True)

    data = build(node, ())
    lines[()] = 1
    return SourceDoc(file, data, lines, tuple(duplicates))


def load_file(path: str | Path) -> SourceDoc:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise YamlError(Issue(str(p), 1, "file not found")) from None
    except UnicodeDecodeError as exc:
        raise YamlError(Issue(str(p), 1, f"not UTF-8 text: {exc}")) from None
    return load_text(text, str(p))
