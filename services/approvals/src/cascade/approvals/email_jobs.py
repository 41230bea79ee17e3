"""`email_jobs`: approved emails as a leased job table (`cascade.shared.leased_jobs`).

The `proposal.approved` consumer only enqueues a row (in its inbox transaction); the email
pollers claim due rows, send outside any transaction and record the outcome fenced by the
lease (see email_worker.py). Mike's Resend puts a failed email back in the queue, audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared.db.models import ApprovalAudit, EmailJob, ProposedAction
from cascade.shared.db.rows import Rows
from cascade.shared.db.statuses import EmailJobStatus
from cascade.shared.db.uow import AbstractUnitOfWork
from cascade.shared.leased_jobs import (
    ClaimedJob,
    JobTable,
    requeue_failed,
    wake_due,
    write_fenced,
)


@dataclass(frozen=True, kw_only=True)
class ClaimedEmail(ClaimedJob):
    """An email this poller holds (`claim_jobs(..., EMAILS, ...)`); round 0
    follows the approval, later ones are Resends."""

    proposal_id: int
    run_id: uuid.UUID
    recipient: str
    message_id: str
    payload_sha256: str

    def __str__(self) -> str:
        return f"email of proposal {self.proposal_id} ({self.message_id}, attempt {self.attempt})"


EMAILS = JobTable(
    model=EmailJob,
    running=EmailJobStatus.SENDING,
    waiting=(EmailJobStatus.QUEUED, EmailJobStatus.RETRYING),
    claimed=ClaimedEmail,
)


async def enqueue(session: AsyncSession, proposal: ProposedAction, message_id: str) -> bool:
    """Queue the approved email of `proposal`, due now (this process's email worker woken by
    the commit); False when it was queued before."""
    wake_due(session, EMAILS)
    stmt = (
        insert(EmailJob)
        .values(
            proposal_id=proposal.id, run_id=proposal.run_id, version=proposal.version,
            payload_sha256=proposal.payload_sha256, recipient=str(proposal.payload["to"]),
            message_id=message_id, status=EmailJobStatus.QUEUED, attempts=0,
            next_attempt_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=[EmailJob.proposal_id])
        .returning(EmailJob.id)
    )  # fmt: skip
    return (await session.execute(stmt)).first() is not None


async def email_job(session: AsyncSession, proposal_id: int) -> EmailJob | None:
    """The email job of a proposal, if it was approved and queued."""
    return await session.scalar(select(EmailJob).where(EmailJob.proposal_id == proposal_id))


class EmailJobs(Protocol):
    """`email_jobs`, the approved emails' job table."""

    async def enqueue(self, proposal: ProposedAction, message_id: str) -> bool:
        """Queue the approved email (`enqueue`); False when it was queued before."""
        ...

    async def of_proposal(self, proposal_id: int) -> EmailJob | None:
        """The proposal's email job, if it was approved and queued."""
        ...

    async def requeue_failed(self, job_id: int, max_attempts: int) -> bool:
        """A new round of attempts for a failed email; False unless it failed."""
        ...

    async def write_fenced(
        self, job_id: int, lease_until: datetime, values: Mapping[str, Any]
    ) -> bool:
        """Write a claimed job's outcome while the lease is still ours; False if it is not."""
        ...


class SqlEmailJobs:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def enqueue(self, proposal: ProposedAction, message_id: str) -> bool:
        return await enqueue(self._session, proposal, message_id)

    async def of_proposal(self, proposal_id: int) -> EmailJob | None:
        return await email_job(self._session, proposal_id)

    async def requeue_failed(self, job_id: int, max_attempts: int) -> bool:
        queued = EmailJobStatus.QUEUED
        return await requeue_failed(self._session, EMAILS, job_id, max_attempts, queued)

    async def write_fenced(
        self, job_id: int, lease_until: datetime, values: Mapping[str, Any]
    ) -> bool:
        return await write_fenced(self._session, EMAILS, job_id, lease_until, values)


class ResendWork(AbstractUnitOfWork, Protocol):
    """What Mike's Resend touches: the email jobs, and the audit trail."""

    email_jobs: EmailJobs
    audits: Rows[ApprovalAudit]


class ResendRefused(Exception):
    """The email is unknown or not failed (only a failed email is sent again)."""


@dataclass(frozen=True)
class ResendRequest:
    """Who asks to send which proposal's failed email again."""

    proposal_id: int
    actor: str
    remote_addr: str | None


async def resend(uow: ResendWork, ask: ResendRequest, max_attempts: int) -> None:
    """Put a failed email back in the queue for a new round of attempts, with an audit row."""
    job = await uow.email_jobs.of_proposal(ask.proposal_id)
    if job is None:
        raise ResendRefused(f"proposal {ask.proposal_id} has no approved email")
    if not await uow.email_jobs.requeue_failed(job.id, max_attempts):
        raise ResendRefused(f"the email is {job.status}; only a failed email is resent")
    uow.audits.add(
        ApprovalAudit(
            proposal_id=ask.proposal_id, run_id=job.run_id, decision="email_resend_requested",
            actor=ask.actor, payload_sha256=job.payload_sha256, version=job.version,
            reason=f"resend of failed email {job.message_id}: {job.last_error}"[:2000],
            remote_addr=ask.remote_addr,
        )
    )  # fmt: skip
    await uow.commit()
