"""`/v1/runs`: what happened to a run, step by step, for Mike and his scripts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from cascade.approvals.auth import Admin
from cascade.approvals.bodies import OneLine
from cascade.approvals.errors import ApiError
from cascade.approvals.queries import Page, list_runs, run_bundle
from cascade.approvals.run_views import run_detail
from cascade.approvals.views import run_item
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.runtime import ServiceRuntime

RunStatus = Literal[
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


def runs_router(runtime: ServiceRuntime, require_admin: Callable[..., Admin]) -> APIRouter:
    """Read-only routes over workflow runs; every one needs the admin."""
    router = APIRouter(prefix="/v1/runs", dependencies=[Depends(require_admin)])

    @router.get("")
    async def list_(
        status: RunStatus | None = None,
        workflow_type: Annotated[OneLine | None, Query(max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> JSONResponse:
        async with UnitOfWork(runtime.session_factory) as uow:
            rows = await list_runs(uow.session, status, workflow_type, Page(limit, offset))
            items = [run_item(r) for r in rows]
        return JSONResponse({"items": items, "limit": limit, "offset": offset})

    @router.get("/{run_id}")
    async def detail(run_id: uuid.UUID) -> JSONResponse:
        async with UnitOfWork(runtime.session_factory) as uow:
            bundle = await run_bundle(uow.session, run_id)
            # Shape before leaving: the unit of work rolls back on exit, expiring the rows.
            body = run_detail(bundle) if bundle is not None else None
        if body is None:
            raise ApiError(404, "not_found", f"no run {run_id}")
        return JSONResponse(body)

    return router
