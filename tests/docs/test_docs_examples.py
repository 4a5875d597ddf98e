"""The command examples of the documentation work as written.

An example is a line of a fenced ```sh block in README.md or docs/*.md that starts with
`python -m scorecard` (or `scorecard `); a line ending in a backslash continues on the next.

1. Every example must parse with the real command line (`build_parser()`): a renamed
   command or option, or a missing argument, fails here. (`--help` lines are run instead.)
2. The read-only examples are run for real, one process each, from the repository root,
   against a small demo database built once in a temporary folder (`$SCORECARD_DB` points
   at it; an example's own `--db` value is replaced by it). Each must exit 0, or the status
   its trailing comment gives as `# exit N` (`... --filter region=Eurpoe   # exit 1: ...`),
   and print something (`note list` on a fresh demo excepted). A line that appears on
   several pages runs once. At least MIN_RUN distinct examples must have run.

Which examples run (the rule, in this order):

- a line with shell syntax (`|`, `>`, `<`, `&&`, `;`, `&`) is parsed, not run;
- a line with a placeholder (an upper-case word such as FILE or METRIC, `...`) is parsed,
  not run;
- a line asking for `--help`/`-h` is run (it prints and writes nothing);
- otherwise only the commands in READ_ONLY run: they read the catalog and the database and
  write nothing. Everything else (demo, import, export, map, send, bench, record, revert,
  diff, note add/delete, access) writes files or the database, sends mail, needs files,
  an access file or a server, or takes minutes, and is only parsed;
- options in NOT_RUN_OPTIONS (`--out`, `--write`: a file; `--as`, `--access`: an access
  file) make a read-only command parsed, not run;
- a fixed `--week` or `--period` that the demo does not cover today (the demo spans the two
  years before this week) is parsed, not run, unless the line expects a non-zero exit.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))

MIN_RUN = 8
TIMEOUT_S = 180
DEMO_LEADS = 2000

READ_ONLY = frozenset({"validate", "report", "doctor", "ranking", "sql", "schema", "info", "test", "history"})
READ_ONLY_ACTIONS = frozenset({("note", "list")})
NOT_RUN_OPTIONS = {
    "--out": "writes a file",
    "--write": "writes a file",
    "--as": "needs an access file",
    "--access": "needs an access file",
}
SHELL_CHARACTERS = frozenset("();<>|&")  # a word made of these is a pipe, redirection or list
PERIOD_OPTIONS = ("--week", "--period")
DEMO_SPAN_DAYS = 730  # the demo covers "the last two-plus years, ending at the current week"

FENCE = re.compile(r"^\s*```+\s*([\w+-]*)")
EXPECTED_EXIT = re.compile(r"(?:^|\s)#\s*exit\s+(\d+)\b")
PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Example:
    source: str  # "docs/cli.md:123"
    line: str
    argv: tuple[str, ...]  # after `python -m scorecard`
    shell: bool  # has shell syntax
    expected_exit: int

    def __str__(self) -> str:
        return f"{self.source}: {self.line}"


def _tokens(command: str) -> tuple[list[str], bool]:
    """The words of a shell line without its comment, and whether it has shell syntax."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words = list(lexer)
    operators = [i for i, word in enumerate(words) if set(word) <= SHELL_CHARACTERS]
    return (words[: operators[0]] if operators else words), bool(operators)


def _example(source: str, line: str) -> Example | None:
    text = line.strip()
    if text.startswith("$ "):
        text = text[2:].lstrip()
    if not (text.startswith("python -m scorecard") or text.startswith("scorecard ")):
        return None
    words, shell = _tokens(text)
    if words[:3] == ["python", "-m", "scorecard"]:
        argv = words[3:]
    elif words[:1] == ["scorecard"]:
        argv = words[1:]
    else:
        return None
    found = EXPECTED_EXIT.search(text)
    return Example(source, text, tuple(argv), shell, int(found.group(1)) if found else 0)


def extract(path: Path) -> list[Example]:
    """Every example of one Markdown file's ```sh blocks."""
    examples: list[Example] = []
    fence: str | None = None
    pending: tuple[int, str] | None = None  # a line continued with a backslash
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        opened = FENCE.match(raw)
        if opened and fence is None:
            fence = opened.group(1) or "text"
            continue
        if opened and fence is not None:
            fence = None
            continue
        if fence != "sh":
            continue
        start, text = pending if pending else (number, "")
        text += raw.rstrip()
        if text.endswith("\\"):
            pending = (start, text[:-1] + " ")
            continue
        pending = None
        example = _example(f"{path.relative_to(ROOT)}:{start}", text)
        if example is not None:
            examples.append(example)
    return examples


EXAMPLES = [example for path in SOURCES for example in extract(path)]


def _option(argv: tuple[str, ...], name: str) -> str | None:
    for i, word in enumerate(argv):
        if word == name and i + 1 < len(argv):
            return argv[i + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    return None


def _span(text: str) -> tuple[dt.date, dt.date] | None:
    """First and last day of 2026-W47, 2026-Q3, 2026-11, 2026-11-30 or 2026; None if not a period."""
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", text):
        first = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
        return first, first + dt.timedelta(days=6)
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
        year, quarter = int(m[1]), int(m[2])
        first = dt.date(year, 3 * quarter - 2, 1)
        following = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
        return first, following - dt.timedelta(days=1)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        first = dt.date(int(m[1]), int(m[2]), 1)
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first, following - dt.timedelta(days=1)
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        return day, day
    if m := re.fullmatch(r"(\d{4})", text):
        return dt.date(int(m[1]), 1, 1), dt.date(int(m[1]), 12, 31)
    return None


def _outside_demo(argv: tuple[str, ...], today: dt.date) -> str | None:
    this_week = today - dt.timedelta(days=today.weekday())
    for name in PERIOD_OPTIONS:
        value = _option(argv, name)
        span = _span(value) if value else None
        if span and (span[0] < today - dt.timedelta(days=DEMO_SPAN_DAYS) or span[1] >= this_week):
            return f"{name} {value} is outside the demo's complete weeks today"
    return None


def not_run_reason(example: Example, today: dt.date | None = None) -> str | None:
    """Why an example is only parsed, or None when it runs."""
    argv = example.argv
    if example.shell:
        return "shell syntax"
    if any(PLACEHOLDER.match(word) or "..." in word or "…" in word for word in argv):
        return "placeholder"
    if "--help" in argv or "-h" in argv:
        return None
    if not argv:
        return "no command"
    if argv[0] not in READ_ONLY and tuple(argv[:2]) not in READ_ONLY_ACTIONS:
        return f"`{' '.join(argv[:2]) if argv[0] in ('note', 'access') else argv[0]}` is not read-only"
    for name, why in NOT_RUN_OPTIONS.items():
        if _option(argv, name) is not None or name in argv:
            return f"{name}: {why}"
    if example.expected_exit == 0:
        return _outside_demo(argv, today or dt.date.today())
    return None


def test_the_documentation_has_examples_in_readme_and_docs() -> None:
    sources = {example.source.split(":")[0] for example in EXAMPLES}
    assert "README.md" in sources
    assert any(source.startswith("docs/") for source in sources)


def test_the_rules_tell_examples_apart() -> None:
    """The allow/deny rule itself, on made-up lines."""
    today = dt.date(2026, 12, 8)

    def reason(line: str) -> str | None:
        example = _example("x.md:1", line)
        assert example is not None
        return not_run_reason(example, today)

    assert reason("python -m scorecard report --window 4w --filter region=EMEA") is None
    assert reason("python -m scorecard note list --metric win_rate") is None
    assert reason("python -m scorecard map --help") is None
    assert reason("python -m scorecard ranking | head") == "shell syntax"
    assert reason("python -m scorecard sql METRIC") == "placeholder"
    assert reason("python -m scorecard send --to a@example.com") == "`send` is not read-only"
    assert reason("python -m scorecard note add hello") == "`note add` is not read-only"
    assert reason("python -m scorecard schema --out metrics.schema.json") == "--out: writes a file"
    assert reason("python -m scorecard report --as lena@example.com") == "--as: needs an access file"
    assert reason("python -m scorecard report --week 2026-W47") is None
    assert reason("python -m scorecard report --week 2026-W50") is not None  # not complete yet
    assert reason("python -m scorecard ranking --period 2023-Q1") is not None  # before the demo
    assert reason("python -m scorecard report --week 9999-W52   # exit 1: outside") is None
    assert _example("x.md:1", "python -m scorecard report   # exit 1: no").expected_exit == 1  # type: ignore[union-attr]
    assert _example("x.md:1", "make run") is None


def test_every_documented_command_parses(capsys: pytest.CaptureFixture[str]) -> None:
    from scorecard.cli.main import build_parser

    failures = []
    checked = 0
    for example in EXAMPLES:
        if "--help" in example.argv or "-h" in example.argv:
            continue  # run by the next test
        try:
            build_parser().parse_args(list(example.argv))
        except SystemExit as exc:
            failures.append(f"{example}\n    exit {exc.code}: {capsys.readouterr().err.strip()}")
        checked += 1
    assert not failures, "documented commands the command line refuses:\n" + "\n".join(failures)
    assert checked >= MIN_RUN


@pytest.mark.slow
def test_read_only_examples_run_against_a_demo_database(tmp_path: Path) -> None:
    distinct: dict[tuple[tuple[str, ...], int], list[Example]] = {}  # the same line on several pages runs once
    for example in EXAMPLES:
        if not_run_reason(example) is None:
            distinct.setdefault((example.argv, example.expected_exit), []).append(example)
    assert len(distinct) >= MIN_RUN, f"only {len(distinct)} runnable examples; the docs need at least {MIN_RUN}"

    env = {k: v for k, v in os.environ.items() if k not in ("SCORECARD_METRICS", "SCORECARD_ACCESS")}
    db = tmp_path / "demo.duckdb"
    env["SCORECARD_DB"] = str(db)
    built = subprocess.run(
        [sys.executable, "-m", "scorecard", "demo", "--db", str(db), "--leads", str(DEMO_LEADS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert built.returncode == 0, built.stderr[-2000:]

    failures = []
    ran = 0
    for (words, expected), same in distinct.items():
        example = same[0]
        where = ", ".join(other.source for other in same)
        argv = list(words)
        for i, word in enumerate(argv):  # an example's own database becomes the demo
            if word == "--db" and i + 1 < len(argv):
                argv[i + 1] = str(db)
            elif word.startswith("--db="):
                argv[i] = f"--db={db}"
        try:
            done = subprocess.run(
                [sys.executable, "-m", "scorecard", *argv],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            failures.append(f"{where}: {example.line}\n    timed out after {TIMEOUT_S} s")
            continue
        ran += 1
        if done.returncode != expected:
            failures.append(
                f"{where}: {example.line}\n    exit {done.returncode}, expected {expected}:"
                f" {(done.stderr or done.stdout).strip()[-1500:]}"
            )
        elif expected == 0 and not done.stdout.strip() and argv[:2] != ["note", "list"]:
            failures.append(f"{where}: {example.line}\n    exit 0 but printed nothing")  # (a fresh demo has no notes)
    assert not failures, f"{len(failures)} of {ran} documented commands failed:\n" + "\n".join(failures)
    assert ran >= MIN_RUN, f"only {ran} documented commands ran; at least {MIN_RUN} must"
