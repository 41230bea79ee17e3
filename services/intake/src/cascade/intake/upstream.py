"""`intake.requested`: upstream systems ask for runs over Kafka instead of HTTP."""

from __future__ import annotations

import uuid

from cascade.intake.message_runs import checked_request
from cascade.shared.consumer import Handler
from cascade.shared.db.uow import AbstractUnitOfWork, UnitOfWork
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.payloads import WorkflowRequested
from cascade.shared.run_requests.staging import SOURCE
from cascade.shared.run_requests.validation import InputValidator
from cascade.shared.topics import Topic, topic_name

# Run ids of upstream requests are derived from their idempotency key, so the same request
# published twice names the same run even before the inbox sees it.
RUN_NAMESPACE = uuid.UUID("5d1f0f5e-8a43-4c1e-9a55-6f0c2f1c9b10")


def upstream_handler(validate_inputs: InputValidator, topic_prefix: str) -> Handler:
    """The handler: `start_upstream_run` in the consumer's transaction."""

    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        await start_upstream_run(uow, envelope, validate_inputs, topic_prefix)

    return handle


async def start_upstream_run(
    uow: AbstractUnitOfWork, envelope: Envelope, validate_inputs: InputValidator, topic_prefix: str
) -> None:
    """Validate an upstream request and stage its `workflow.requested`, for the run its
    message's key names (no `intake_requests` row: a repeat names the same run)."""
    # The same check as the API and the form: a value refused there is refused here.
    request = checked_request(envelope.data, validate_inputs, "request")
    run_id = uuid.uuid5(RUN_NAMESPACE, envelope.idempotency_key)
    payload = WorkflowRequested(
        workflow_type=request.workflow_type,
        inputs=request.inputs,
        source=request.source or envelope.source,
        client_idempotency_key=envelope.idempotency_key[:200],
        started_by=f"upstream:{envelope.source}"[:200],
    )
    out = new_envelope(Topic.WORKFLOW_REQUESTED, SOURCE, run_id, payload.model_dump(mode="json"))
    uow.stage(topic_name(topic_prefix, Topic.WORKFLOW_REQUESTED), out)
