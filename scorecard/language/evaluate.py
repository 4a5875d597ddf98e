"""Evaluating a parsed expression outside SQL: row by row over a pandas frame (computed
import columns) and over plain numbers (derived metrics, from other metrics' values)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from scorecard.language.expressions import (
    Arith,
    Between,
    BoolOp,
    Call,
    Compare,
    ExpressionError,
    InList,
    IsNull,
    Like,
    Literal,
    Name,
    Node,
    Not,
    Unary,
)

# --- evaluation over a pandas frame (import mappings) ----------------------------------


def evaluate_frame(node: Node, frame: pd.DataFrame) -> pd.Series:
    """Evaluate an expression row by row over a frame, vectorised; names are frame columns.

    Column names match case- and space-insensitively. Relationship aggregates are not
    available here (an import file has no relationships).
    """
    columns = {_fold(c): c for c in frame.columns}

    def ev(n: Node) -> Any:
        if isinstance(n, Literal):
            return n.value
        if isinstance(n, Name):
            key = _fold(n.dotted)
            if key not in columns:
                raise ExpressionError(
                    f"unknown column {n.dotted!r}; the file has: {', '.join(map(str, frame.columns))}", n.pos
                )
            return frame[columns[key]]
        if isinstance(n, Unary):
            return -ev(n.operand)
        if isinstance(n, Arith):
            left, right = ev(n.left), ev(n.right)
            if n.op == "/":
                right = (
                    pd.Series(right, index=frame.index).replace(0, np.nan)
                    if not np.isscalar(right)
                    else (np.nan if right == 0 else right)
                )
            return _ARITH[n.op](left, right)
        if isinstance(n, Compare):
            left, right = ev(n.left), ev(n.right)
            result = _COMPARE[n.op](left, right)
            return _as_series(result, frame).fillna(False).astype(bool)
        if isinstance(n, BoolOp):
            values = [_as_series(ev(o), frame).fillna(False).astype(bool) for o in n.operands]
            out = values[0]
            for v in values[1:]:
                out = (out & v) if n.op == "and" else (out | v)
            return out
        if isinstance(n, Not):
            return ~_as_series(ev(n.operand), frame).fillna(False).astype(bool)
        if isinstance(n, InList):
            result = _as_series(ev(n.operand), frame).isin([i.value for i in n.items])
            return ~result if n.negated else result
        if isinstance(n, Between):
            value = _as_series(ev(n.operand), frame)
            result = (value >= ev(n.low)) & (value <= ev(n.high))
            result = result.fillna(False).astype(bool)
            return ~result if n.negated else result
        if isinstance(n, Like):
            regex = "^" + re.escape(n.pattern).replace("%", ".*").replace("_", ".") + "$"
            result = _as_series(ev(n.operand), frame).astype("string").str.match(regex).fillna(False).astype(bool)
            return ~result if n.negated else result
        if isinstance(n, IsNull):
            result = _as_series(ev(n.operand), frame).isna()
            return ~result if n.negated else result
        if isinstance(n, Call):
            if n.is_relation_aggregate:
                raise ExpressionError(f"{n.name}() over a relationship is only available in metrics", n.pos)
            return _FRAME_FUNCTIONS[n.name](frame, *[ev(a) for a in n.args])
        raise ExpressionError(f"cannot evaluate {type(n).__name__}", n.pos)

    return _as_series(ev(node), frame)


def _fold(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).lower()  # as the importer folds headers: "Deal - Status" = deal_status


def _as_series(value: Any, frame: pd.DataFrame) -> pd.Series:
    if isinstance(value, pd.Series):
        return value
    return pd.Series([value] * len(frame), index=frame.index)


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _between(unit_seconds: float) -> Callable[..., Any]:
    def fn(frame: pd.DataFrame, a: Any, b: Any) -> Any:
        start = pd.to_datetime(_as_series(a, frame))
        end = pd.to_datetime(_as_series(b, frame))
        return (end - start).dt.total_seconds() / unit_seconds

    return fn


def _rowwise(reducer: str) -> Callable[..., Any]:
    def fn(frame: pd.DataFrame, *args: Any) -> Any:
        table = pd.concat([_as_series(a, frame) for a in args], axis=1)
        if reducer == "coalesce":
            return table.bfill(axis=1).iloc[:, 0]
        # Null when any argument is null, as in SQL on every engine Scorecard compiles for.
        return table.min(axis=1, skipna=False) if reducer == "least" else table.max(axis=1, skipna=False)

    return fn


_FRAME_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "days_between": _between(86_400.0),
    "hours_between": _between(3_600.0),
    "coalesce": _rowwise("coalesce"),
    "least": _rowwise("least"),
    "greatest": _rowwise("greatest"),
    "if": lambda frame, cond, a, b: pd.Series(
        np.where(_as_series(cond, frame).fillna(False).astype(bool), _as_series(a, frame), _as_series(b, frame)),
        index=frame.index,
    ),
    "abs": lambda frame, x: _as_series(x, frame).abs(),
    "round": lambda frame, x, digits=0: _as_series(x, frame).round(int(digits)),
    "lower": lambda frame, x: _as_series(x, frame).astype("string").str.lower(),
    "upper": lambda frame, x: _as_series(x, frame).astype("string").str.upper(),
    "nullif": lambda frame, a, b: _as_series(a, frame).mask(_as_series(a, frame) == b),
}


# --- evaluation over numbers (derived metrics) ------------------------------------------


def evaluate_numbers(node: Node, values: Mapping[str, float | None]) -> float | None:
    """Evaluate arithmetic over named numbers; any null operand or a division by zero gives None."""

    def ev(n: Node) -> float | None:
        if isinstance(n, Literal):
            if n.value is None:
                return None
            if isinstance(n.value, bool) or not isinstance(n.value, int | float):
                raise ExpressionError("a formula holds numbers, metric names and + - * /", n.pos)
            return float(n.value)
        if isinstance(n, Name):
            return values[n.dotted]
        if isinstance(n, Unary):
            v = ev(n.operand)
            return None if v is None else -v
        if isinstance(n, Arith):
            a, b = ev(n.left), ev(n.right)
            if a is None or b is None:
                return None
            if n.op == "/":
                return None if b == 0 else a / b
            return float(_ARITH[n.op](a, b))
        if isinstance(n, Call) and n.name in ("least", "greatest", "abs", "round", "coalesce"):
            args = [ev(a) for a in n.args]
            if n.name == "coalesce":
                return next((a for a in args if a is not None), None)
            if any(a is None for a in args):
                return None
            nums = [a for a in args if a is not None]
            if n.name == "abs":
                return abs(nums[0])
            if n.name == "round":
                return round(nums[0], int(nums[1]) if len(nums) > 1 else 0)
            return min(nums) if n.name == "least" else max(nums)
        raise ExpressionError(
            "a formula holds numbers, metric names, + - * / and least/greatest/abs/round/coalesce", n.pos
        )

    return ev(node)
