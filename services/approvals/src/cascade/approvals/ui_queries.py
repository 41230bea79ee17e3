"""Reads behind the UI pages that the JSON API does not need."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.approvals.queries import Page
from cascade.shared.db.models import (
    ApprovalAudit,
    Customer,
    ProposedAction,
    ReflexionEntry,
    WorkflowRun,
)
from cascade.shared.db.statuses import ProposalStatus, RunStatus


@dataclass(frozen=True)
class Search:
    """What the list pages' search box and date range ask for (all optional)."""

    text: str | None = None
    """Matched anywhere in the run's search text (company, email, ...), case-insensitive."""
    since: date | None = None
    until: date | None = None
    """Inclusive calendar days, UTC."""


@dataclass(frozen=True)
class InboxFilter:
    """The inbox's filters and order."""

    status: str | None = ProposalStatus.PENDING
    workflow_type: str | None = None
    oldest_first: bool = False
    search: Search = Search()


@dataclass(frozen=True)
class InboxRow:
    """One line of the inbox: the proposal, its run's business subject, its warnings."""

    id: int
    run_id: uuid.UUID
    workflow_type: str
    action_type: str
    entity_ref: str
    status: str
    version: int
    warnings: Any
    """payload["warnings"]: the names of the warn rules that failed."""
    preconditions: Any
    """payload["preconditions"]: each rule's outcome and message."""
    presented_warnings: Any
    """payload["presentation"]["warnings"], when the runner wrote one."""
    created_at: datetime
    expires_at: datetime | None
    title: str | None
    summary: Any


def like_pattern(text: str) -> str:
    """`text` as an ILIKE pattern matching it anywhere, its own wildcards taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def day_range(column: Any, search: Search) -> list[ColumnElement[bool]]:
    """Conditions keeping `column` within the search's days (UTC, both ends inclusive)."""
    conditions: list[ColumnElement[bool]] = []
    if search.since is not None:
        conditions.append(column >= datetime.combine(search.since, time(), UTC))
    if search.until is not None:
        conditions.append(column < datetime.combine(search.until + timedelta(days=1), time(), UTC))
    return conditions


def _matching(search: Search, when: Any) -> list[ColumnElement[bool]]:
    conditions = day_range(when, search)
    if search.text:
        conditions.append(WorkflowRun.search_text.ilike(like_pattern(search.text), escape="\\"))
    return conditions


def _inbox_select() -> Any:
    p, r = ProposedAction, WorkflowRun
    return select(
        p.id, p.run_id, r.workflow_type, p.action_type, p.entity_ref, p.status, p.version,
        p.payload["warnings"], p.payload["preconditions"], p.payload["presentation"]["warnings"],
        p.created_at, p.expires_at, r.title, r.summary,
    ).join(r, r.run_id == p.run_id)  # fmt: skip


async def inbox(session: AsyncSession, where: InboxFilter, page: Page) -> list[InboxRow]:
    """Proposals with their run's subject and warnings, newest (or oldest) first."""
    p, r = ProposedAction, WorkflowRun
    query = _inbox_select().where(*_matching(where.search, p.created_at))
    if where.status is not None:
        query = query.where(p.status == where.status)
    if where.workflow_type is not None:
        query = query.where(r.workflow_type == where.workflow_type)
    order = (p.created_at.asc(), p.id.asc()) if where.oldest_first else (
        p.created_at.desc(), p.id.desc()
    )  # fmt: skip
    rows = await session.execute(query.order_by(*order).limit(page.limit).offset(page.offset))
    return [InboxRow(*row) for row in rows.all()]


@dataclass(frozen=True)
class NavCounts:
    """The numbers the navigation shows beside its links."""

    pending: int
    blocked: int


async def nav_counts(session: AsyncSession) -> NavCounts:
    """How many proposals wait on Mike and how many runs ended blocked (one round trip)."""
    pending = (
        select(func.count())
        .select_from(ProposedAction)
        .where(ProposedAction.status == ProposalStatus.PENDING)
        .scalar_subquery()
    )
    blocked = (
        select(func.count())
        .select_from(WorkflowRun)
        .where(WorkflowRun.status == RunStatus.BLOCKED)
        .scalar_subquery()
    )
    row = (await session.execute(select(pending, blocked))).one()
    return NavCounts(int(row[0] or 0), int(row[1] or 0))


async def newer_pending(session: AsyncSession, after_id: int) -> list[InboxRow]:
    """Pending proposals with an id above `after_id` (the SSE feed), oldest first."""
    p = ProposedAction
    rows = await session.execute(
        _inbox_select()
        .where(p.status == ProposalStatus.PENDING, p.id > after_id)
        .order_by(p.id)
        .limit(50)
    )
    return [InboxRow(*row) for row in rows.all()]


async def max_proposal_id(session: AsyncSession) -> int:
    """The newest proposal id, where the SSE feed starts."""
    return int(await session.scalar(select(func.coalesce(func.max(ProposedAction.id), 0))) or 0)


@dataclass(frozen=True)
class RunFilter:
    """The run list's filters."""

    status: str | None = None
    search: Search = Search()


async def run_list(session: AsyncSession, where: RunFilter, page: Page) -> Sequence[WorkflowRun]:
    """Runs matching the filters, newest first."""
    r = WorkflowRun
    query = select(r).where(*_matching(where.search, r.requested_at))
    if where.status is not None:
        query = query.where(r.status == where.status)
    query = query.order_by(r.requested_at.desc(), r.run_id)
    return (await session.scalars(query.limit(page.limit).offset(page.offset))).all()


@dataclass(frozen=True)
class AuditRow:
    """One audit entry and the business subject of the proposal (or run) it concerns."""

    entry: ApprovalAudit
    title: str | None
    entity_ref: str | None


async def audit_page(session: AsyncSession, page: Page) -> list[AuditRow]:
    """The audit trail, newest first, each entry with its run's title."""
    a, p, r = ApprovalAudit, ProposedAction, WorkflowRun
    rows = await session.execute(
        select(a, r.title, p.entity_ref)
        .outerjoin(p, p.id == a.proposal_id)
        .outerjoin(r, r.run_id == a.run_id)
        .order_by(a.id.desc())
        .limit(page.limit)
        .offset(page.offset)
    )
    return [AuditRow(*row) for row in rows.all()]


async def blocked_runs(session: AsyncSession, search: Search, page: Page) -> Sequence[WorkflowRun]:
    """Runs that ended blocked, newest first."""
    r = WorkflowRun
    query = select(r).where(r.status == RunStatus.BLOCKED, *_matching(search, r.requested_at))
    query = query.order_by(r.requested_at.desc(), r.run_id)
    return (await session.scalars(query.limit(page.limit).offset(page.offset))).all()


async def customers_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, Customer]:
    """The mirror's customers with these ids (one query for a whole page)."""
    if not ids:
        return {}
    rows = await session.scalars(select(Customer).where(Customer.id.in_(list(ids))))
    return {c.id: c for c in rows.all()}


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
