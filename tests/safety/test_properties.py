"""Property-based: any input to the expression parser, the YAML loaders and the import parsers either
works or raises the project's own error type (never IndexError, RecursionError, a hang...)."""

from __future__ import annotations

import contextlib
import functools
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorecard.catalog.load import check_text
from scorecard.ingest import parse
from scorecard.ingest.mapping_file import MappingError, load_mapping_text
from scorecard.ingest.readers import ReadError, SourceFile, read_table
from scorecard.language import expressions as ex
from scorecard.language import yamlsource
from scorecard.sql.graph import Graph
from scorecard.sql.resolve import CompileError, compile_expression

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EXPRESSION_WORDS = st.sampled_from(
    ["amount", "is_won", "created_at", "closed_at", "stage", "lead.source", "account.region", "activities.type",
     "and", "or", "not", "in", "between", "like", "is", "null", "true", "false", "(", ")", ",", "=", "!=", "<",
     "<=", ">", ">=", "+", "-", "*", "/", "'won'", "'a''b'", "0", "1.5", "1e400", "days_between", "coalesce",
     "if", "date", "'2026-02-30'", "count", "exists", "outer.x", "..", "'", "\"", "\\", "\x00", "∞", "9" * 400]
)  # fmt: skip
"""Tokens of the grammar and near misses, so generated text is mostly almost valid."""


@FAST
@given(st.lists(EXPRESSION_WORDS, max_size=25).map(" ".join) | st.text(max_size=200))
def test_the_expression_parser_parses_or_raises_expression_error(text: str) -> None:
    try:
        node = ex.parse(text)
    except ex.ExpressionError:
        return
    ex.names(node)


@FAST
@given(st.lists(EXPRESSION_WORDS, max_size=15).map(" ".join))
def test_compiling_an_expression_raises_only_compile_or_expression_errors(text: str) -> None:
    # SQLAlchemy's deprecation warnings are errors here: what it deprecates today it refuses tomorrow.
    with warnings.catch_warnings():
        warnings.simplefilter("error", sa.exc.SADeprecationWarning)
        with contextlib.suppress(CompileError, ex.ExpressionError):
            compile_expression(ex.parse(text), "opportunities", _graph())


@pytest.mark.parametrize(
    ("text", "message"),
    [("-stage", "cannot negate text (the '-' at column 1)"), ("not stage", "'not' needs a condition, not text")],
)
def test_negating_text_is_a_compile_error(text: str, message: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", sa.exc.SADeprecationWarning)
        with pytest.raises(CompileError, match=re.escape(message)):
            compile_expression(ex.parse(text), "opportunities", _graph())


@functools.cache
def _graph() -> Graph:
    from scorecard.catalog.load import load_catalog
    from scorecard.store.config import DEFAULT_METRICS

    return load_catalog(DEFAULT_METRICS).graph


def test_deep_parentheses_are_an_expression_error_not_a_recursion_error() -> None:
    with pytest.raises(ex.ExpressionError, match="nested more than 40 deep"):
        ex.parse("(" * 5000 + "1" + ")" * 5000)
    assert ex.parse("(" * 40 + "1" + ")" * 40) is not None


YAML_PIECES = st.sampled_from(
    ["a:", " b:", "  - ", "- ", "&x ", "*x", "<<: ", "!!python/object ", "!tag ", "[", "]", "{", "}", ",", "? ",
     ": ", "'q'", '"\\u0000"', ".nan", ".inf", "2026-02-30", "~", "|", ">", "\n", "\t", "#c", "---", "...", "%YAML 1.1",
     "0x1F", "1_000", "9" * 50, "metrics:", "sources:", "version: 1", "name: x"]
)  # fmt: skip


@FAST
@given(st.lists(YAML_PIECES, max_size=40).map("".join) | st.text(max_size=300))
def test_yaml_loads_or_raises_yaml_error(text: str) -> None:
    try:
        yamlsource.load_text(text, "f.yaml")
    except yamlsource.YamlError as exc:
        assert str(exc).startswith("f.yaml:")


@FAST
@given(st.lists(YAML_PIECES, max_size=40).map("".join))
def test_catalog_and_mapping_loaders_report_issues_and_never_raise_anything_else(text: str) -> None:
    catalog, issues = check_text(text, "m.yaml")
    assert catalog is not None or issues
    try:
        load_mapping_text(text, "map.yaml")
    except MappingError as exc:
        assert exc.issues and all(str(i).startswith("map.yaml:") for i in exc.issues)


CELLS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["1e16", "-0", "(300)", "1.234,50 €", "$1,234.50", "12/31/2026", "2026-02-30", "0001-01-01",
                     "9999-12-31 23:59", "45000", "inf", "NaN", "1:02:03", "yesterday", "", " ", "٣", "１２"]),
)  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CELLS, min_size=1, max_size=20))
def test_cell_parsers_flag_bad_text_instead_of_raising(cells: list[str]) -> None:
    series = pd.Series(cells, dtype=parse.TEXT)
    for parsed in (
        parse.parse_number(series),
        parse.parse_money(series),
        parse.parse_integer(series),
        parse.parse_boolean(series),
        parse.parse_datetime(series, timezone="Europe/Berlin"),
        parse.parse_date(series),
    ):
        assert len(parsed.values) == len(cells) and len(parsed.bad) == len(cells)
        if parsed.values.dtype.kind == "f":
            assert not np.isinf(parsed.values[~parsed.bad].dropna()).any()


@FAST
@given(st.binary(max_size=400) | st.lists(CELLS, max_size=30).map(lambda c: ",".join(c).encode()))
def test_any_bytes_read_as_a_table_or_raise_read_error(data: bytes) -> None:
    for name in ("f.csv", "f.xlsx"):
        with contextlib.suppress(ReadError):
            read_table(SourceFile(name, data=data))
