"""Intake use case: accept a run request once, stage `workflow.requested` in the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared.db.models import IntakeRequest
from cascade.shared.db.rows import insert_of
from cascade.shared.db.uow import AbstractUnitOfWork, BoundUnitOfWork, UnitOfWork
from cascade.shared.envelope import new_envelope
from cascade.shared.payloads import WorkflowRequested
from cascade.shared.run_requests.admin import ADMIN_KEY_PREFIX
from cascade.shared.run_requests.validation import RunRequest, request_digest
from cascade.shared.topics import Topic, topic_name

SOURCE = "cascade.intake"


@dataclass(frozen=True)
class Accepted:
    """The run a request was accepted as; `replayed` when the key had been seen."""

    run_id: uuid.UUID
    replayed: bool


TRIGGER_KEY_PREFIXES = ("event:", "cron:", ADMIN_KEY_PREFIX, "agent:")
"""Idempotency keys of runs started by triggers, by Mike's Execute form and by AI agents (the
MCP gateway): a client's key may not take one, or it could claim an event's, a tick's, Mike's
or an agent's run before its starter does."""

STARTED_BY_AGENT = "agent:"
"""`started_by` of a run an agent started through the MCP gateway (`agent:<name>`). Only
the gateway's authenticated path sets it; intake's own paths name themselves (api, form,
event:, cron:, upstream:, admin:), so nobody posting to intake can pass as an agent."""


def agent_started_by(agent_name: str) -> str:
    """The `started_by` of an agent's run."""
    return f"{STARTED_BY_AGENT}{agent_name}"


def reserved_key(key: str) -> bool:
    """Whether a client-supplied key is one only a trigger may use."""
    return key.startswith(TRIGGER_KEY_PREFIXES)


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used for a different request."""


class IntakeRequests(Protocol):
    """`intake_requests`: the idempotency keys runs were requested under."""

    async def add_if_new(self, request: IntakeRequest) -> bool:
        """Claim the request's key; False when it was claimed before."""
        ...

    async def get(self, idempotency_key: str) -> IntakeRequest:
        """The request a claimed key was used for."""
        ...


class RunRequestWork(AbstractUnitOfWork, Protocol):
    """What starting a run touches: the keys, and the outbox."""

    intake_requests: IntakeRequests


class SqlIntakeRequests:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_if_new(self, request: IntakeRequest) -> bool:
        claimed = await self._session.execute(
            insert_of(request).on_conflict_do_nothing().returning(IntakeRequest.run_id)
        )
        return claimed.first() is not None

    async def get(self, idempotency_key: str) -> IntakeRequest:
        return (
            await self._session.execute(
                select(IntakeRequest).where(IntakeRequest.idempotency_key == idempotency_key)
            )
        ).scalar_one()


class SqlRunRequestWork(BoundUnitOfWork):
    """`RunRequestWork` in PostgreSQL, inside an open `UnitOfWork`."""

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self.intake_requests: IntakeRequests = SqlIntakeRequests(uow.session)


async def accept_run(
    uow: RunRequestWork,
    request: RunRequest,
    idempotency_key: str | None,
    topic_prefix: str,
    started_by: str,
) -> Accepted:
    """Stage the run's request event and commit; a repeated key returns the first run."""
    accepted = await stage_run(uow, request, idempotency_key, topic_prefix, started_by)
    if not accepted.replayed:
        await uow.commit()
    return accepted


async def stage_run(
    uow: RunRequestWork,
    request: RunRequest,
    idempotency_key: str | None,
    topic_prefix: str,
    started_by: str,
    run_id: uuid.UUID | None = None,
) -> Accepted:
    """The one way a run is started, whatever started it (the API, the form, an event, a
    cron tick): claim the idempotency key, stage `workflow.requested` in the outbox of the
    caller's open transaction (the caller commits, with whatever else it claimed: an inbox
    key, a cron tick). `request` is already validated (`validation.check_request`);
    `started_by` names the path it came in on and is recorded on the run; `run_id`, when
    given, is derived from the key by the caller (an event names the same run however often
    it is delivered), a new one otherwise.

    A key seen before returns its run (`replayed`) when the request is the same, and raises
    IdempotencyConflict when it is not.
    """
    run_id = run_id or uuid.uuid4()
    if idempotency_key is not None:
        digest = request_digest(request)
        claim = IntakeRequest(idempotency_key=idempotency_key, run_id=run_id, request_sha256=digest)
        if not await uow.intake_requests.add_if_new(claim):
            return await _replay(uow, idempotency_key, digest)
    payload = WorkflowRequested(
        workflow_type=request.workflow_type,
        inputs=request.inputs,
        source=request.source,
        client_idempotency_key=idempotency_key,
        started_by=started_by,
    )
    envelope = new_envelope(
        Topic.WORKFLOW_REQUESTED, SOURCE, run_id, payload.model_dump(mode="json")
    )
    uow.stage(topic_name(topic_prefix, Topic.WORKFLOW_REQUESTED), envelope)
    return Accepted(run_id=run_id, replayed=False)


async def _replay(uow: RunRequestWork, idempotency_key: str, digest: str) -> Accepted:
    existing = await uow.intake_requests.get(idempotency_key)
    if existing.request_sha256 != digest:
        raise IdempotencyConflict(idempotency_key)
    return Accepted(run_id=existing.run_id, replayed=True)
