"""Precondition rules: SQL-like syntax, evaluated in Python with SQL's three-valued logic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cascade.shared.contract import (
    RuleEvaluationError,
    RuleSyntaxError,
    compile_rule,
    evaluate_rule,
)

ROW = {"id": 7, "companyname": "Acme"}
SCOPE: dict[str, object] = {
    "contact_email": "jane@example.com",
    "no_email": None,
    "credit_limit": Decimal("5000.00"),
    "count": 3,
    "tier": "gold",
    "active": True,
    "inactive": False,
    "unknown": None,
    "since": date(2024, 5, 1),
    "empty_rows": (),
    "some_rows": (ROW, {"id": 8, "companyname": "ACME"}),
    "one_row": ROW,
    "no_row": None,
}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # the seed's rules
        ("empty_rows IS NULL AND no_row IS NULL", True),
        ("some_rows IS NULL AND no_row IS NULL", False),
        ("contact_email LIKE '%@%'", True),
        ("tier LIKE '%@%'", False),
        # comparisons
        ("count = 3", True),
        ("count <> 3", False),
        ("count != 4", True),
        ("count < 4 AND count <= 3 AND count > 2 AND count >= 3", True),
        ("credit_limit > 1000", True),
        ("credit_limit = 5000", True),
        ("credit_limit <= 4999.99", False),
        ("count > -1", True),
        ("tier = 'gold'", True),
        ("tier = 'Gold'", False),
        ("since >= '2024-01-01'", True),
        ("since < '2024-05-01'", False),
        ("active = TRUE", True),
        ("active", True),
        ("inactive", False),
        ("NOT inactive", True),
        # IS
        ("no_email IS NULL", True),
        ("no_email IS NOT NULL", False),
        ("contact_email IS NOT NULL", True),
        ("active IS TRUE", True),
        ("unknown IS TRUE", False),
        ("unknown IS NOT FALSE", True),
        # LIKE / ILIKE
        ("contact_email LIKE 'jane@%'", True),
        ("contact_email LIKE 'JANE@%'", False),
        ("contact_email ILIKE 'JANE@%'", True),
        ("contact_email NOT LIKE '%.org'", True),
        ("contact_email NOT LIKE '%.com'", False),
        ("tier NOT ILIKE 'G%'", False),
        ("tier NOT ILIKE 'S%'", True),
        ("NOT tier LIKE 'g%'", False),
        ("tier LIKE 'g_ld'", True),
        ("tier LIKE 'g\\_ld'", False),
        ("tier LIKE 'gold%'", True),
        ("tier LIKE '%'", True),
        ("tier LIKE 'gol'", False),
        # IN
        ("tier IN ('silver', 'gold')", True),
        ("tier IN ('silver', 'bronze')", False),
        ("tier NOT IN ('silver', 'bronze')", True),
        ("count IN (1, 2, 3)", True),
        # row sets: NULL when empty, else the row count; one.column reads a column
        ("some_rows = 2", True),
        ("some_rows > 1", True),
        ("one_row IS NOT NULL", True),
        ("one_row = 1", True),
        ("one_row.companyname = 'Acme'", True),
        ("one_row.id > 5", True),
        ("no_row.id IS NULL", True),
        # precedence and parentheses
        ("count = 3 OR count = 4 AND tier = 'silver'", True),
        ("(count = 3 OR count = 4) AND tier = 'silver'", False),
        ("NOT (tier = 'gold' AND count = 3)", False),
    ],
)
def test_rule_values(rule: str, expected: bool) -> None:
    assert evaluate_rule(rule, SCOPE) is expected


@pytest.mark.parametrize(
    ("rule", "value", "passes"),
    [
        # any comparison with NULL is NULL, and a NULL rule does not pass
        ("no_email = 'x'", None, False),
        ("no_email <> 'x'", None, False),
        ("no_email LIKE '%@%'", None, False),
        ("NOT (no_email = 'x')", None, False),
        ("unknown", None, False),
        ("count = NULL", None, False),
        ("no_email IN ('a', 'b')", None, False),
        # IN with a NULL item: TRUE on a match, else NULL
        ("tier IN ('gold', NULL)", True, True),
        ("tier IN ('silver', NULL)", None, False),
        ("tier NOT IN ('silver', NULL)", None, False),
        # AND: FALSE wins over NULL; OR: TRUE wins over NULL
        ("unknown AND inactive", False, False),
        ("unknown AND active", None, False),
        ("unknown OR active", True, True),
        ("unknown OR inactive", None, False),
        ("NOT unknown", None, False),
        # IS never yields NULL
        ("unknown IS NULL", True, True),
        ("no_email = 'x' IS NULL", True, True),  # (NULL = 'x') IS NULL
        ("NULL IS NULL", True, True),
        ("empty_rows = 0", None, False),
    ],
)
def test_null_semantics(rule: str, value: bool | None, passes: bool) -> None:
    compiled = compile_rule(rule)
    assert compiled.evaluate(SCOPE) is value
    assert compiled.passes(SCOPE) is passes


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("lower(tier) = 'gold'", "function calls are not allowed (LOWER(tier))"),
        ("my_func(tier)", "function calls are not allowed"),
        ("(SELECT 1) IS NULL", "subqueries are not allowed"),
        ("EXISTS (SELECT 1 FROM customers)", "subqueries are not allowed"),
        ("tier IN (SELECT name FROM tiers)", "subqueries are not allowed"),
        ("count + 1 > 3", "operator ADD is not allowed"),
        ("count * 2 = 6", "operator MUL is not allowed"),
        ("tier || 'x' = 'goldx'", "not allowed"),
        ("count BETWEEN 1 AND 5", "BETWEEN is not allowed"),
        ("tier = :tier", "parameters are not allowed"),
        ("tier LIKE 'x' ESCAPE '!'", "ESCAPE is not allowed"),
        ("CAST(count AS TEXT) = '3'", "function calls are not allowed"),
        ("CASE WHEN active THEN 1 END = 1", "not allowed (CASE WHEN"),
        ("a.b.c = 1", "expected name or name.column"),
        ("tier = 'gold'; DROP TABLE customers", "not allowed"),
        ("'gold'", "expected a condition"),
        ("42", "expected a condition"),
        ("tier =", "rule does not parse"),
        ("", "rule does not parse"),
    ],
)
def test_disallowed_syntax(rule: str, message: str) -> None:
    with pytest.raises(RuleSyntaxError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_rule(rule)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("missing IS NULL", "name 'missing' is not bound"),
        ("tier = 3", "cannot compare 'gold' with 3"),
        ("active = 1", "cannot compare True with 1"),
        ("count LIKE '3'", "LIKE needs text"),
        ("tier", "expected TRUE, FALSE or NULL as a condition, got 'gold'"),
        ("since > 'yesterday'", "'yesterday' is not an ISO date"),
        ("tier.id = 1", "tier is not a one-row result"),
        ("one_row.email = 'x'", "has no column 'email'"),
    ],
)
def test_evaluation_errors(rule: str, message: str) -> None:
    with pytest.raises(RuleEvaluationError, match=message):
        evaluate_rule(rule, SCOPE)


def test_compiled_rule_lists_what_it_reads() -> None:
    rule = compile_rule("existing_by_name IS NULL AND one_row.id > 1 AND flag")
    assert rule.names == {"existing_by_name", "one_row", "flag"}
    assert ("one_row", "id") in rule.references
    assert rule.conditions == {"flag"}


def test_rule_text_is_never_executed() -> None:
    # A rule that would have side effects as Python or SQL is refused before evaluation.
    for hostile in ("__import__('os').system('true')", "1; DELETE FROM customers"):
        with pytest.raises(RuleSyntaxError):
            compile_rule(hostile)
