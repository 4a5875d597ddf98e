"""The small expression grammar of metrics.yaml filters and formulas (and import mappings).

Text is parsed into a tree of frozen nodes; nothing from YAML is ever pasted into SQL.
The compiler turns the tree into SQLAlchemy constructs; `scorecard.language.evaluate` evaluates it
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from typing import Literal as TypingLiteral

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
