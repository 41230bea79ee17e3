"""An outside system's event on a trigger topic, read into a run request (pure).

Three shapes are accepted on the same topic, told apart per record:
- CloudEvents binary mode: attributes in `ce_*` Kafka headers, the record's value is `data`;
- CloudEvents structured mode: the value is a JSON envelope (`specversion`, `id`, `source`,
  `type`, `data`);
- plain JSON: the value is the data itself, its id where the contract's `trigger.id_from`
  points.

The CloudEvents SDK parses both CloudEvents modes (and checks the required attributes); the
contract's `inputs_from` JSONPaths pick the inputs out of the data. Whatever is wrong with a
record raises RejectMessage with the reason: the consumer dead-letters it at once.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import jsonpath_rfc9535
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.exceptions import BaseCloudEventException

from cascade.shared.bounded_json import JsonLimitError, check_json_limits
from cascade.shared.consumer import RecordView, RejectMessage
from cascade.shared.contract import Contract
from cascade.shared.envelope import MAX_ENVELOPE_BYTES, Envelope

EVENT_RUN_NAMESPACE = uuid.UUID("0b6f7f55-3d0e-4d5c-9a9a-1f3c2a7e6d41")
"""Run ids of event-started runs are derived from their idempotency key: the same event
names the same run however often it is delivered."""

MAX_KEY = 200
"""The idempotency key's limit (intake_requests); longer ones are hashed."""

Mode = Literal["binary", "structured", "plain"]


@dataclass(frozen=True)
class TriggerEvent:
    """What the run needs from one event: its id and source (together: the idempotency
    key), the shape it came in and its data."""

    event_id: str
    source: str
    mode: Mode
    data: Any


def _headers(record: RecordView) -> dict[str, bytes]:
    return {name.lower(): value for name, value in record.headers}


def _decoded(value: bytes) -> Any:
    try:
        check_json_limits(value, MAX_ENVELOPE_BYTES)
        return json.loads(value)
    except JsonLimitError as exc:
        raise RejectMessage(f"event too large or too deep: {exc}") from None
    except ValueError as exc:
        raise RejectMessage(f"event is not JSON: {exc}") from None


def _cloudevent(record: RecordView, headers: dict[str, bytes]) -> BaseCloudEvent:
    message = ce_kafka.KafkaMessage(headers=headers, key=record.key, value=record.value)
    try:
        return ce_kafka.from_kafka_event(message)
    except (BaseCloudEventException, ValueError, TypeError, KeyError) as exc:
        raise RejectMessage(f"invalid CloudEvent: {exc}") from None


def read_event(record: RecordView, id_from: str | None) -> TriggerEvent:
    """The event in `record`, in whichever of the three shapes it came."""
    headers = _headers(record)
    if any(name.startswith("ce_") for name in headers):
        if not headers.get("ce_id"):
            raise RejectMessage("invalid CloudEvent: binary mode without a ce_id header")
        # The value is the data; bounded before any parser sees it.
        _decoded(record.value)
        event = _cloudevent(record, headers)
        return TriggerEvent(event.get_id(), event.get_source(), "binary", _data(event))
    document = _decoded(record.value)
    if isinstance(document, dict) and "specversion" in document:
        if not isinstance(document.get("id"), str) or not document["id"]:
            # The SDK would make one up: a redelivery would then start a second run.
            raise RejectMessage("invalid CloudEvent: structured mode without an id")
        event = _cloudevent(record, headers)
        return TriggerEvent(event.get_id(), event.get_source(), "structured", _data(event))
    if id_from is None:
        raise RejectMessage(
            "plain JSON event, but the contract declares no trigger.id_from; "
            "send a CloudEvent or declare where the event id is"
        )
    found = jsonpath_rfc9535.find_one(id_from, document)
    event_id = found.value if found is not None else None
    if isinstance(event_id, bool) or not isinstance(event_id, str | int) or event_id == "":
        raise RejectMessage(f"plain JSON event without an id at {id_from} (a string or integer)")
    return TriggerEvent(str(event_id), record.topic, "plain", document)


def _data(event: BaseCloudEvent) -> Any:
    data = event.get_data()
    if isinstance(data, bytes | bytearray):
        try:
            return json.loads(data)
        except ValueError:
            raise RejectMessage("CloudEvent data is not JSON") from None
    return data


def map_inputs(inputs_from: Mapping[str, str], data: Any) -> dict[str, Any]:
    """The contract's inputs picked out of the event's data; a path that finds nothing
    leaves its input out (its default applies, or validation names it as missing)."""
    inputs: dict[str, Any] = {}
    for name, path in inputs_from.items():
        node = jsonpath_rfc9535.find_one(path, data)
        if node is not None:
            inputs[name] = node.value
    return inputs


def idempotency_key(workflow_type: str, event: TriggerEvent) -> str:
    """One key per contract and event: CloudEvents are unique by source + id, plain JSON
    events by their topic + id."""
    key = f"event:{workflow_type}:{event.source}:{event.event_id}"
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(f"{event.source}\x00{event.event_id}".encode()).hexdigest()
    return f"event:{workflow_type}:sha256:{digest}"


def trigger_envelope(contract: Contract, topic: str, record: RecordView) -> Envelope:
    """The record as the envelope the consumer claims (its key: the event's), carrying the
    run request for the handler to validate like any other (`validation.check_request`)."""
    event = read_event(record, contract.trigger.id_from)
    key = idempotency_key(contract.workflow_type, event)
    request = {
        "workflow_type": contract.workflow_type,
        "inputs": map_inputs(contract.trigger.inputs_from, event.data),
        "source": event.source[:200],
    }
    return Envelope(
        type=topic,
        source=event.source[:200] or topic,
        run_id=uuid.uuid5(EVENT_RUN_NAMESPACE, key),
        idempotency_key=key,
        data=request,
    )
