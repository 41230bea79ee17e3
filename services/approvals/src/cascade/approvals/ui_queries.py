"""Reads behind the UI pages that the JSON API does not need."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.approvals.queries import Page
from cascade.shared.db.models import (
    ApprovalAudit,
    ProposedAction,
    ReflexionEntry,
    WorkflowRun,
)


@dataclass(frozen=True)
class InboxFilter:
    """The inbox's filters and order."""

    status: str | None = "pending"
    workflow_type: str | None = None
    oldest_first: bool = False


@dataclass(frozen=True)
class InboxRow:
    """One line of the inbox."""

    id: int
    run_id: uuid.UUID
    workflow_type: str
    action_type: str
    entity_ref: str
    status: str
    version: int
    warnings: int
    created_at: datetime
    expires_at: datetime | None


async def inbox(session: AsyncSession, where: InboxFilter, page: Page) -> list[InboxRow]:
    """Proposals with their workflow type and warning count, newest (or oldest) first."""
    p, r = ProposedAction, WorkflowRun
    warnings = func.coalesce(func.jsonb_array_length(p.payload["warnings"]), 0)
    query = select(
        p.id, p.run_id, r.workflow_type, p.action_type, p.entity_ref, p.status, p.version,
        warnings, p.created_at, p.expires_at,
    ).join(r, r.run_id == p.run_id)  # fmt: skip
    if where.status is not None:
        query = query.where(p.status == where.status)
    if where.workflow_type is not None:
        query = query.where(r.workflow_type == where.workflow_type)
    order = (p.created_at.asc(), p.id.asc()) if where.oldest_first else (
        p.created_at.desc(), p.id.desc()
    )  # fmt: skip
    rows = await session.execute(query.order_by(*order).limit(page.limit).offset(page.offset))
    return [InboxRow(*row) for row in rows.all()]


async def pending_count(session: AsyncSession) -> int:
    """How many proposals wait on Mike."""
    count = await session.scalar(
        select(func.count()).select_from(ProposedAction).where(ProposedAction.status == "pending")
    )
    return int(count or 0)


async def newer_pending(session: AsyncSession, after_id: int) -> list[InboxRow]:
    """Pending proposals with an id above `after_id` (the SSE feed), oldest first."""
    p, r = ProposedAction, WorkflowRun
    warnings = func.coalesce(func.jsonb_array_length(p.payload["warnings"]), 0)
    rows = await session.execute(
        select(
            p.id, p.run_id, r.workflow_type, p.action_type, p.entity_ref, p.status, p.version,
            warnings, p.created_at, p.expires_at,
        )
        .join(r, r.run_id == p.run_id)
        .where(p.status == "pending", p.id > after_id)
        .order_by(p.id)
        .limit(50)
    )  # fmt: skip
    return [InboxRow(*row) for row in rows.all()]


async def max_proposal_id(session: AsyncSession) -> int:
    """The newest proposal id, where the SSE feed starts."""
    return int(await session.scalar(select(func.coalesce(func.max(ProposedAction.id), 0))) or 0)


async def audit_page(session: AsyncSession, page: Page) -> Sequence[ApprovalAudit]:
    """The audit trail, newest first."""
    rows = await session.scalars(
        select(ApprovalAudit)
        .order_by(ApprovalAudit.id.desc())
        .limit(page.limit)
        .offset(page.offset)
    )
    return rows.all()


async def prior_reflexions(
    session: AsyncSession, run_id: uuid.UUID, subject: str | None, domain: str | None
) -> Sequence[ReflexionEntry]:
    """Narratives of other runs about the same company or email domain, newest first."""
    conditions = [ReflexionEntry.subject_key == subject] if subject else []
    conditions += [ReflexionEntry.email_domain == domain] if domain else []
    if not conditions:
        return []
    rows = await session.scalars(
        select(ReflexionEntry)
        .where(or_(*conditions), ReflexionEntry.run_id != run_id)
        .order_by(ReflexionEntry.created_at.desc())
        .limit(10)
    )
    return rows.all()
