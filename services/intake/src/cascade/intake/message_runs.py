"""Runs asked for by a Kafka message (upstream systems, event triggers, Mike's Execute form):
checked with the rules of every path, started through the one door; a message that can never
start a run is dead-lettered at once, with the reason (`RejectMessage`)."""

from __future__ import annotations

from typing import Any

from cascade.shared.consumer import RejectMessage
from cascade.shared.envelope import Envelope
from cascade.shared.run_requests.staging import IdempotencyConflict, RunRequestWork, stage_run
from cascade.shared.run_requests.validation import InputValidator, RunRequest, check_request


def checked_request(document: Any, validate_inputs: InputValidator, what: str) -> RunRequest:
    """The request a message carries (`check_request`); refused as an invalid `what`."""
    request = check_request(document, validate_inputs)
    if isinstance(request, list):
        detail = "; ".join(f"{p.field}: {p.message}" for p in request)
        raise RejectMessage(f"invalid {what}: {detail}")
    return request


async def stage_message_run(
    uow: RunRequestWork,
    request: RunRequest,
    envelope: Envelope,
    topic_prefix: str,
    started_by: str,
    conflict: str,
) -> None:
    """Stage the run under the message's key and run id (`stage_run`); a key that started a
    run with other inputs is refused with `conflict`."""
    try:
        await stage_run(
            uow, request, envelope.idempotency_key, topic_prefix, started_by,
            run_id=envelope.run_id,
        )  # fmt: skip
    except IdempotencyConflict:
        raise RejectMessage(conflict) from None
