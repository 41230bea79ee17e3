"""The event envelope: CloudEvents 1.0 attributes plus run_id and idempotency_key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cascade.shared.bounded_json import check_json_limits

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
"""Structured-mode CloudEvents: the whole envelope is the record's value."""

MAX_ENVELOPE_BYTES = 1024 * 1024
"""Kafka's default `max.message.bytes`: no envelope we produce comes near it."""


def _now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """One message on any Cascade topic; `type` is the topic's event type."""

    # Tolerant reader: producers may add attributes before consumers know them.
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=200)
    time: datetime = Field(default_factory=_now)
    specversion: Literal["1.0"] = "1.0"
    datacontenttype: Literal["application/json"] = "application/json"
    run_id: uuid.UUID
    idempotency_key: str = Field(min_length=1, max_length=500)
    data: dict[str, Any] = Field(default_factory=dict)

    def to_bytes(self) -> bytes:
        """The wire form: UTF-8 JSON."""
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        """Parse the wire form; raises pydantic.ValidationError or ValueError when malformed.

        Size and depth are bounded before any parser runs, so hostile bytes cost linear time
        and never reach a parser's own recursion limit (RecursionError is not a ValueError).
        """
        check_json_limits(raw, MAX_ENVELOPE_BYTES)
        return cls.model_validate_json(raw)


def new_envelope(
    event_type: str, source: str, run_id: uuid.UUID, data: dict[str, Any], key_suffix: str = ""
) -> Envelope:
    """An envelope whose idempotency key is derived from the event type and run, so a
    producer that emits the same fact twice emits the same key twice."""
    key = f"{event_type}:{run_id}" + (f":{key_suffix}" if key_suffix else "")
    return Envelope(type=event_type, source=source, run_id=run_id, idempotency_key=key, data=data)
