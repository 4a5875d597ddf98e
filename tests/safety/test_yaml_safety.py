"""Hostile YAML: every loader (catalog, mapping, access file) refuses it with PATH:LINE, before building anything."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scorecard.access.policy import AccessError, parse_policy
from scorecard.catalog.load import check_text, load_catalog
from scorecard.ingest.mapping_file import MappingError, load_mapping, load_mapping_text
from scorecard.language import yamlsource

ROOT = Path(__file__).resolve().parents[2]


def _bomb(levels: int) -> str:
    """The billion-laughs shape: each level is a list of nine aliases of the level below (9**levels values)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# (name, text, expected line, words the message must contain)
HOSTILE: list[tuple[str, str, int, str]] = [
    ("alias bomb", _bomb(6), 6, "alias bomb"),
    ("alias bomb, deeper", _bomb(9), 6, "alias bomb"),
    ("too many aliases", "a: &a x\nb: [" + ", ".join(["*a"] * 300) + "]\n", 2, "more than 200 aliases"),
    ("merge key", "base: &b {x: 1}\nother:\n  <<: *b\n", 3, "merge keys"),
    ("recursive alias in a list", "a: &a [1, *a]\n", 1, "recursive alias"),
    ("recursive alias in a mapping", "a: &a\n  b:\n    c: *a\n", 3, "recursive alias"),
    ("python tag", "a: !!python/object/apply:os.system ['echo hi']\n", 1, "tag"),
    ("custom tag", "x: 1\na: !secret token\n", 2, "tag"),
    ("binary tag", "a: !!binary aGVsbG8=\n", 1, "tag"),
    ("set tag", "a: !!set {x, y}\n", 1, "tag"),
    ("impossible date", "x: 1\na: 2026-02-30\n", 2, "day is out of range"),
    ("deep nesting", "a: " + "[" * 5000 + "]" * 5000 + "\n", 1, "nested more than 64"),
    ("deep mapping nesting", "a: " + "{b: " * 200 + "1" + "}" * 200 + "\n", 1, "nested more than 64"),
    ("NaN", "x: 1\na: .nan\n", 2, "NaN and infinity"),
    ("infinity", "a: -.inf\n", 1, "NaN and infinity"),
    ("overflowing float", "a: 1.0e+999\n", 1, "NaN and infinity"),
    ("huge integer", "a: " + "9" * 5000 + "\n", 1, "cannot read"),
    ("empty file", "", 1, "empty"),
    ("only a comment", "# nothing here\n", 1, "empty"),
    ("mapping as a key", "? {a: 1}\n: x\n", 1, "key must be a plain value"),
    ("list as a key", "? [a, b]\n: x\n", 1, "key must be a plain value"),
    ("two documents", "a: 1\n---\nb: 2\n", 2, "YAML syntax"),
    ("undefined alias", "a: *nope\n", 1, "YAML syntax"),
    ("tab indentation", "a:\n\tb: 1\n", 2, "YAML syntax"),
    ("too large", "a: " + "x" * (yamlsource.MAX_BYTES + 10) + "\n", 1, "the limit is"),
]

Loader = Callable[[str, str], list[str]]


def _catalog_issues(text: str, file: str) -> list[str]:
    catalog, issues = check_text(text, file)
    assert catalog is None
    return [str(i) for i in issues]


def _mapping_issues(text: str, file: str) -> list[str]:
    with pytest.raises(MappingError) as caught:
        load_mapping_text(text, file)
    return [str(i) for i in caught.value.issues]


def _access_issues(text: str, file: str) -> list[str]:
    with pytest.raises(AccessError) as caught:
        parse_policy(text, file)
    return [str(i) for i in caught.value.issues]


LOADERS: dict[str, Loader] = {"catalog": _catalog_issues, "mapping": _mapping_issues, "access": _access_issues}


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(("case", "text", "line", "words"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_yaml_is_refused_with_its_line_quickly(
    loader: str, case: str, text: str, line: int, words: str
) -> None:
    started = time.perf_counter()
    issues = LOADERS[loader](text, "hostile.yaml")
    elapsed = time.perf_counter() - started
    assert issues, case
    assert issues[0].startswith(f"hostile.yaml:{line}: "), issues
    assert words in issues[0], issues
    # Typically a few milliseconds (RELIABILITY.md); the bound only tells "refused" from "expanded or hung"
    # (an expanded bomb runs for minutes), with room for a loaded CI machine.
    assert elapsed < 10.0, f"{case}: {elapsed:.2f} s"


def test_the_bomb_is_refused_before_it_is_expanded() -> None:
    """10 levels would be 3.5 billion values; refused in milliseconds, at the first level past the limit."""
    started = time.perf_counter()
    with pytest.raises(yamlsource.YamlError) as caught:
        yamlsource.load_text(_bomb(10), "b.yaml")
    assert time.perf_counter() - started < 10.0  # expanding 3.5 billion values would take minutes, or all memory
    assert "alias bomb" in str(caught.value)


def test_limits_leave_room_for_real_files() -> None:
    """Anchors used a few times, and a catalog many times the shipped one, still load."""
    doc = yamlsource.load_text("d: &d {timezone: UTC}\na: *d\nb: *d\n", "ok.yaml")
    assert doc.data == {"d": {"timezone": "UTC"}, "a": {"timezone": "UTC"}, "b": {"timezone": "UTC"}}
    shipped = (ROOT / "metrics.yaml").read_text()
    assert len(shipped.encode()) * 10 < yamlsource.MAX_BYTES
    assert load_catalog(ROOT / "metrics.yaml").metrics


def test_a_string_nan_target_is_refused() -> None:
    text = (ROOT / "metrics.yaml").read_text().replace("green: 0.04", 'green: "nan"', 1)  # lead-to-close's target
    assert 'green: "nan"' in text
    _catalog, issues = check_text(text, "m.yaml")
    assert any("finite number" in str(i) for i in issues), [str(i) for i in issues]


def test_a_catalog_without_metrics_is_refused() -> None:
    catalog, issues = check_text("version: 1\nmetrics: []\n", "m.yaml")
    assert catalog is None
    assert [str(i) for i in issues] == ["m.yaml:2: the catalog defines no metrics; a scorecard needs at least one"]


@pytest.mark.parametrize(
    ("case", "text"), [("bomb", _bomb(7)), ("merge", "a: &a {x: 1}\nb:\n  <<: *a\n"), ("empty", "")]
)
def test_cli_validate_and_import_exit_1_with_path_and_line(tmp_path: Path, case: str, text: str) -> None:
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    validate = subprocess.run(
        [sys.executable, "-m", "scorecard", "validate", str(path)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert validate.returncode == 1
    assert f"{path}:" in validate.stdout and "Traceback" not in validate.stderr
    imported = subprocess.run(
        [
            sys.executable,
            "-m",
            "scorecard",
            "import",
            "--db",
            str(tmp_path / "x.duckdb"),
            "--mapping",
            str(path),
            str(ROOT / "tests" / "fixtures" / "ingest" / "leads_web.csv"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert imported.returncode == 1, imported.stderr
    assert f"{path}:" in imported.stderr and "Traceback" not in imported.stderr
    assert not (tmp_path / "x.duckdb").exists()


def test_mapping_file_on_disk_goes_through_the_same_checks(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("version: 1\nsources: &s [*s]\n")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value).startswith(f"{path}:2: recursive alias")
