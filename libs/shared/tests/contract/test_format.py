"""Smaller parts of the contract format: durations, templates, SQL reading, the graph of
steps, and the seed's step-kind spellings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pydantic import JsonValue

from cascade.shared.contract import Contract, find_cycle, format_duration, levels, parse_duration
from cascade.shared.contract.sqlinfo import SqlError, read_tables, sql_params, write_effect
from cascade.shared.contract.templates import (
    TemplateSyntaxError,
    render_text,
    render_tree,
    template_names,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500ms", timedelta(milliseconds=500)),
        ("5s", timedelta(seconds=5)),
        ("15m", timedelta(minutes=15)),
        (" 24h ", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
    ],
)
def test_parse_duration(text: str, value: timedelta) -> None:
    assert parse_duration(text) == value
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize("text", ["5", "15 minutes", "1.5h", "-5s", "", "5w"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration like"):
        parse_duration(text)


def test_templates() -> None:
    assert template_names("Hi {{ name }}, {{name}} again {{ other_1 }}") == {"name", "other_1"}
    assert (
        render_text("Hi {{ name }}{{ missing_value }}!", {"name": "Jo", "missing_value": None})
        == "Hi Jo!"
    )
    tree: JsonValue = {"a": "{{ n }}", "b": "n={{ n }}", "c": "{{ nothing }}", "d": [{"e": True}]}
    assert render_tree(tree, {"n": 5, "nothing": None}) == {"a": 5, "b": "n=5", "d": [{"e": True}]}


@pytest.mark.parametrize(
    "template",
    ["{{ a.b }}", "{{ a | upper }}", "{% if a %}x{% endif %}", "{# c #}", "{{ a ", "{{ A }}"],
)
def test_template_subset(template: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        template_names(template)


def test_sql_reading() -> None:
    assert sql_params("SELECT id FROM t WHERE a = :a AND b = :b_2 AND c::text = 'x'") == {
        "a",
        "b_2",
    }
    assert read_tables("WITH x AS (SELECT id FROM a) SELECT * FROM x JOIN b ON true") == {"a", "b"}
    assert (
        write_effect("INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2").action
        == "UPSERT"
    )
    assert write_effect("INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING").table == "t"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT :a::int", "expected CAST"),
        ("SELECT 1 -- :hidden", ":hidden appears inside a string literal or comment"),
        ("SELECT 1; SELECT 2", "expected exactly one SQL statement"),
        ("SELECT FROM WHERE", "SQL does not parse"),
    ],
)
def test_sql_the_runner_would_bind_differently_is_refused(sql: str, message: str) -> None:
    with pytest.raises(SqlError, match=message):
        sql_params(sql)


def test_cycles_and_levels() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": [], "b": ["a"], "c": ["a", "b"]}) is None
    assert levels({"a": [], "b": ["a"], "c": ["a", "b"], "d": []}) == {
        "a": 0,
        "d": 0,
        "b": 1,
        "c": 2,
    }


def test_seed_step_kinds_load_as_aliases(
    minimal: dict[str, Any], parse: Callable[[dict[str, Any]], Contract]
) -> None:
    minimal["fan_out"][0]["kind"] = "d1_write"
    minimal["fan_out"][2]["kind"] = "hitl_email_draft"
    minimal["fan_out"].append(
        {
            "id": "push",
            "kind": "ns_push",
            "queue": "NS_PUSH_QUEUE",
            "record_type": "customer",
            "needs": ["first"],
            "external_id": "x-{{ customer_id }}",
            "fields": {"companyName": "{{ name }}"},
        }
    )
    minimal["post"] = [{"kind": "log_run"}, {"kind": "event"}]
    contract = parse(minimal)
    assert [s.kind for s in contract.fan_out] == [
        "db_write",
        "db_write",
        "email_draft",
        "netsuite_push",
    ]
    assert contract.step("push").queue == "ns.push"  # type: ignore[union-attr]


def test_http_verify_check(
    minimal: dict[str, Any], parse: Callable[[dict[str, Any]], Contract]
) -> None:
    minimal["verify"].append(
        {
            "name": "in_ns",
            "kind": "http",
            "window": "15m",
            "retry_until": "1h",
            "path": "/record/v1/customer/{{ customer_id }}",
        }
    )
    check = parse(minimal).verify[1]
    assert check.kind == "http"
    assert check.window == timedelta(minutes=15)
