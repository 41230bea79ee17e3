"""`/v1/runs`: what happened to a run, step by step, for Mike and his scripts; retry its
failed NetSuite pushes (`cascade runs retry`)."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from cascade.approvals.api_reads import one_of, page_of
from cascade.approvals.auth import AdminDep, require_admin
from cascade.approvals.bodies import OneLine
from cascade.approvals.errors import ApiError
from cascade.approvals.push_retry import RetryRefused, RetryRequest, request_retry
from cascade.approvals.queries import Page, failed_push_ids, list_runs, run_bundle
from cascade.approvals.run_views import run_detail
from cascade.approvals.unit_of_work import SqlApprovalsWork
from cascade.approvals.views import run_item
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.runtime import RuntimeDep

log = logging.getLogger(__name__)

# The `status` filter: one of `RunStatus`, spelt as its values (test_lists_units pins them to
# it). A Literal of the members would name `<RunStatus.RUNNING: 'running'>` in a 422.
RunStatusFilter = Literal[
    "requested",
    "awaiting_approval",
    "running",
    "completed",
    "partial",
    "failed",
    "blocked",
    "rejected",
    "expired",
]


router = APIRouter(prefix="/v1/runs", dependencies=[Depends(require_admin)])


@router.get("")
async def list_(
    runtime: RuntimeDep,
    status: RunStatusFilter | None = None,
    workflow_type: Annotated[OneLine | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JSONResponse:
    return await page_of(
        runtime,
        lambda session, page: list_runs(session, status, workflow_type, page),
        run_item,
        Page(limit, offset),
    )


@router.get("/{run_id}")
async def detail(run_id: uuid.UUID, runtime: RuntimeDep) -> JSONResponse:
    return await one_of(
        runtime, lambda session: run_bundle(session, run_id), run_detail, f"no run {run_id}"
    )


@router.post("/{run_id}/retry")
async def retry(
    run_id: uuid.UUID,
    admin: AdminDep,
    runtime: RuntimeDep,
    push_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> JSONResponse:
    """Ask ns-pusher to retry the run's failed NetSuite pushes (or the one named): the
    run page's Retry button, each push its own audited request."""
    async with UnitOfWork(runtime.session_factory) as uow:
        wanted = [push_id] if push_id is not None else await failed_push_ids(uow.session, run_id)
    if not wanted:
        raise ApiError(409, "retry_refused", f"run {run_id} has no failed NetSuite push")
    for push in wanted:
        ask = RetryRequest(run_id, push, admin.name, admin.remote_addr)
        try:
            async with UnitOfWork(runtime.session_factory) as uow:
                await request_retry(SqlApprovalsWork(uow), ask, runtime.settings.topic_prefix)
        except RetryRefused as refused:
            raise ApiError(409, "retry_refused", str(refused)) from None
        log.info("retry of push %d of run %s requested by %s", push, run_id, admin.name)
    return JSONResponse({"run_id": str(run_id), "retried_push_ids": wanted}, status_code=202)
