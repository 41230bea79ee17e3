"""`intake.requested`: upstream systems ask for runs over Kafka instead of HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from cascade.shared.consumer import RejectMessage
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.outbox import stage
from cascade.shared.payloads import WorkflowRequested
from cascade.shared.run_requests.staging import SOURCE
from cascade.shared.run_requests.validation import InputValidator, check_request
from cascade.shared.topics import Topic, topic_name

# Run ids of upstream requests are derived from their idempotency key, so the same request
# published twice names the same run even before the inbox sees it.
RUN_NAMESPACE = uuid.UUID("5d1f0f5e-8a43-4c1e-9a55-6f0c2f1c9b10")


def upstream_handler(
    validate_inputs: InputValidator, topic_prefix: str
) -> Callable[[Envelope, UnitOfWork], Awaitable[None]]:
    """A handler that validates an upstream request and stages `workflow.requested`."""

    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        # The same check as the API and the form: a value refused there is refused here.
        request = check_request(envelope.data, validate_inputs)
        if isinstance(request, list):
            detail = "; ".join(f"{p.field}: {p.message}" for p in request)
            raise RejectMessage(f"invalid request: {detail}")
        run_id = uuid.uuid5(RUN_NAMESPACE, envelope.idempotency_key)
        payload = WorkflowRequested(
            workflow_type=request.workflow_type,
            inputs=request.inputs,
            source=request.source or envelope.source,
            client_idempotency_key=envelope.idempotency_key[:200],
            started_by=f"upstream:{envelope.source}"[:200],
        )
        out = new_envelope(
            Topic.WORKFLOW_REQUESTED, SOURCE, run_id, payload.model_dump(mode="json")
        )
        stage(uow.session, topic_name(topic_prefix, Topic.WORKFLOW_REQUESTED), out)

    return handle
