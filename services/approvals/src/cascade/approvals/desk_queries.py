"""Reads behind the decision desk: the pending queue around a proposal, the runner's
reminder, and the customers a blocked run collided with."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.approvals.proposal_view import EXTERNAL_ID_PREFIX, REMINDER_REASON
from cascade.shared.db.models import Customer, EventRecord, ProposedAction, WorkflowRun
from cascade.shared.db.statuses import ProposalStatus
from cascade.shared.normalize import normalize_company_name, normalize_email


@dataclass(frozen=True)
class Neighbours:
    """The pending proposals before and after one, in queue order (oldest waiting first)."""

    previous: int | None
    next: int | None


async def neighbours(session: AsyncSession, created_at: datetime, proposal_id: int) -> Neighbours:
    """The pending proposals just before and just after (created_at, id) in the queue."""
    p = ProposedAction
    here = tuple_(p.created_at, p.id)
    mark = tuple_(created_at, proposal_id)
    before = await session.scalar(
        select(p.id)
        .where(p.status == ProposalStatus.PENDING, here < mark)
        .order_by(p.created_at.desc(), p.id.desc())
        .limit(1)
    )
    after = await session.scalar(
        select(p.id)
        .where(p.status == ProposalStatus.PENDING, here > mark)
        .order_by(p.created_at, p.id)
        .limit(1)
    )
    return Neighbours(before, after)


async def oldest_pending(session: AsyncSession, other_than: int) -> int | None:
    """The proposal waiting longest, other than `other_than`: where "& next" goes."""
    p = ProposedAction
    found = await session.scalar(
        select(p.id)
        .where(p.status == ProposalStatus.PENDING, p.id != other_than)
        .order_by(p.created_at, p.id)
        .limit(1)
    )
    return int(found) if found is not None else None


async def reminder_of(session: AsyncSession, run_id: uuid.UUID) -> EventRecord | None:
    """The runner's "approval overdue" alert for this run, if it sent one."""
    return await session.scalar(
        select(EventRecord)
        .where(
            EventRecord.run_id == run_id,
            EventRecord.type == "workflow.alert",
            EventRecord.data["reason"].astext == REMINDER_REASON,
        )
        .limit(1)
    )


@dataclass(frozen=True)
class Collision:
    """An existing customer a blocked run ran into, and the proposal that created it."""

    customer: Customer
    proposal_id: int | None
    title: str | None


async def collisions(
    session: AsyncSession, company_name: object, email: object, action_type: str
) -> Sequence[Collision]:
    """Customers that now have this run's normalized name or email, each with the approved
    proposal (of the same kind) whose run created it, when one did."""
    conditions = []
    if isinstance(company_name, str) and company_name.strip():
        conditions.append(Customer.companyname_normalized == normalize_company_name(company_name))
    if isinstance(email, str) and email.strip():
        conditions.append(func.lower(Customer.email) == normalize_email(email))
    if not conditions:
        return []
    company = WorkflowRun.inputs["company_name"].astext
    rows = await session.execute(
        # Runs from before `title` existed are named by their company input.
        select(Customer, ProposedAction.id, func.coalesce(WorkflowRun.title, company))
        .outerjoin(
            ProposedAction,
            (ProposedAction.action_type == action_type)
            & or_(
                ProposedAction.run_id == Customer.created_by_run_id,
                # The contracts' convention for the rows a run creates (new_customer.yaml).
                Customer.external_id == EXTERNAL_ID_PREFIX + cast(ProposedAction.run_id, Text),
            ),
        )
        .outerjoin(WorkflowRun, WorkflowRun.run_id == ProposedAction.run_id)
        .where(or_(*conditions))
        .order_by(Customer.id)
        .limit(10)
    )
    return [Collision(c, pid, title) for c, pid, title in rows.all()]
