"""The expression grammar: parsing, errors with columns, evaluation over frames and numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from scorecard.language import expressions as ex
from scorecard.language.evaluate import evaluate_frame, evaluate_numbers


def test_precedence_and_shapes():
    node = ex.parse("not a = 1 or b in ('x', 'y') and c between 1 and 2 * 3")
    assert isinstance(node, ex.BoolOp) and node.op == "or"
    left, right = node.operands
    assert isinstance(left, ex.Not) and isinstance(left.operand, ex.Compare)
    assert isinstance(right, ex.BoolOp) and right.op == "and"
    between = right.operands[1]
    assert isinstance(between, ex.Between) and isinstance(between.high, ex.Arith) and between.high.op == "*"


def test_names_through_relationships_and_functions():
    node = ex.parse("hours_between(mql_at, min(activities.occurred_at, type = 'call')) <= 24")
    assert isinstance(node, ex.Compare)
    call = node.left
    assert isinstance(call, ex.Call) and call.name == "hours_between"
    inner = call.args[1]
    assert isinstance(inner, ex.Call) and inner.is_relation_aggregate
    assert [n.dotted for n in ex.names(node)] == ["mql_at", "activities.occurred_at", "type"]


def test_strings_escape_quotes_and_negative_numbers():
    node = ex.parse("name = 'O''Brien' and x > -2.5")
    assert isinstance(node, ex.BoolOp)
    assert node.operands[0].right == ex.Literal("O'Brien")  # type: ignore[attr-defined]
    assert node.operands[1].right == ex.Literal(-2.5)  # type: ignore[attr-defined]


def test_date_literal():
    import datetime as dt

    assert ex.parse("date('2026-07-01')") == ex.Literal(dt.date(2026, 7, 1))


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ('type = "call"', "unexpected character '\"' (strings use single quotes)", 8),
        ("x = 'abc", "unterminated string", 5),
        ("foo(1)", "unknown function 'foo'", 1),
        ("a and", "expression ends too early", 6),
        ("x not y", "unexpected 'not'", 3),
        ("count(1)", "count() takes a relationship", 1),
        ("days_between(a)", "days_between() takes 2 arguments", 1),
        ("x in (y)", "'in' lists hold literals only", 7),
        ("", "empty expression", 1),
        ("date('2026-13-01')", "date():", 1),
    ],
)
def test_errors_name_the_column(text: str, message: str, column: int):
    with pytest.raises(ex.ExpressionError) as info:
        ex.parse(text)
    assert message in info.value.message
    assert info.value.position + 1 == column


def test_evaluate_frame_with_nulls_and_division_by_zero():
    frame = pd.DataFrame(
        {
            "Amount": [100.0, 50.0, None],
            "List Price": [125.0, 0.0, 10.0],
            "Created": pd.to_datetime(["2026-01-01 00:00", "2026-01-02 12:00", None]),
            "Closed": pd.to_datetime(["2026-01-03 00:00", "2026-01-02 18:00", "2026-01-04 00:00"]),
            "Stage": ["Closed Won", "Open", "Closed Lost"],
        }
    )
    assert evaluate_frame(ex.parse("1 - amount / list_price"), frame).round(3).tolist()[:1] == [0.2]
    assert pd.isna(evaluate_frame(ex.parse("amount / list_price"), frame)[1])
    assert evaluate_frame(ex.parse("days_between(created, closed)"), frame).tolist()[:2] == [2.0, 0.25]
    assert evaluate_frame(ex.parse("stage like 'Closed%'"), frame).tolist() == [True, False, True]
    assert evaluate_frame(ex.parse("if(amount >= 100, 'big', 'small')"), frame).tolist() == ["big", "small", "small"]
    assert evaluate_frame(ex.parse("coalesce(amount, 0)"), frame).tolist() == [100.0, 50.0, 0.0]
    assert evaluate_frame(ex.parse("amount is null"), frame).tolist() == [False, False, True]
    with pytest.raises(ex.ExpressionError, match="unknown column 'amout'"):
        evaluate_frame(ex.parse("amout * 2"), frame)


def test_evaluate_numbers():
    node = ex.parse("(a + b) / c")
    assert evaluate_numbers(node, {"a": 1, "b": 2, "c": 4}) == 0.75
    assert evaluate_numbers(node, {"a": 1, "b": 2, "c": 0}) is None
    assert evaluate_numbers(node, {"a": None, "b": 2, "c": 4}) is None
    assert evaluate_numbers(ex.parse("greatest(a, 2) - abs(-3)"), {"a": 5}) == 2
