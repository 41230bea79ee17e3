"""`/v1/dlq`: dead-lettered records for operators (`cascade dlq`): list, show, redrive."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from cascade.approvals.api_reads import one_of, page_of
from cascade.approvals.auth import AdminDep, require_admin
from cascade.approvals.bodies import OneLine
from cascade.approvals.dlq_redrive import AlreadyRedriven, RedriveNotFound, RedriveRequest, redrive
from cascade.approvals.dlq_views import (
    DeadLetterFilter,
    DeadLetterState,
    dead_letter_detail,
    dead_letter_item,
    dead_letter_with_outbox,
    list_dead_letters,
)
from cascade.approvals.errors import ApiError
from cascade.approvals.queries import Page
from cascade.approvals.unit_of_work import SqlApprovalsWork
from cascade.approvals.views import iso
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.runtime import RuntimeDep

log = logging.getLogger(__name__)

# A BIGINT id: anything larger would fail in the database instead of answering 404.
LetterId = Annotated[int, Path(ge=1, le=2**63 - 1)]


router = APIRouter(prefix="/v1/dlq", dependencies=[Depends(require_admin)])


@router.get("")
async def list_(
    runtime: RuntimeDep,
    state: DeadLetterState = "pending",
    consumer: Annotated[OneLine | None, Query(max_length=200)] = None,
    topic: Annotated[OneLine | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JSONResponse:
    where = DeadLetterFilter(state, consumer, topic)
    return await page_of(
        runtime,
        lambda session, page: list_dead_letters(session, where, page),
        dead_letter_item,
        Page(limit, offset),
    )


@router.get("/{letter_id}")
async def detail(letter_id: LetterId, runtime: RuntimeDep) -> JSONResponse:
    return await one_of(
        runtime,
        lambda session: dead_letter_with_outbox(session, letter_id),
        lambda found: dead_letter_detail(*found),
        f"no dead letter {letter_id}",
    )


@router.post("/{letter_id}/redrive")
async def redrive_(
    letter_id: LetterId,
    admin: AdminDep,
    runtime: RuntimeDep,
    reason: Annotated[OneLine | None, Query(max_length=500)] = None,
) -> JSONResponse:
    ask = RedriveRequest(letter_id, admin.name, admin.remote_addr, reason)
    try:
        async with UnitOfWork(runtime.session_factory) as uow:
            done = await redrive(SqlApprovalsWork(uow), ask)
    except RedriveNotFound:
        raise ApiError(404, "not_found", f"no dead letter {letter_id}") from None
    except AlreadyRedriven as already:
        log.info("redrive of dead letter %d by %s refused: %s", letter_id, admin.name, already)
        extra = {"redriven_at": iso(already.at), "redriven_by": already.by}
        raise ApiError(409, "already_redriven", str(already), extra) from None
    log.info(
        "dead letter %d redriven by %s from %s to %s (outbox row %d)",
        letter_id, admin.name, admin.remote_addr, done.letter.topic, done.outbox_id,
    )  # fmt: skip
    return JSONResponse(dead_letter_detail(done.letter, None) | {"outbox_id": done.outbox_id})
