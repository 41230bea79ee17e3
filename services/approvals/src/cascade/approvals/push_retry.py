"""Mike asks ns-pusher to retry a failed NetSuite push: an event through the outbox, audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from cascade.approvals.decisions import SOURCE
from cascade.approvals.unit_of_work import PushActionWork
from cascade.shared.db.models import ApprovalAudit
from cascade.shared.db.statuses import PushStatus
from cascade.shared.envelope import new_envelope
from cascade.shared.topics import Topic, topic_name


class RetryRefused(Exception):
    """The push is unknown, belongs to another run, or is not failed."""


@dataclass(frozen=True)
class RetryRequest:
    """Who asks to retry which push of which run."""

    run_id: uuid.UUID
    push_id: int
    actor: str
    remote_addr: str | None


async def request_retry(uow: PushActionWork, ask: RetryRequest, topic_prefix: str) -> None:
    """Stage `ns.push.retry_requested` with an audit row; ns-pusher does the retry itself."""
    push = await uow.pushes.get(ask.push_id)
    if push is None or push.run_id != ask.run_id:
        raise RetryRefused(f"run {ask.run_id} has no push {ask.push_id}")
    if push.status != PushStatus.FAILED:
        raise RetryRefused(f"push {ask.push_id} is {push.status}; only a failed push retries")
    gate = await uow.proposals.gate_of(ask.run_id)
    if gate is None:
        raise RetryRefused(f"run {ask.run_id} has no proposal to audit the retry under")
    uow.audits.add(
        ApprovalAudit(
            proposal_id=gate.id, run_id=ask.run_id, decision="ns_push_retry_requested",
            actor=ask.actor, payload_sha256=gate.payload_sha256, version=gate.version,
            reason=f"retry of failed NetSuite push {ask.push_id} ({push.external_id})",
            remote_addr=ask.remote_addr,
        )
    )  # fmt: skip
    data = {"push_id": ask.push_id, "requested_by": ask.actor}
    # Every request is its own fact: a later retry of the same push must not be deduplicated.
    envelope = new_envelope(
        Topic.NS_PUSH_RETRY, SOURCE, ask.run_id, data, key_suffix=f"{ask.push_id}:{uuid.uuid4()}"
    )
    uow.stage(topic_name(topic_prefix, Topic.NS_PUSH_RETRY), envelope)
    await uow.commit()
