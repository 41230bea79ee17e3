"""Mike starts a run from the Execute form: an audit row and a run request in the outbox, in
one transaction; intake starts the run (`intake.admin_requested`), approvals never does.

The form's key names the run (`run_requests.admin`): the audit row is unique per run, so a
double submit of the same form finds it and starts nothing more."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from cascade.approvals.decisions import SOURCE
from cascade.approvals.repositories import RUN_STARTED
from cascade.approvals.unit_of_work import RunStartWork
from cascade.shared.contract import Contract
from cascade.shared.db.models import ApprovalAudit
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import AdminRunRequested
from cascade.shared.run_requests.admin import admin_key, admin_run_id
from cascade.shared.run_requests.validation import RunRequest, request_digest
from cascade.shared.topics import Topic, topic_name


class FormAlreadyUsed(Exception):
    """This form's key already started a run with other values."""


@dataclass(frozen=True)
class StartRequest:
    """Who starts which checked request of which contract, from which rendered form."""

    form_key: uuid.UUID
    contract: Contract
    request: RunRequest
    actor: str
    remote_addr: str | None


@dataclass(frozen=True)
class Started:
    """The run the form names; `replayed` when the form had been sent before."""

    run_id: uuid.UUID
    replayed: bool


async def start_run(uow: RunStartWork, ask: StartRequest, topic_prefix: str) -> Started:
    """Audit the start and stage the run request, or find the start this form already made."""
    key = admin_key(ask.form_key)
    run_id = admin_run_id(key)
    digest = request_digest(ask.request)
    start = ApprovalAudit(
        proposal_id=None, run_id=run_id, decision=RUN_STARTED, actor=ask.actor,
        # A start has one version, what was sent; its hash is the request's.
        payload_sha256=digest, version=1, remote_addr=ask.remote_addr,
        reason=f"{ask.contract.title} ({ask.contract.workflow_type})",
    )  # fmt: skip
    if not await uow.run_starts.add_if_new(start):
        first = await uow.run_starts.of_run(run_id)
        if first is None or first.payload_sha256 != digest:
            raise FormAlreadyUsed(key)
        return Started(run_id, replayed=True)
    data = AdminRunRequested(request=ask.request.model_dump(), requested_by=ask.actor)
    envelope = Envelope(
        type=Topic.INTAKE_ADMIN_REQUESTED, source=SOURCE, run_id=run_id,
        idempotency_key=key, data=data.model_dump(),
    )  # fmt: skip
    uow.stage(topic_name(topic_prefix, Topic.INTAKE_ADMIN_REQUESTED), envelope)
    await uow.commit()
    return Started(run_id, replayed=False)
