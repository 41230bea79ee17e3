"""Reading an outside system's event into a run request: the three shapes, the mapping, and
every way a record is refused (pure: no Kafka, no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cascade.intake.event_records import (
    idempotency_key,
    map_inputs,
    read_event,
    trigger_envelope,
)
from cascade.shared.consumer import RecordView, RejectMessage
from cascade.shared.contract import load_contracts
from cascade.shared.run_requests.catalog import contract_input_validator
from cascade.shared.run_requests.validation import RunRequest, check_request

CONTRACTS = load_contracts(Path(__file__).resolve().parents[3] / "contracts")
PRICE = CONTRACTS["price_changed"]
DATA = {
    "item_id": "ITEM-1",
    "pricing_tier": "gold",
    "new_price": "12.5000",
    "effective_date": "2026-12-01",
}


def _record(value: Any, headers: dict[str, str] | None = None) -> RecordView:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    encoded = tuple((k, v.encode()) for k, v in (headers or {}).items())
    return RecordView("t1.price.changed", 0, 3, None, raw, encoded)


def _structured(**overrides: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": "evt-1",
        "source": "/pricing",
        "type": "com.example.price.changed",
        "datacontenttype": "application/json",
        "data": DATA,
        **overrides,
    }


BINARY_HEADERS = {
    "ce_specversion": "1.0",
    "ce_id": "evt-2",
    "ce_source": "/pricing",
    "ce_type": "com.example.price.changed",
    "content-type": "application/json",
}


def test_structured_cloudevent() -> None:
    event = read_event(_record(_structured()), PRICE.trigger.id_from)
    assert (event.event_id, event.source, event.mode, event.data) == (
        "evt-1",
        "/pricing",
        "structured",
        DATA,
    )


def test_binary_cloudevent() -> None:
    event = read_event(_record(DATA, BINARY_HEADERS), PRICE.trigger.id_from)
    assert (event.event_id, event.source, event.mode, event.data) == (
        "evt-2",
        "/pricing",
        "binary",
        DATA,
    )


def test_plain_json_takes_its_id_from_the_declared_path() -> None:
    event = read_event(_record({**DATA, "event_id": 77}), "$.event_id")
    assert (event.event_id, event.source, event.mode) == ("77", "t1.price.changed", "plain")


def test_envelope_carries_the_mapped_request_and_the_events_key() -> None:
    envelope = trigger_envelope(PRICE, "price.changed", _record(_structured()))
    assert envelope.idempotency_key == "event:price_changed:/pricing:evt-1"
    assert envelope.data == {"workflow_type": "price_changed", "inputs": DATA, "source": "/pricing"}
    again = trigger_envelope(PRICE, "price.changed", _record(_structured()))
    assert again.run_id == envelope.run_id, "the same event names the same run"
    request = check_request(envelope.data, contract_input_validator(CONTRACTS))
    assert isinstance(request, RunRequest)


def test_same_event_in_binary_and_structured_mode_is_one_key() -> None:
    binary = trigger_envelope(
        PRICE, "price.changed", _record(DATA, {**BINARY_HEADERS, "ce_id": "evt-1"})
    )
    structured = trigger_envelope(PRICE, "price.changed", _record(_structured()))
    assert binary.idempotency_key == structured.idempotency_key


def test_mapping_follows_nested_paths_and_leaves_absent_ones_out() -> None:
    data = {"price": {"amount": 3, "lines": [{"sku": "A"}]}, "tier": None}
    paths = {"amount": "$.price.amount", "sku": "$.price.lines[0].sku", "tier": "$.tier"}
    assert map_inputs(paths, data) == {"amount": 3, "sku": "A", "tier": None}
    assert map_inputs({"missing": "$.price.currency", "deep": "$.nope.x"}, data) == {}


def test_a_missing_required_input_is_refused_by_validation_with_its_name() -> None:
    partial = {k: v for k, v in DATA.items() if k != "item_id"}
    envelope = trigger_envelope(PRICE, "price.changed", _record(_structured(data=partial)))
    problems = check_request(envelope.data, contract_input_validator(CONTRACTS))
    assert isinstance(problems, list)
    assert [p.field for p in problems] == ["inputs.item_id"]


def test_long_keys_are_hashed_within_the_limit() -> None:
    event = read_event(_record(_structured(id="x" * 300)), None)
    key = idempotency_key("price_changed", event)
    assert len(key) <= 200
    assert key.startswith("event:price_changed:sha256:")
    assert key == idempotency_key("price_changed", event)


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (_record(b"not json"), "event is not JSON"),
        (_record(b"[" * 100 + b"]" * 100), "too large or too deep"),
        (_record({k: v for k, v in _structured().items() if k != "id"}), "without an id"),
        (_record(_structured(specversion="0.1")), "invalid CloudEvent"),
        (_record({k: v for k, v in _structured().items() if k != "source"}), "invalid CloudEvent"),
        (_record(DATA, {k: v for k, v in BINARY_HEADERS.items() if k != "ce_id"}), "ce_id"),
        (
            _record(DATA, {k: v for k, v in BINARY_HEADERS.items() if k != "ce_type"}),
            "invalid CloudEvent",
        ),
        (_record(b"{oops", BINARY_HEADERS), "event is not JSON"),
        (_record(DATA), "without an id at $.event_id"),
        (_record({**DATA, "event_id": ""}), "without an id"),
        (_record({**DATA, "event_id": True}), "without an id"),
        (_record({**DATA, "event_id": {"a": 1}}), "without an id"),
    ],
)
def test_refused_records_say_why(record: RecordView, reason: str) -> None:
    with pytest.raises(RejectMessage, match=reason.replace("$", r"\$").replace("(", r"\(")):
        trigger_envelope(PRICE, "price.changed", record)


def test_plain_json_needs_a_declared_id() -> None:
    with pytest.raises(RejectMessage, match=r"declares no trigger\.id_from"):
        read_event(_record({**DATA, "event_id": "1"}), None)
