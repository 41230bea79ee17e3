"""`/` (the inbox of proposals), `/audit`, and `/events` (new proposals, server-sent)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from cascade.approvals import fmt
from cascade.approvals.bodies import OneLine
from cascade.approvals.proposal_view import queue_notice
from cascade.approvals.queries import Page
from cascade.approvals.ui_queries import (
    InboxFilter,
    InboxRow,
    audit_page,
    inbox,
    max_proposal_id,
    newer_pending,
    pending_count,
)
from cascade.approvals.web import Ui, current_user, render
from cascade.shared.contract import Contract

PAGE_SIZE = 50
# An SSE stream ends after this long; the browser reconnects (and the session is checked
# again), so a logout or an expired session also ends the live feed.
STREAM_LIFETIME_S = 60.0
StatusFilter = Literal["pending", "approved", "rejected", "expired", "all"]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def row_view(row: InboxRow, contracts: Mapping[str, Contract], now: datetime) -> dict[str, object]:
    """One inbox line as the template and the SSE feed show it."""
    contract = contracts.get(row.workflow_type)
    return {
        "id": row.id,
        "url": f"/proposals/{row.id}",
        "workflow_type": row.workflow_type,
        "action_type": row.action_type,
        "entity_ref": row.entity_ref,
        "status": row.status,
        "version": row.version,
        "warnings": row.warnings,
        "risk": contract.risk_level if contract is not None else "?",
        "created": fmt.when(row.created_at),
        "age": fmt.age(row.created_at, now),
        "left": fmt.time_left(row.expires_at, now),
    }


def inbox_router(ui: Ui, contracts: Mapping[str, Contract]) -> APIRouter:
    """The pages Mike starts from."""
    router = APIRouter()

    @router.get("/")
    @router.get("/inbox")
    async def show_inbox(
        request: Request,
        status: StatusFilter = "pending",
        workflow_type: Annotated[OneLine | None, Query(max_length=100)] = None,
        order: Literal["newest", "oldest"] = "newest",
        offset: Offset = 0,
    ) -> Response:
        user = await current_user(ui, request)
        where = InboxFilter(
            None if status == "all" else status, workflow_type or None, order == "oldest"
        )
        now = datetime.now(UTC)
        async with ui.uow() as uow:
            rows = await inbox(uow.session, where, Page(PAGE_SIZE, offset))
            waiting = await pending_count(uow.session)
            latest = await max_proposal_id(uow.session)
        return render(
            "inbox.html", user=user, rows=[row_view(r, contracts, now) for r in rows],
            waiting=waiting, types=sorted(contracts), status=status,
            workflow_type=workflow_type or "",
            order=order, offset=offset, page_size=PAGE_SIZE, latest=latest,
            live=status == "pending" and order == "newest" and offset == 0,
            notice=queue_notice(request.query_params.get("done")),
        )  # fmt: skip

    @router.get("/audit")
    async def show_audit(request: Request, offset: Offset = 0) -> Response:
        user = await current_user(ui, request)
        async with ui.uow() as uow:
            rows = list(await audit_page(uow.session, Page(PAGE_SIZE, offset)))
            return render(
                "audit.html", user=user, rows=rows, when=fmt.when, offset=offset,
                page_size=PAGE_SIZE,
            )  # fmt: skip

    @router.get("/events")
    async def events(request: Request, after: Annotated[int, Query(ge=0)] = 0) -> Response:
        await current_user(ui, request)
        last = request.headers.get("last-event-id", "")
        start = int(last) if last.isdigit() else after
        return StreamingResponse(
            _feed(ui, contracts, request, start),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return router


async def _feed(
    ui: Ui, contracts: Mapping[str, Contract], request: Request, after: int
) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    ends = time.monotonic() + STREAM_LIFETIME_S
    while time.monotonic() < ends and not await request.is_disconnected():
        async with ui.uow() as uow:
            rows = await newer_pending(uow.session, after)
        now = datetime.now(UTC)
        for row in rows:
            after = row.id
            data = json.dumps(row_view(row, contracts, now))
            yield f"id: {row.id}\nevent: proposal\ndata: {data}\n\n"
        if not rows:
            yield ": idle\n\n"
        await asyncio.sleep(ui.settings.ui_sse_poll_s)
