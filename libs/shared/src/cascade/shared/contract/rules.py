"""Precondition rules: SQL-like text, parsed with sqlglot, evaluated in Python — never eval'd,
never pasted into SQL.

Allowed: comparisons (= <> != < <= > >=), IS [NOT] NULL, IS [NOT] TRUE/FALSE, [NOT] LIKE/ILIKE,
[NOT] IN (...), AND/OR/NOT, parentheses, literals (strings, numbers, TRUE, FALSE, NULL) and
names. Anything else — function calls, subqueries, arithmetic, parameters — is a syntax error.

Names are inputs, derived values and context results. What a context result is in a rule:

* ``scalar``: the value of its single column, NULL when the query returned no row;
* ``one`` / ``many`` (row sets): NULL when the query returned no rows, otherwise the number of
  rows, so ``existing_by_name IS NULL`` reads "no such customer" and ``existing_by_name > 1``
  is meaningful; ``result.column`` reads a column of a ``one`` result (NULL when no row).

Three-valued logic as in SQL: a comparison with NULL is NULL, and a rule whose value is NULL
does not pass (so a ``block`` rule that cannot be decided blocks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from .errors import RuleSyntaxError
from .rule_nodes import (
    And,
    Compare,
    In,
    Is,
    Like,
    Literal,
    Name,
    Node,
    Not,
    Or,
    truth,
)

ALLOWED = (
    "comparisons, IS [NOT] NULL, LIKE/ILIKE, IN (...), AND/OR/NOT, literals and names of "
    "inputs, derived values and context results"
)
_OPERATORS: dict[type[exp.Expr], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
}
_CONDITIONS = (Compare, Is, Like, In, Not, And, Or, Name)


@dataclass(frozen=True)
class Rule:
    """A compiled precondition rule."""

    text: str
    root: Node
    references: frozenset[tuple[str, str | None]] = field(default=frozenset())
    conditions: frozenset[str] = field(default=frozenset())
    """Names used directly as a condition (they must hold booleans)."""

    @property
    def names(self) -> frozenset[str]:
        """The top-level names the rule reads."""
        return frozenset(name for name, _ in self.references)

    def evaluate(self, scope: Mapping[str, object]) -> bool | None:
        """TRUE, FALSE or NULL (None) under ``scope``; raises RuleEvaluationError on misuse."""
        return truth(self.root.evaluate(scope))

    def passes(self, scope: Mapping[str, object]) -> bool:
        """Whether the rule holds; NULL does not pass."""
        return self.evaluate(scope) is True


@lru_cache(maxsize=1024)
def compile_rule(text: str) -> Rule:
    """Parse a rule into its evaluable form; raises RuleSyntaxError outside the allowed subset."""
    try:
        tree = sqlglot.parse_one(text, read="postgres")
    except SqlglotError as error:
        first_line = str(error).strip().splitlines()[0]
        raise RuleSyntaxError(f"rule does not parse: {first_line}") from error
    compiler = _Compiler()
    root = compiler.condition(tree)
    return Rule(text, root, frozenset(compiler.references), frozenset(compiler.conditions))


def evaluate_rule(text: str, scope: Mapping[str, object]) -> bool | None:
    """Compile (cached) and evaluate a rule in one call."""
    return compile_rule(text).evaluate(scope)


class _Compiler:
    def __init__(self) -> None:
        self.references: set[tuple[str, str | None]] = set()
        self.conditions: set[str] = set()
        self.handlers = self._handlers()

    def condition(self, node: exp.Expr) -> Node:
        compiled = self.value(node)
        if isinstance(compiled, Name):
            self.conditions.add(compiled.name)
        elif not isinstance(compiled, _CONDITIONS) and not _is_truth_literal(compiled):
            raise RuleSyntaxError(f"expected a condition, got {node.sql()!r}")
        return compiled

    def value(self, node: exp.Expr) -> Node:
        handler = self.handlers.get(type(node))
        if handler is None:
            raise RuleSyntaxError(_refusal(node))
        return handler(node)

    def _handlers(self) -> dict[type[exp.Expr], Callable[[exp.Expr], Node]]:
        handlers: dict[type[exp.Expr], Callable[[exp.Expr], Node]] = {
            exp.Paren: lambda n: self.value(n.this),
            exp.Not: lambda n: Not(self.condition(n.this)),
            exp.And: lambda n: And(self.condition(n.this), self.condition(n.expression)),
            exp.Or: lambda n: Or(self.condition(n.this), self.condition(n.expression)),
            exp.Is: self._is,
            exp.Like: self._like,
            exp.ILike: self._like,
            exp.In: self._in,
            exp.Column: self._name,
            exp.Literal: _literal,
            exp.Boolean: lambda n: Literal(bool(n.this)),
            exp.Null: lambda n: Literal(None),
            exp.Neg: _negative,
        }
        for kind in _OPERATORS:
            handlers[kind] = self._compare
        return handlers

    def _compare(self, node: exp.Expr) -> Node:
        op = _OPERATORS[type(node)]
        return Compare(op, self.value(node.this), self.value(node.expression))

    def _is(self, node: exp.Expr) -> Node:
        negate = bool(node.args.get("negate"))
        target = node.expression
        if isinstance(target, exp.Null):
            return Is(self.value(node.this), None, negate)
        if isinstance(target, exp.Boolean):
            return Is(self.value(node.this), bool(target.this), negate)
        raise RuleSyntaxError(f"expected IS [NOT] NULL/TRUE/FALSE, got {node.sql()!r}")

    def _like(self, node: exp.Expr) -> Node:
        like = Like(self.value(node.this), self.value(node.expression), isinstance(node, exp.ILike))
        return _negated(node, like)

    def _in(self, node: exp.Expr) -> Node:
        if node.args.get("query") is not None or node.args.get("unnest") is not None:
            raise RuleSyntaxError(f"subqueries are not allowed in rules: {node.sql()!r}")
        items = tuple(self.value(item) for item in node.expressions)
        return _negated(node, In(self.value(node.this), items))

    def _name(self, node: exp.Expr) -> Node:
        assert isinstance(node, exp.Column)
        if node.args.get("db") is not None or node.args.get("catalog") is not None:
            raise RuleSyntaxError(f"expected name or name.column, got {node.sql()!r}")
        name = Name(node.table, node.name) if node.table else Name(node.name)
        self.references.add((name.name, name.column))
        return name


def _negated(source: exp.Expr, node: Node) -> Node:
    # sqlglot spells "x NOT LIKE y" either as Not(Like) or as Like(negate=True).
    return Not(node) if source.args.get("negate") else node


def _is_truth_literal(node: Node) -> bool:
    return isinstance(node, Literal) and (node.value is None or isinstance(node.value, bool))


def _literal(node: exp.Expr) -> Literal:
    if node.is_string:
        return Literal(node.this)
    text = str(node.this)
    return Literal(int(text) if text.isdigit() else Decimal(text))


def _negative(node: exp.Expr) -> Node:
    inner = node.this
    if isinstance(inner, exp.Literal) and not inner.is_string:
        text = str(inner.this)
        return Literal(-int(text) if text.isdigit() else -Decimal(text))
    raise RuleSyntaxError(f"arithmetic is not allowed ({node.sql()}); allowed: {ALLOWED}")


def _refusal(node: exp.Expr) -> str:
    if isinstance(node, (exp.Subquery, exp.Select, exp.Exists, exp.Query)):
        what = "subqueries are not allowed"
    elif isinstance(node, exp.Func):
        what = f"function calls are not allowed ({node.sql()})"
    elif isinstance(node, exp.Placeholder):
        what = f"parameters are not allowed ({node.sql()}); refer to values by name"
    elif isinstance(node, exp.Binary):
        what = f"operator {node.key.upper()} is not allowed ({node.sql()})"
    else:
        what = f"{node.key.upper()} is not allowed ({node.sql()})"
    return f"{what}; allowed: {ALLOWED}"
