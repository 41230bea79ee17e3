"""Unit tests of the event envelope and the topic registry: no IO."""

from __future__ import annotations

import json
import uuid

import pytest
from pydantic import ValidationError

from cascade.shared.envelope import MAX_ENVELOPE_BYTES, Envelope, new_envelope
from cascade.shared.topics import Topic, all_topic_names, dlq_name, topic_name


def test_round_trip_keeps_every_attribute() -> None:
    run_id = uuid.uuid4()
    envelope = new_envelope(Topic.WORKFLOW_REQUESTED, "cascade.intake", run_id, {"a": 1})
    again = Envelope.from_bytes(envelope.to_bytes())
    assert again == envelope
    wire = json.loads(envelope.to_bytes())
    assert {"id", "type", "source", "time", "specversion", "run_id", "idempotency_key"} <= set(wire)
    assert wire["specversion"] == "1.0"


def test_idempotency_key_is_derived_from_type_and_run() -> None:
    run_id = uuid.uuid4()
    first = new_envelope(Topic.WORKFLOW_COMPLETED, "runner", run_id, {})
    second = new_envelope(Topic.WORKFLOW_COMPLETED, "runner", run_id, {"other": True})
    assert first.id != second.id
    assert first.idempotency_key == second.idempotency_key == f"workflow.completed:{run_id}"


def test_tolerant_reader_ignores_unknown_attributes() -> None:
    wire = json.loads(new_envelope("x.y", "s", uuid.uuid4(), {}).to_bytes())
    wire["added_later"] = "by a newer producer"
    assert Envelope.from_bytes(json.dumps(wire).encode()).type == "x.y"


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"\xff\xfe", b"{}", b'{"type": "x", "source": "s", "run_id": "nope"}'],
)
def test_malformed_wire_forms_are_rejected(raw: bytes) -> None:
    with pytest.raises((ValidationError, ValueError)):
        Envelope.from_bytes(raw)


def test_topic_names_and_dead_letter_topics() -> None:
    names = all_topic_names("t1.")
    assert "t1.workflow.requested" in names
    assert "t1.workflow.requested.dlq" in names
    assert len(names) == 2 * len(Topic)
    assert topic_name("", Topic.NS_PUSH) == "ns.push"
    assert dlq_name("ns.push") == "ns.push.dlq"


def test_deep_or_huge_input_is_a_value_error_not_a_recursion_error() -> None:
    for raw in (b"[" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        with pytest.raises(ValueError, match="deeper"):
            Envelope.from_bytes(raw)
    with pytest.raises(ValueError, match="exceeds"):
        Envelope.from_bytes(b" " * (MAX_ENVELOPE_BYTES + 1))
