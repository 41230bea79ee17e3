"""Operators' API: look at pushes and retry a failed one (the UI's retry button calls this).

Bearer token of the admin (`CASCADE_ADMIN_TOKEN`), compared in constant time; without a
configured token the API refuses every call rather than opening up.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query

from cascade.ns_pusher.jobs import list_by_status, view
from cascade.ns_pusher.retry_requests import PushNotFailed, PushNotFound, retry_failed_push
from cascade.ns_pusher.unit_of_work import SqlPusherWork
from cascade.shared.db.statuses import PushStatus
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.runtime import RuntimeDep

# The `status` filter: any push status (the regex lists them in the enum's order).
_PATTERN = "^(" + "|".join(PushStatus) + ")$"


async def require_admin(
    runtime: RuntimeDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Admits only `Authorization: Bearer <CASCADE_ADMIN_TOKEN>`."""
    token = runtime.settings.admin_token
    if token is None:
        raise HTTPException(503, "admin API disabled: CASCADE_ADMIN_TOKEN is not set")
    expected = f"Bearer {token.get_secret_value()}".encode()
    if authorization is None or not hmac.compare_digest(authorization.encode(), expected):
        raise HTTPException(401, "admin token required", {"WWW-Authenticate": "Bearer"})


# `/v1/ns-pushes`: list, show, retry.
router = APIRouter(
    prefix="/v1/ns-pushes", tags=["ns pushes"], dependencies=[Depends(require_admin)]
)


@router.get("")
async def list_pushes(
    runtime: RuntimeDep,
    status: Annotated[str, Query(pattern=_PATTERN)] = PushStatus.FAILED,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    async with UnitOfWork(runtime.session_factory) as uow:
        return {"items": await list_by_status(uow.session, status, limit)}


@router.get("/{push_id}")
async def show_push(push_id: int, runtime: RuntimeDep) -> dict[str, Any]:
    async with UnitOfWork(runtime.session_factory) as uow:
        row = await view(uow.session, push_id)
    if row is None:
        raise HTTPException(404, f"no push {push_id}")
    return row


@router.post("/{push_id}/retry", status_code=202)
async def retry_push(push_id: int, runtime: RuntimeDep) -> dict[str, Any]:
    """Start a new round of (up to max_attempts) attempts for a failed push."""
    try:
        async with UnitOfWork(runtime.session_factory) as uow:
            max_attempts = runtime.settings.ns_push_max_attempts
            return await retry_failed_push(SqlPusherWork(uow), push_id, max_attempts)
    except PushNotFound as missing:
        raise HTTPException(404, str(missing)) from None
    except PushNotFailed as refused:
        raise HTTPException(409, str(refused)) from None
