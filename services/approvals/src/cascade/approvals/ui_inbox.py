"""`/` (the inbox of proposals), `/audit`, and `/events` (new proposals, server-sent)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.approvals import fmt
from cascade.approvals.api_proposals import ProposalStatusFilter
from cascade.approvals.bodies import OneLine
from cascade.approvals.list_params import PAGE_SIZE, ListParams, Offset, Pager
from cascade.approvals.proposal_view import queue_notice
from cascade.approvals.queries import Page
from cascade.approvals.twins import Twin, twins_for
from cascade.approvals.ui_queries import (
    InboxFilter,
    InboxRow,
    audit_page,
    inbox,
    max_proposal_id,
    nav_counts,
    newer_pending,
)
from cascade.approvals.warning_badges import warning_badges
from cascade.approvals.web import Ui, UiDep, current_user, render
from cascade.shared.contract import Contract
from cascade.shared.db.statuses import ProposalStatus

# An SSE stream ends after this long; the browser reconnects (and the session is checked
# again), so a logout or an expired session also ends the live feed.
STREAM_LIFETIME_S = 60.0
# A proposal status, or "all" (no status: every proposal). Filter values are strings, so mypy
# checks each comparison with one.
StatusFilter = Literal[ProposalStatusFilter, "all"]


def row_view(
    row: InboxRow, contracts: Mapping[str, Contract], now: datetime, twins: Sequence[Twin] = ()
) -> dict[str, object]:
    """One inbox line as the template and the SSE feed show it."""
    contract = contracts.get(row.workflow_type)
    badges = warning_badges(row.warnings, row.preconditions, row.presented_warnings)
    # "Time left" is the contract's approval window (the expiry is a day later).
    window = contract.hitl.approval_window if contract is not None and contract.hitl else None
    return {
        "id": row.id,
        "url": f"/proposals/{row.id}",
        "run_id": str(row.run_id),
        "title": row.title or row.entity_ref,
        "workflow": contract.title if contract is not None else row.workflow_type,
        "workflow_type": row.workflow_type,
        "action_type": row.action_type,
        "entity_ref": row.entity_ref,
        "summary": fmt.summary_pairs(row.summary),
        "warnings": [{"name": b.name, "message": b.message} for b in badges],
        "twins": [
            {"id": t.proposal_id, "label": t.label, "url": f"/proposals/{t.proposal_id}"}
            for t in twins
        ],
        "status": row.status,
        "version": row.version,
        "risk": contract.risk_level if contract is not None else "?",
        "created_iso": fmt.iso_utc(row.created_at),
        "created": fmt.when(row.created_at),
        "age": fmt.age(row.created_at, now),
        "left": fmt.window_left(row.created_at, window, row.expires_at, now),
        "overdue": window is not None
        and row.status == ProposalStatus.PENDING
        and row.created_at + window <= now,
    }


async def row_views(
    session: AsyncSession, rows: Sequence[InboxRow], contracts: Mapping[str, Contract]
) -> list[dict[str, object]]:
    """A page of inbox lines, their twins found in one query."""
    twins = await twins_for(session, [r.id for r in rows])
    now = datetime.now(UTC)
    return [row_view(r, contracts, now, twins.get(r.id, ())) for r in rows]


router = APIRouter()


@router.get("/")
@router.get("/inbox")
async def show_inbox(
    request: Request,
    asked: ListParams,
    ui: UiDep,
    status: StatusFilter = "pending",
    workflow_type: Annotated[OneLine | None, Query(max_length=100)] = None,
    order: Literal["newest", "oldest"] = "newest",
) -> Response:
    user = await current_user(ui, request)
    where = InboxFilter(
        None if status == "all" else status, workflow_type or None, order == "oldest",
        asked.search,
    )  # fmt: skip
    async with ui.uow() as uow:
        # The live stream's cursor first: each statement reads its own snapshot, so a
        # proposal committed between the rows and a later cursor would be in neither the
        # page nor the stream (the inbox said "1 waiting" over an empty table). Read
        # first, the cursor can only be older: the stream then repeats a row the page
        # has, which the page skips (by its element id).
        latest = await max_proposal_id(uow.session)
        rows = await inbox(uow.session, where, asked.page)
        views = await row_views(uow.session, rows, ui.contracts)
        nav = await nav_counts(uow.session)
    # status and order always have a value: only a type or a search narrows the queue.
    narrowed = bool(workflow_type) or asked.searched
    listing = asked.listing(
        len(rows), narrowed or status != "pending",
        status=status, workflow_type=workflow_type or "", order=order,
    )  # fmt: skip
    return render(
        "inbox.html", user=user, nav=nav, current="inbox", rows=views,
        types=sorted(ui.contracts), latest=latest, **listing,
        live=status == "pending" and order == "newest" and asked.offset == 0 and not narrowed,
        notice=queue_notice(request.query_params.get("done")),
    )  # fmt: skip


@router.get("/audit")
async def show_audit(request: Request, ui: UiDep, offset: Offset = 0) -> Response:
    user = await current_user(ui, request)
    async with ui.uow() as uow:
        rows = await audit_page(uow.session, Page(PAGE_SIZE, offset))
        nav = await nav_counts(uow.session)
        return render(
            "audit.html", user=user, nav=nav, current="audit", rows=rows, fmt=fmt,
            pager=Pager({}, offset, len(rows)),
        )  # fmt: skip


@router.get("/events")
async def events(request: Request, ui: UiDep, after: Annotated[int, Query(ge=0)] = 0) -> Response:
    await current_user(ui, request)
    last = request.headers.get("last-event-id", "")
    start = int(last) if last.isdigit() else after
    return StreamingResponse(
        _feed(ui, request, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _feed(ui: Ui, request: Request, after: int) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    ends = time.monotonic() + STREAM_LIFETIME_S
    while time.monotonic() < ends and not await request.is_disconnected():
        async with ui.uow() as uow:
            rows = await newer_pending(uow.session, after)
            views = await row_views(uow.session, rows, ui.contracts)
        for view in views:
            after = int(str(view["id"]))
            yield f"id: {after}\nevent: proposal\ndata: {json.dumps(view)}\n\n"
        if not views:
            yield ": idle\n\n"
        await asyncio.sleep(ui.settings.ui_sse_poll_s)
