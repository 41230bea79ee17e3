"""Reads behind the GET endpoints: model rows out, no shaping (that is views.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared.db.models import (
    ApprovalAudit,
    DeadLetter,
    EmailJob,
    EmailSend,
    EventRecord,
    NsPendingPush,
    ProposedAction,
    ReflexionEntry,
    VerifyResult,
    WorkflowRun,
    WorkflowRunLog,
    WorkflowRunStep,
)
from cascade.shared.db.statuses import PushStatus

Row = TypeVar("Row")


@dataclass(frozen=True)
class Page:
    """A bounded window of a newest-first list."""

    limit: int
    offset: int


@dataclass(frozen=True)
class ProposalFilter:
    """Optional filters of the proposal list."""

    status: str | None = None
    run_id: uuid.UUID | None = None
    action_type: str | None = None


@dataclass(frozen=True)
class RunBundle:
    """Everything recorded about one run, read from one snapshot."""

    run: WorkflowRun
    steps: Sequence[WorkflowRunStep]
    proposals: Sequence[ProposedAction]
    events: Sequence[EventRecord]
    pushes: Sequence[NsPendingPush]
    verify_results: Sequence[VerifyResult]
    run_log: WorkflowRunLog | None
    reflexion: ReflexionEntry | None
    emails: Sequence[EmailJob] = ()
    audit: Sequence[ApprovalAudit] = ()
    dead_letters: Sequence[DeadLetter] = ()
    sends: Sequence[EmailSend] = ()


async def list_proposals(
    session: AsyncSession, where: ProposalFilter, page: Page
) -> Sequence[ProposedAction]:
    """Proposals matching the filter, newest first."""
    query = select(ProposedAction)
    if where.status is not None:
        query = query.where(ProposedAction.status == where.status)
    if where.run_id is not None:
        query = query.where(ProposedAction.run_id == where.run_id)
    if where.action_type is not None:
        query = query.where(ProposedAction.action_type == where.action_type)
    query = query.order_by(ProposedAction.created_at.desc(), ProposedAction.id.desc())
    return (await session.scalars(query.limit(page.limit).offset(page.offset))).all()


async def proposal_with_audit(
    session: AsyncSession, proposal_id: int
) -> tuple[ProposedAction, Sequence[ApprovalAudit]] | None:
    """One proposal and its audit rows (oldest first), or None."""
    proposal = await session.get(ProposedAction, proposal_id)
    if proposal is None:
        return None
    audit = await session.scalars(
        select(ApprovalAudit)
        .where(ApprovalAudit.proposal_id == proposal_id)
        .order_by(ApprovalAudit.id)
    )
    return proposal, audit.all()


async def list_runs(
    session: AsyncSession, status: str | None, workflow_type: str | None, page: Page
) -> Sequence[WorkflowRun]:
    """Runs matching the filters, newest first."""
    query = select(WorkflowRun)
    if status is not None:
        query = query.where(WorkflowRun.status == status)
    if workflow_type is not None:
        query = query.where(WorkflowRun.workflow_type == workflow_type)
    query = query.order_by(WorkflowRun.requested_at.desc(), WorkflowRun.run_id)
    return (await session.scalars(query.limit(page.limit).offset(page.offset))).all()


async def failed_push_ids(session: AsyncSession, run_id: uuid.UUID) -> list[int]:
    """The run's NetSuite pushes that failed, oldest first."""
    rows = await session.scalars(
        select(NsPendingPush.id)
        .where(NsPendingPush.run_id == run_id, NsPendingPush.status == PushStatus.FAILED)
        .order_by(NsPendingPush.id)
    )
    return list(rows.all())


async def run_bundle(session: AsyncSession, run_id: uuid.UUID) -> RunBundle | None:
    """The run and everything recorded about it, or None for an unknown run."""
    # One snapshot, so steps, pushes and events agree with each other and with the run.
    await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    run = await session.get(WorkflowRun, run_id)
    if run is None:
        return None
    return RunBundle(
        run=run,
        steps=await _all(
            session,
            select(WorkflowRunStep)
            .where(WorkflowRunStep.run_id == run_id)
            .order_by(WorkflowRunStep.started_at.asc().nulls_last(), WorkflowRunStep.step_id),
        ),
        proposals=await _all(
            session,
            select(ProposedAction)
            .where(ProposedAction.run_id == run_id)
            .order_by(ProposedAction.id),
        ),
        events=await _all(
            session,
            select(EventRecord)
            .where(EventRecord.run_id == run_id)
            .order_by(EventRecord.created_at, EventRecord.id),
        ),
        pushes=await _all(
            session,
            select(NsPendingPush).where(NsPendingPush.run_id == run_id).order_by(NsPendingPush.id),
        ),
        verify_results=await _all(
            session,
            select(VerifyResult).where(VerifyResult.run_id == run_id).order_by(VerifyResult.id),
        ),
        run_log=await session.scalar(select(WorkflowRunLog).where(WorkflowRunLog.run_id == run_id)),
        reflexion=await session.scalar(
            select(ReflexionEntry).where(ReflexionEntry.run_id == run_id)
        ),
        emails=await _all(
            session, select(EmailJob).where(EmailJob.run_id == run_id).order_by(EmailJob.id)
        ),
        audit=await _all(
            session,
            select(ApprovalAudit).where(ApprovalAudit.run_id == run_id).order_by(ApprovalAudit.id),
        ),
        # Every message of a run is keyed by its run id (outbox.stage), so is its dead letter.
        dead_letters=await _all(
            session,
            select(DeadLetter).where(DeadLetter.key == str(run_id)).order_by(DeadLetter.id),
        ),
        sends=await _all(
            session, select(EmailSend).where(EmailSend.run_id == run_id).order_by(EmailSend.id)
        ),
    )


async def _all(session: AsyncSession, query: Select[Row]) -> Sequence[Row]:
    return (await session.scalars(query)).all()
