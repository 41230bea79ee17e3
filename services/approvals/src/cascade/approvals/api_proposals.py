"""`/v1/proposals`: list and read proposals; approve or reject one (the HITL gate)."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from cascade.approvals.api_reads import one_of, page_of
from cascade.approvals.auth import Admin, AdminDep, require_admin
from cascade.approvals.bodies import (
    MAX_BODY_BYTES,
    ApproveBody,
    OneLine,
    RejectBody,
    parse_body,
)
from cascade.approvals.conflicts import current_view
from cascade.approvals.decisions import (
    Decision,
    DecisionConflict,
    DecisionRequest,
    ProposalNotFound,
    decide,
)
from cascade.approvals.errors import ApiError, invalid, read_limited
from cascade.approvals.queries import Page, ProposalFilter, list_proposals, proposal_with_audit
from cascade.approvals.unit_of_work import SqlApprovalsWork
from cascade.approvals.views import decided_view, proposal_detail, proposal_item
from cascade.shared.db.statuses import ProposalStatus
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.runtime import RuntimeDep, ServiceRuntime

log = logging.getLogger(__name__)

# The `status` filter: one of `ProposalStatus`, spelt as its values (test_lists_units pins them
# to it). A Literal of the members would name `<ProposalStatus.PENDING: 'pending'>` in a 422.
ProposalStatusFilter = Literal["pending", "approved", "rejected", "expired"]
# A BIGINT id: anything larger would fail in the database instead of answering 404.
ProposalId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


router = APIRouter(prefix="/v1/proposals", dependencies=[Depends(require_admin)])


@router.get("")
async def list_(
    runtime: RuntimeDep,
    status: ProposalStatusFilter | None = None,
    run_id: uuid.UUID | None = None,
    action_type: Annotated[OneLine | None, Query(max_length=100)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> JSONResponse:
    where = ProposalFilter(status=status, run_id=run_id, action_type=action_type)
    return await page_of(
        runtime,
        lambda session, page: list_proposals(session, where, page),
        proposal_item,
        Page(limit, offset),
    )


@router.get("/{proposal_id}")
async def detail(proposal_id: ProposalId, runtime: RuntimeDep) -> JSONResponse:
    return await one_of(
        runtime,
        lambda session: proposal_with_audit(session, proposal_id),
        lambda found: proposal_detail(*found),
        f"no proposal {proposal_id}",
    )


@router.post("/{proposal_id}/approve")
async def approve(
    request: Request, proposal_id: ProposalId, admin: AdminDep, runtime: RuntimeDep
) -> JSONResponse:
    return await _decide(runtime, request, proposal_id, admin, ProposalStatus.APPROVED)


@router.post("/{proposal_id}/reject")
async def reject(
    request: Request, proposal_id: ProposalId, admin: AdminDep, runtime: RuntimeDep
) -> JSONResponse:
    return await _decide(runtime, request, proposal_id, admin, ProposalStatus.REJECTED)


async def _decide(
    runtime: ServiceRuntime, request: Request, proposal_id: int, admin: Admin, decision: Decision
) -> JSONResponse:
    ask = await _read_request(runtime, request, proposal_id, admin, decision)
    try:
        async with UnitOfWork(runtime.session_factory) as uow:
            decided = await decide(SqlApprovalsWork(uow), ask, runtime.settings.topic_prefix)
    except ProposalNotFound:
        _log_attempt(decision, proposal_id, admin, "404 unknown proposal")
        raise ApiError(404, "not_found", f"no proposal {proposal_id}") from None
    except DecisionConflict as conflict:
        _log_attempt(decision, proposal_id, admin, f"409 {conflict.reason.value}")
        extra = {"reason": conflict.reason.value, "current": current_view(conflict.current)}
        raise ApiError(409, "conflict", conflict.message, extra) from None
    except Exception:
        _log_attempt(decision, proposal_id, admin, "failed (error below)")
        raise
    _log_attempt(decision, proposal_id, admin, f"200 {decision} v{ask.version}")
    return JSONResponse(decided_view(decided))


async def _read_request(
    runtime: ServiceRuntime, request: Request, proposal_id: int, admin: Admin, decision: Decision
) -> DecisionRequest:
    try:
        raw = await read_limited(request, MAX_BODY_BYTES, runtime.settings.http_body_timeout_s)
    except ApiError as refused:
        _log_attempt(decision, proposal_id, admin, f"{refused.status} {refused.code}")
        raise
    parsed = parse_body(raw, ApproveBody if decision == ProposalStatus.APPROVED else RejectBody)
    if isinstance(parsed, list):
        _log_attempt(decision, proposal_id, admin, "422 invalid body")
        raise invalid(parsed)
    return DecisionRequest(
        proposal_id=proposal_id,
        decision=decision,
        version=parsed.version,
        payload_sha256=parsed.payload_sha256,
        actor=admin.name,
        remote_addr=admin.remote_addr,
        reason=parsed.reason if isinstance(parsed, RejectBody) else None,
    )


def _log_attempt(decision: Decision, proposal_id: int, admin: Admin, outcome: str) -> None:
    # Every attempt, refused or not, names who and from where: the audit table only
    # holds decisions that took effect.
    verb = "approve" if decision == ProposalStatus.APPROVED else "reject"
    log.info(
        "%s proposal %d by %s from %s: %s",
        verb,
        proposal_id,
        admin.name,
        admin.remote_addr,
        outcome,
    )
