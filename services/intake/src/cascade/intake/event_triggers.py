"""Event triggers: intake consumes each topic a contract's `trigger.sources` names and
starts one run per event, through the same door as every other request."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from cascade.intake.event_records import trigger_envelope
from cascade.intake.message_runs import checked_request, stage_message_run
from cascade.shared.consumer import Handler, IdempotentConsumer, RecordView, use_case_handler
from cascade.shared.contract import Contract
from cascade.shared.envelope import Envelope
from cascade.shared.messaging import subscribe
from cascade.shared.run_requests.staging import RunRequestWork, SqlRunRequestWork
from cascade.shared.run_requests.validation import InputValidator
from cascade.shared.runtime import ServiceRuntime


def started_by_event(topic: str) -> str:
    """What a run started by an event on `topic` records as its starter."""
    return f"event:{topic}"


def event_handler(validate_inputs: InputValidator, topic_prefix: str, topic: str) -> Handler:
    """The handler: `start_event_run` in the consumer's transaction."""
    use_case = partial(
        start_event_run, validate_inputs=validate_inputs, topic_prefix=topic_prefix, topic=topic
    )
    return use_case_handler(SqlRunRequestWork, use_case)


async def start_event_run(
    uow: RunRequestWork,
    envelope: Envelope,
    validate_inputs: InputValidator,
    topic_prefix: str,
    topic: str,
) -> None:
    """Validate the mapped request like any other; stage it under the event's key."""
    request = checked_request(envelope.data, validate_inputs, "event")
    conflict = f"event {envelope.idempotency_key} already started a run with other inputs"
    await stage_message_run(uow, request, envelope, topic_prefix, started_by_event(topic), conflict)


def subscribe_event_triggers(
    runtime: ServiceRuntime,
    contracts: Mapping[str, Contract],
    validate_inputs: InputValidator,
) -> list[str]:
    """One idempotent consumer per event contract and source topic; their names."""
    names: list[str] = []
    prefix = runtime.settings.topic_prefix
    for contract in contracts.values():
        if contract.trigger.kind != "event":
            continue
        for topic in contract.trigger.sources:

            def decode(record: RecordView, c: Contract = contract, t: str = topic) -> Envelope:
                return trigger_envelope(c, t, record)

            consumer = IdempotentConsumer(
                f"intake.event.{contract.workflow_type}.{topic}",
                event_handler(validate_inputs, prefix, topic),
                runtime.session_factory,
                runtime.consumer_policy(),
                decode=decode,
            )
            subscribe(runtime.broker, runtime.settings, topic, consumer)
            names.append(consumer.name)
    return names
