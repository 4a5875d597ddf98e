"""The small expression grammar of metrics.yaml filters and formulas (and import mappings).

Text is parsed into a tree of frozen nodes; nothing from YAML is ever pasted into SQL.
The compiler turns the tree into SQLAlchemy constructs; `evaluate_frame` evaluates it
over a pandas frame (computed import columns); `evaluate_numbers` over plain numbers
(derived metrics).

Grammar, loosest binding first::

    expr     := or
    or       := and ("or" and)*
    and      := not ("and" not)*
    not      := "not" not | compare
    compare  := sum [ (= | == | != | <> | < | <= | > | >=) sum
                    | [not] in "(" literal ("," literal)* ")"
                    | [not] between sum and sum
                    | [not] like string
                    | is [not] null ]
    sum      := product (("+" | "-") product)*
    product  := unary (("*" | "/") unary)*
    unary    := "-" unary | atom
    atom     := number | 'string' | true | false | null
              | name ("." name)*               -- a column, through relationships
              | function "(" [expr ("," expr)*] ")"
              | "(" expr ")"

Example: ``type = 'call' and opportunity.is_won and days_between(created_at, closed_at) <= 90``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from typing import Literal as TypingLiteral

import numpy as np
import pandas as pd

CompareOp = TypingLiteral["=", "!=", "<", "<=", ">", ">="]
ArithOp = TypingLiteral["+", "-", "*", "/"]

SCALAR_FUNCTIONS: dict[str, tuple[int, int | None, str]] = {
    # name: (min args, max args or None, what it does)
    "days_between": (2, 2, "days from the first timestamp to the second (fractional)"),
    "hours_between": (2, 2, "hours from the first timestamp to the second (fractional)"),
    "coalesce": (2, None, "the first argument that is not null"),
    "if": (3, 3, "if(condition, value_when_true, value_otherwise)"),
    "least": (2, None, "the smallest argument (null if any is null)"),
    "greatest": (2, None, "the largest argument (null if any is null)"),
    "abs": (1, 1, "absolute value"),
    "round": (1, 2, "round(x) or round(x, digits)"),
    "lower": (1, 1, "lower-case text"),
    "upper": (1, 1, "upper-case text"),
    "date": (1, 1, "date('2026-01-31'): a date literal"),
    "nullif": (2, 2, "null when both arguments are equal, else the first"),
}
"""Functions allowed on a row (filters, formulas, computed import columns)."""

RELATION_FUNCTIONS: dict[str, tuple[int, int, str]] = {
    "count": (1, 2, "count(relation [, filter]): related rows, e.g. count(activities, type = 'call')"),
    "exists": (1, 2, "exists(relation [, filter]): true if a related row matches"),
    "min": (1, 2, "min(relation.column [, filter]): e.g. min(activities.occurred_at)"),
    "max": (1, 2, "max(relation.column [, filter])"),
    "sum": (1, 2, "sum(relation.column [, filter])"),
    "avg": (1, 2, "avg(relation.column [, filter])"),
}
"""Aggregates over a one-to-many relationship, computed per row (never a fan-out join)."""

KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "true", "false", "between", "like"})


class ExpressionError(ValueError):
    """A syntax or reference error at a column of the expression text."""

    def __init__(self, message: str, position: int = 0, text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.text = text

    def __str__(self) -> str:
        return f"{self.message} (at column {self.position + 1} of {self.text!r})" if self.text else self.message


# --- nodes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    pos: int = field(default=0, compare=False, kw_only=True)

    def children(self) -> tuple[Node, ...]:
        return ()

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children():
            yield from child.walk()


@dataclass(frozen=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True)
class Name(Node):
    """A column, possibly reached through relationships: `opportunity.account.region`."""

    parts: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Unary(Node):
    op: TypingLiteral["-"]
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Arith(Node):
    op: ArithOp
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Compare(Node):
    op: CompareOp
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class BoolOp(Node):
    op: TypingLiteral["and", "or"]
    operands: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.operands


@dataclass(frozen=True)
class Not(Node):
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class InList(Node):
    operand: Node
    items: tuple[Literal, ...]
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.operand, *self.items)


@dataclass(frozen=True)
class Between(Node):
    operand: Node
    low: Node
    high: Node
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.operand, self.low, self.high)


@dataclass(frozen=True)
class Like(Node):
    operand: Node
    pattern: str
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class IsNull(Node):
    operand: Node
    negated: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args

    @property
    def is_relation_aggregate(self) -> bool:
        return self.name in RELATION_FUNCTIONS


# --- tokenizer ----------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|==|[=<>+\-*/(),.])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            hint = " (strings use single quotes)" if char == '"' else ""
            if char == "'":
                raise ExpressionError("unterminated string", pos, text)
            raise ExpressionError(f"unexpected character {char!r}{hint}", pos, text)
        kind = match.lastgroup or ""
        if kind != "ws":
            word = match.group()
            if kind == "name" and word.lower() in KEYWORDS:
                kind, word = "kw", word.lower()
            tokens.append(_Tok(kind, word, pos))
        pos = match.end()
    tokens.append(_Tok("end", "", len(text)))
    return tokens


# --- parser ---------------------------------------------------------------------------


MAX_NESTING = 40
"""Deepest parentheses an expression may nest (the parser recurses once per level)."""


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        depth = 0
        for tok in self.tokens:  # refused before parsing: deep nesting would exhaust the stack
            if tok.kind == "op" and tok.text == "(":
                depth += 1
                if depth > MAX_NESTING:
                    raise self.error(f"parentheses nested more than {MAX_NESTING} deep", tok)
            elif tok.kind == "op" and tok.text == ")":
                depth = max(depth - 1, 0)

    @property
    def tok(self) -> _Tok:
        return self.tokens[self.i]

    def error(self, message: str, tok: _Tok | None = None) -> ExpressionError:
        return ExpressionError(message, (tok or self.tok).pos, self.text)

    def accept(self, kind: str, text: str | None = None) -> _Tok | None:
        tok = self.tok
        if tok.kind == kind and (text is None or tok.text == text):
            self.i += 1
            return tok
        return None

    def expect(self, kind: str, text: str | None = None, what: str = "") -> _Tok:
        tok = self.accept(kind, text)
        if tok is None:
            found = self.tok.text or "the end"
            raise self.error(f"expected {what or text or kind}, found {found!r}")
        return tok

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.error("empty expression")
        node = self.or_()
        if self.tok.kind != "end":
            raise self.error(f"unexpected {self.tok.text!r}; did you miss 'and' / 'or' or a quote?")
        return node

    def or_(self) -> Node:
        start = self.tok.pos
        items = [self.and_()]
        while self.accept("kw", "or"):
            items.append(self.and_())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items), pos=start)

    def and_(self) -> Node:
        start = self.tok.pos
        items = [self.not_()]
        while self.accept("kw", "and"):
            items.append(self.not_())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items), pos=start)

    def not_(self) -> Node:
        tok = self.accept("kw", "not")
        if tok:
            return Not(self.not_(), pos=tok.pos)
        return self.compare()

    def compare(self) -> Node:
        start = self.tok.pos
        left = self.sum_()
        tok = self.tok
        if tok.kind == "op" and tok.text in ("=", "==", "!=", "<>", "<", "<=", ">", ">="):
            self.i += 1
            op = {"==": "=", "<>": "!="}.get(tok.text, tok.text)
            return Compare(op, left, self.sum_(), pos=start)  # type: ignore[arg-type]
        if tok.kind == "kw" and tok.text == "is":
            self.i += 1
            negated = bool(self.accept("kw", "not"))
            self.expect("kw", "null", "null after 'is'")
            return IsNull(left, negated, pos=start)
        negated = False
        if tok.kind == "kw" and tok.text == "not":
            nxt = self.tokens[self.i + 1]
            if nxt.kind == "kw" and nxt.text in ("in", "between", "like"):
                self.i += 1
                negated = True
        if self.accept("kw", "in"):
            self.expect("op", "(", "'(' after 'in'")
            items = [self.literal()]
            while self.accept("op", ","):
                items.append(self.literal())
            self.expect("op", ")", "')' closing the list")
            return InList(left, tuple(items), negated, pos=start)
        if self.accept("kw", "between"):
            low = self.sum_()
            self.expect("kw", "and", "'and' in 'between ... and ...'")
            return Between(left, low, self.sum_(), negated, pos=start)
        if self.accept("kw", "like"):
            pattern = self.expect("string", what="a quoted pattern after 'like'")
            return Like(left, _unquote(pattern.text), negated, pos=start)
        if negated:
            raise self.error("expected 'in', 'between' or 'like' after 'not'")
        return left

    def sum_(self) -> Node:
        start = self.tok.pos
        node = self.product()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.tok.text
            self.i += 1
            node = Arith(op, node, self.product(), pos=start)  # type: ignore[arg-type]
        return node

    def product(self) -> Node:
        start = self.tok.pos
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.tok.text
            self.i += 1
            node = Arith(op, node, self.unary(), pos=start)  # type: ignore[arg-type]
        return node

    def unary(self) -> Node:
        tok = self.accept("op", "-")
        if tok:
            operand = self.unary()
            if isinstance(operand, Literal) and isinstance(operand.value, int | float):
                return Literal(-operand.value, pos=tok.pos)
            return Unary("-", operand, pos=tok.pos)
        return self.atom()

    def literal(self) -> Literal:
        node = self.unary()
        if not isinstance(node, Literal):
            raise ExpressionError(
                "'in' lists hold literals only (numbers, 'strings', true, false)", node.pos, self.text
            )
        return node

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.i += 1
            value: float | int = float(tok.text) if any(c in tok.text for c in ".eE") else int(tok.text)
            return Literal(value, pos=tok.pos)
        if tok.kind == "string":
            self.i += 1
            return Literal(_unquote(tok.text), pos=tok.pos)
        if tok.kind == "kw" and tok.text in ("true", "false", "null"):
            self.i += 1
            return Literal({"true": True, "false": False, "null": None}[tok.text], pos=tok.pos)
        if self.accept("op", "("):
            node = self.or_()
            self.expect("op", ")", "')'")
            return node
        if tok.kind == "name":
            self.i += 1
            if self.tok.kind == "op" and self.tok.text == "(":
                return self.call(tok)
            parts = [tok.text]
            while self.accept("op", "."):
                parts.append(self.expect("name", what="a column name after '.'").text)
            return Name(tuple(parts), pos=tok.pos)
        if tok.kind == "end":
            raise self.error("expression ends too early")
        raise self.error(f"unexpected {tok.text!r}")

    def call(self, name_tok: _Tok) -> Node:
        name = name_tok.text.lower()
        if name not in SCALAR_FUNCTIONS and name not in RELATION_FUNCTIONS:
            allowed = ", ".join(sorted({*SCALAR_FUNCTIONS, *RELATION_FUNCTIONS}))
            raise self.error(f"unknown function {name_tok.text!r}; allowed: {allowed}", name_tok)
        self.expect("op", "(")
        args: list[Node] = []
        if not self.accept("op", ")"):
            args.append(self.or_())
            while self.accept("op", ","):
                args.append(self.or_())
            self.expect("op", ")", "')' closing the call")
        low, high, usage = {**SCALAR_FUNCTIONS, **RELATION_FUNCTIONS}[name]
        if len(args) < low or (high is not None and len(args) > high):
            raise self.error(f"{name}() takes {_arity(low, high)}: {usage}", name_tok)
        if name == "date":
            if not (isinstance(args[0], Literal) and isinstance(args[0].value, str)):
                raise self.error("date() takes a quoted 'YYYY-MM-DD'", name_tok)
            try:
                return Literal(dt.date.fromisoformat(args[0].value), pos=name_tok.pos)
            except ValueError as exc:
                raise self.error(f"date(): {exc}", name_tok) from None
        if name in RELATION_FUNCTIONS and not isinstance(args[0], Name):
            raise self.error(f"{name}() takes a relationship (or relationship.column) first: {usage}", name_tok)
        return Call(name, tuple(args), pos=name_tok.pos)


def _arity(low: int, high: int | None) -> str:
    if high is None:
        return f"{low} or more arguments"
    return f"{low} argument{'s' if low != 1 else ''}" if low == high else f"{low} to {high} arguments"


def _unquote(text: str) -> str:
    return text[1:-1].replace("''", "'")


def parse(text: str) -> Node:
    """Parse an expression; raises ExpressionError naming the column of the problem."""
    if not isinstance(text, str):
        raise ExpressionError(f"expected an expression in text, got {type(text).__name__}")
    return _Parser(text).parse()


def names(node: Node) -> list[Name]:
    """Every column reference in the expression (outside relation aggregates' filters)."""
    return [n for n in node.walk() if isinstance(n, Name)]


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
