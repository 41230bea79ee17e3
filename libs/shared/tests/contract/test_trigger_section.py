"""The trigger section's new fields: the event mapping (`inputs_from`, `id_from`), the cron
schedule and `catch_up`; each mistake names its path and what was expected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cascade.shared.contract import (
    DEFAULT_CATCH_UP,
    Contract,
    contract_text,
    event_sources,
    load_contracts,
    render_svg,
)

Doc = dict[str, Any]
ErrorsOf = Callable[[Doc], list[str]]

EVENT = {
    "kind": "event",
    "sources": ["price.changed"],
    "invoker": "pricing",
    "inputs_from": {"name": "$.customer.name", "email": "$.contact['email']"},
    "id_from": "$.event_id",
}
CRON = {"kind": "cron", "sources": ["scheduler"], "invoker": "intake", "schedule": "0 8 * * 1-5"}


def _optional_name(doc: Doc) -> None:
    doc["inputs"][0] = {
        "name": "name",
        "required": False,
        "type": "string",
        "max_length": 50,
        "default": "x",
    }


def test_event_trigger_with_mapping_loads(minimal: Doc, parse: Callable[[Doc], Contract]) -> None:
    minimal["trigger"] = EVENT
    trigger = parse(minimal).trigger
    assert trigger.inputs_from == EVENT["inputs_from"]
    assert trigger.id_from == "$.event_id"
    assert event_sources([trigger, trigger]) == ["price.changed"]


def test_cron_trigger_defaults_to_catch_up_latest(
    minimal: Doc, parse: Callable[[Doc], Contract]
) -> None:
    minimal["trigger"] = CRON
    _optional_name(minimal)
    trigger = parse(minimal).trigger
    assert trigger.catch_up is None
    assert trigger.catch_up_policy == DEFAULT_CATCH_UP == "latest"
    minimal["trigger"] = {**CRON, "catch_up": "all"}
    assert parse(minimal).trigger.catch_up_policy == "all"


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        (
            {**EVENT, "inputs_from": {"name": "customer.name", "email": "$.e"}},
            "trigger.inputs_from.name: expected a JSONPath like $.price.amount",
        ),
        (
            {**EVENT, "inputs_from": {"name": "$.lines[*].name", "email": "$.e"}},
            "trigger.inputs_from.name: expected a JSONPath naming one value",
        ),
        (
            {**EVENT, "inputs_from": {"name": "$..name", "email": "$.e"}},
            "expected a JSONPath naming one value",
        ),
        ({**EVENT, "id_from": "$[?@.id]"}, "trigger.id_from: expected a JSONPath naming one"),
        (
            {**EVENT, "inputs_from": {"name": "$.n", "nmae": "$.e"}},
            "trigger.inputs_from.nmae: unknown input 'nmae'; expected one of ['email', 'name']",
        ),
        (
            {**EVENT, "inputs_from": {"email": "$.e"}},
            "trigger.inputs_from: required inputs ['name'] have no JSONPath",
        ),
        ({**EVENT, "inputs_from": {}}, "trigger: an event trigger needs inputs_from"),
        ({**EVENT, "catch_up": "all"}, "catch_up is not allowed for event triggers"),
        ({**CRON, "inputs_from": {"name": "$.n"}}, "inputs_from is not allowed for cron"),
        ({**CRON, "id_from": "$.id"}, "id_from is not allowed for cron triggers"),
        (
            {**CRON, "catch_up": "some"},
            "trigger.catch_up: expected 'latest', 'all' or 'none', got 'some'",
        ),
        ({**CRON, "schedule": "0 25 * * *"}, "expected a five-field cron expression"),
        ({**CRON, "schedule": "every morning"}, "expected a five-field cron expression"),
        ({**CRON, "schedule": None}, "a cron trigger needs schedule"),
        (CRON, "a cron run has no one to give it inputs, so inputs ['name'] cannot be required"),
    ],
)
def test_broken_triggers(trigger: Doc, expected: str, minimal: Doc, errors_of: ErrorsOf) -> None:
    minimal["trigger"] = {k: v for k, v in trigger.items() if v is not None}
    errors = errors_of(minimal)
    assert any(expected in e for e in errors), errors


def test_show_and_graph_name_the_mapping_and_the_schedule() -> None:
    contracts = load_contracts(Path(__file__).resolve().parents[4] / "contracts")
    price, digest = contracts["price_changed"], contracts["stale_proposals_digest"]
    assert "new_price                  <- event $.new_price" in contract_text(price)
    assert "plain JSON $.event_id" in contract_text(price)
    assert "maps 6 inputs from the event" in render_svg(price)
    assert "schedule 0 8 * * 1-5 UTC · catch_up latest" in contract_text(digest)
    svg = render_svg(digest)
    assert "schedule: 0 8 * * 1-5 UTC" in svg
    assert "catch_up: latest" in svg
