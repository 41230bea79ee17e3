"""`/v1/outbox`: how much the outbox holds back, per topic (`cascade outbox status`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from cascade.approvals.auth import require_admin
from cascade.approvals.outbox_status import outbox_backlog, outbox_view
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.runtime import RuntimeDep

router = APIRouter(prefix="/v1/outbox", dependencies=[Depends(require_admin)])


@router.get("")
async def status(runtime: RuntimeDep) -> JSONResponse:
    async with UnitOfWork(runtime.session_factory) as uow:
        backlog = await outbox_backlog(uow.session)
    return JSONResponse(outbox_view(backlog))
