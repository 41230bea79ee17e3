"""`/v1/outbox`: how much the outbox holds back, per topic (`cascade outbox status`)."""

# No `from __future__ import annotations` here: FastAPI resolves string annotations in the
# module's globals, and the admin dependency is a closure of the router factory.
from collections.abc import Callable

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from cascade.approvals.auth import Admin
from cascade.approvals.outbox_status import outbox_backlog, outbox_view
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.runtime import ServiceRuntime


def outbox_router(runtime: ServiceRuntime, require_admin: Callable[..., Admin]) -> APIRouter:
    """The outbox's backlog; needs the admin."""
    router = APIRouter(prefix="/v1/outbox", dependencies=[Depends(require_admin)])

    @router.get("")
    async def status() -> JSONResponse:
        async with UnitOfWork(runtime.session_factory) as uow:
            backlog = await outbox_backlog(uow.session)
        return JSONResponse(outbox_view(backlog))

    return router
