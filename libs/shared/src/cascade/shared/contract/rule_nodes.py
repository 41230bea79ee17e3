"""The evaluable form of a precondition rule, with SQL's three-valued logic (None is NULL)."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from .errors import RuleEvaluationError

Scope = Mapping[str, object]
_NUMBER = (int, float, Decimal)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class Node(Protocol):
    """A rule sub-expression."""

    def evaluate(self, scope: Scope) -> object:
        """Its value under ``scope``; None stands for SQL NULL."""
        ...


@dataclass(frozen=True)
class Literal:
    """A constant: string, number, TRUE/FALSE or NULL."""

    value: object

    def evaluate(self, scope: Scope) -> object:
        """The constant itself."""
        return self.value


@dataclass(frozen=True)
class Name:
    """An input, derived value or context result, optionally one column of a one-row result."""

    name: str
    column: str | None = None

    def evaluate(self, scope: Scope) -> object:
        """Look the name up; row sets become NULL (no rows) or their row count."""
        if self.name not in scope:
            raise RuleEvaluationError(f"name {self.name!r} is not bound")
        value = scope[self.name]
        if self.column is not None:
            return _column(value, self.name, self.column)
        if isinstance(value, Mapping):
            return 1
        if isinstance(value, (list, tuple)):
            return len(value) or None
        return value


@dataclass(frozen=True)
class Compare:
    """``=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``; NULL on either side gives NULL."""

    op: str
    left: Node
    right: Node

    def evaluate(self, scope: Scope) -> object:
        """Compare after SQL-like coercion (numbers with numbers, dates with ISO strings)."""
        left, right = self.left.evaluate(scope), self.right.evaluate(scope)
        return compare(self.op, left, right)


@dataclass(frozen=True)
class Is:
    """``x IS [NOT] NULL|TRUE|FALSE`` — never NULL itself."""

    operand: Node
    value: bool | None
    negate: bool

    def evaluate(self, scope: Scope) -> object:
        """True when the operand is (not) exactly NULL, TRUE or FALSE (NULL is neither
        truth value)."""
        return (self.operand.evaluate(scope) is self.value) != self.negate


@dataclass(frozen=True)
class Like:
    """``x LIKE|ILIKE pattern`` with ``%``, ``_`` and backslash escapes."""

    operand: Node
    pattern: Node
    insensitive: bool

    def evaluate(self, scope: Scope) -> object:
        """Match the whole string, as SQL does."""
        text, pattern = self.operand.evaluate(scope), self.pattern.evaluate(scope)
        if text is None or pattern is None:
            return None
        if not isinstance(text, str) or not isinstance(pattern, str):
            raise RuleEvaluationError(f"LIKE needs text on both sides, got {text!r}, {pattern!r}")
        flags = re.DOTALL | (re.IGNORECASE if self.insensitive else 0)
        return re.fullmatch(like_to_regex(pattern), text, flags) is not None


@dataclass(frozen=True)
class In:
    """``x IN (a, b, ...)``: True on a match, else NULL if any side is NULL, else False."""

    operand: Node
    items: tuple[Node, ...]

    def evaluate(self, scope: Scope) -> object:
        """SQL's IN, which is an OR of equalities."""
        value = self.operand.evaluate(scope)
        results = [compare("=", value, item.evaluate(scope)) for item in self.items]
        return any_of(results)


@dataclass(frozen=True)
class Not:
    """``NOT x``; NOT NULL is NULL."""

    operand: Node

    def evaluate(self, scope: Scope) -> object:
        """Negate a truth value."""
        value = truth(self.operand.evaluate(scope))
        return None if value is None else not value


@dataclass(frozen=True)
class And:
    """``a AND b``: False wins, then NULL, then True."""

    left: Node
    right: Node

    def evaluate(self, scope: Scope) -> object:
        """Three-valued conjunction."""
        left = truth(self.left.evaluate(scope))
        if left is False:
            return False
        right = truth(self.right.evaluate(scope))
        if right is False:
            return False
        return None if left is None or right is None else True


@dataclass(frozen=True)
class Or:
    """``a OR b``: True wins, then NULL, then False."""

    left: Node
    right: Node

    def evaluate(self, scope: Scope) -> object:
        """Three-valued disjunction."""
        return any_of([truth(self.left.evaluate(scope)), truth(self.right.evaluate(scope))])


def truth(value: object) -> bool | None:
    """A value used as a condition must be TRUE, FALSE or NULL."""
    if value is None or isinstance(value, bool):
        return value
    raise RuleEvaluationError(f"expected TRUE, FALSE or NULL as a condition, got {value!r}")


def any_of(values: Sequence[object]) -> bool | None:
    """Three-valued OR over several truth values."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def compare(op: str, left: object, right: object) -> bool | None:
    """Compare two values the way SQL would, refusing to compare unrelated types."""
    if left is None or right is None:
        return None
    left, right = _coerce(left, right)
    try:
        return _COMPARE[op](left, right)
    except TypeError as error:
        raise RuleEvaluationError(f"cannot compare {left!r} {op} {right!r}") from error


def like_to_regex(pattern: str) -> str:
    """Translate a LIKE pattern into an anchored-by-fullmatch regular expression."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return "".join(out)


def _coerce(left: object, right: object) -> tuple[object, object]:
    if isinstance(left, bool) or isinstance(right, bool):
        if type(left) is not type(right):
            raise RuleEvaluationError(f"cannot compare {left!r} with {right!r}")
        return left, right
    if isinstance(left, _NUMBER) and isinstance(right, _NUMBER):
        return left, right
    if isinstance(left, date) and isinstance(right, str):
        return left, _parse_date(right, left)
    if isinstance(right, date) and isinstance(left, str):
        return _parse_date(left, right), right
    if type(left) is not type(right):
        raise RuleEvaluationError(f"cannot compare {left!r} with {right!r}")
    return left, right


def _parse_date(text: str, like: date) -> date:
    parse = datetime.fromisoformat if isinstance(like, datetime) else date.fromisoformat
    try:
        return parse(text)
    except ValueError as error:
        raise RuleEvaluationError(f"{text!r} is not an ISO date") from error


def _column(value: object, name: str, column: str) -> object:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise RuleEvaluationError(f"{name}.{column}: {name} is not a one-row result")
    if column not in value:
        raise RuleEvaluationError(f"{name}.{column}: {name} has no column {column!r}")
    return value[column]
