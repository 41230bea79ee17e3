"""`/proposals/{id}`: review everything, then approve, reject (with a reason) or edit an email."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from cascade.approvals import fmt
from cascade.approvals.decisions import (
    Decided,
    Decision,
    DecisionConflict,
    DecisionRequest,
    ProposalNotFound,
    decide,
)
from cascade.approvals.desk_queries import oldest_pending
from cascade.approvals.edits import (
    EditRequest,
    NotEditable,
    edit_email,
    edit_problem,
)
from cascade.approvals.email_jobs import ResendRefused, ResendRequest, resend
from cascade.approvals.errors import ApiError
from cascade.approvals.graphs import SVG_CSP, contract_svg
from cascade.approvals.proposal_page import load_page
from cascade.approvals.proposal_view import QUEUE_EMPTY
from cascade.approvals.sessions import SessionUser
from cascade.approvals.unit_of_work import SqlApprovalsWork
from cascade.approvals.web import Ui, UiDep, current_user, form_of, render, see_other
from cascade.shared.db.statuses import ProposalStatus
from cascade.shared.text_rules import control_character_problem

log = logging.getLogger(__name__)
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
MAX_VERSION = 2**31 - 1
ProposalId = Annotated[int, Path(ge=1, le=2**63 - 1)]
MAX_REASON = 2000
NOTICES = (ProposalStatus.APPROVED, ProposalStatus.REJECTED, "edited", "resent")


def reviewed_version(form: dict[str, str]) -> tuple[int, str]:
    """The version and hash the form was rendered for; ValueError when either is not one
    (a NUL or an out-of-range number would otherwise reach PostgreSQL and fail as a 500)."""
    version, digest = int(form.get("version", "")), form.get("payload_sha256", "")
    if not 1 <= version <= MAX_VERSION or not SHA256_HEX.fullmatch(digest):
        raise ValueError("not a version and hash of a proposal")
    return version, digest


async def _page(
    ui: Ui, request: Request, user: SessionUser, proposal_id: int, status: int = 200,
    conflict: str | None = None, error: str | None = None,
) -> Response:  # fmt: skip
    notice = request.query_params.get("done")
    decided = request.query_params.get("decided", "")
    # Rendered inside the unit of work: its rollback on exit expires the rows.
    async with ui.uow() as uow:
        data = await load_page(uow.session, proposal_id, ui.contracts)
        if data is None:
            raise ApiError(404, "not_found", f"no proposal {proposal_id}")
        return render(
            "proposal.html", status, user=user, p=data.proposal, page=data, fmt=fmt,
            now=datetime.now(UTC), conflict=conflict, error=error,
            notice=notice if notice in NOTICES else None,
            decided=int(decided) if decided.isdigit() and len(decided) < 19 else None,
        )  # fmt: skip


async def _decide_form(ui: Ui, request: Request, proposal_id: int, decision: Decision) -> Response:
    user, form = await form_of(ui, request)
    # Approve takes an optional comment, reject a required reason: both are the decision's
    # reason, stored on the proposal and in its audit row.
    said = "comment" if decision == ProposalStatus.APPROVED else "reason"
    reason = form.get(said, "").strip()
    if decision == ProposalStatus.REJECTED and not reason:
        return await _page(ui, request, user, proposal_id, 422, error="A reason is required.")
    if problem := control_character_problem(reason, multiline=True):
        return await _page(ui, request, user, proposal_id, 422, error=f"The {said} {problem}.")
    try:
        ask = DecisionRequest(
            proposal_id, decision, *reviewed_version(form), user.actor, user.remote_addr,
            reason[:MAX_REASON] or None,
        )  # fmt: skip
    except ValueError:
        return await _page(ui, request, user, proposal_id, 422, error="The form was incomplete.")
    try:
        async with ui.uow() as uow:
            done = await decide(SqlApprovalsWork(uow), ask, ui.runtime.settings.topic_prefix)
    except ProposalNotFound:
        raise ApiError(404, "not_found", f"no proposal {proposal_id}") from None
    except DecisionConflict as refused:
        log.info("ui %s of %d by %s refused: %s", decision, proposal_id, user.actor, refused)
        return await _page(ui, request, user, proposal_id, 409, conflict=refused.message)
    log.info("ui %s of %d v%d by %s from %s", decision, proposal_id, ask.version,
             user.actor, user.remote_addr)  # fmt: skip
    if form.get("then") == "next":
        return await _next_in_queue(ui, done)
    return see_other(f"/proposals/{proposal_id}?done={decision}")


async def _next_in_queue(ui: Ui, done: Decided) -> Response:
    """ "& next": the proposal waiting longest, or the inbox once none is left."""
    async with ui.uow() as uow:
        following = await oldest_pending(uow.session, other_than=done.proposal_id)
    query = f"done={done.status}&decided={done.proposal_id}"
    if following is None:
        return see_other(f"/?done={QUEUE_EMPTY}&decided={done.proposal_id}")
    return see_other(f"/proposals/{following}?{query}")


router = APIRouter()


@router.get("/proposals/{proposal_id}")
async def show(request: Request, proposal_id: ProposalId, ui: UiDep) -> Response:
    return await _page(ui, request, await current_user(ui, request), proposal_id)


@router.post("/proposals/{proposal_id}/approve")
async def approve(request: Request, proposal_id: ProposalId, ui: UiDep) -> Response:
    return await _decide_form(ui, request, proposal_id, ProposalStatus.APPROVED)


@router.post("/proposals/{proposal_id}/reject")
async def reject(request: Request, proposal_id: ProposalId, ui: UiDep) -> Response:
    return await _decide_form(ui, request, proposal_id, ProposalStatus.REJECTED)


@router.post("/proposals/{proposal_id}/edit")
async def edit(request: Request, proposal_id: ProposalId, ui: UiDep) -> Response:
    user, form = await form_of(ui, request)
    subject, body, to = form.get("subject", "").strip(), form.get("body", ""), form.get("to")
    problem = edit_problem(to, subject, body)
    if problem is not None:
        return await _page(ui, request, user, proposal_id, 422, error=problem)
    try:
        ask = EditRequest(
            proposal_id, *reviewed_version(form), subject, body, user.actor,
            user.remote_addr, to,
        )  # fmt: skip
        async with ui.uow() as uow:
            await edit_email(SqlApprovalsWork(uow), ask)
    except ValueError:
        return await _page(ui, request, user, proposal_id, 422, error="The form was incomplete.")
    except NotEditable as refused:
        return await _page(ui, request, user, proposal_id, 422, error=str(refused))
    except ProposalNotFound:
        raise ApiError(404, "not_found", f"no proposal {proposal_id}") from None
    except DecisionConflict as refused:
        return await _page(ui, request, user, proposal_id, 409, conflict=refused.message)
    log.info("ui edit of %d by %s from %s", proposal_id, user.actor, user.remote_addr)
    return see_other(f"/proposals/{proposal_id}?done=edited")


@router.post("/proposals/{proposal_id}/resend")
async def resend_email(request: Request, proposal_id: ProposalId, ui: UiDep) -> Response:
    """Mike sends a failed email again: requeued for a new round, audited."""
    user, _ = await form_of(ui, request)
    ask = ResendRequest(proposal_id, user.actor, user.remote_addr)
    try:
        async with ui.uow() as uow:
            await resend(SqlApprovalsWork(uow), ask, ui.runtime.settings.email_max_attempts)
    except ResendRefused as refused:
        raise ApiError(409, "resend_refused", str(refused)) from None
    log.info("ui resend of email %d by %s from %s", proposal_id, user.actor, user.remote_addr)
    return see_other(f"/proposals/{proposal_id}?done=resent")


@router.get("/graph/{workflow_type}.svg")
async def graph(request: Request, workflow_type: str, ui: UiDep) -> Response:
    await current_user(ui, request)
    contract = ui.contracts.get(workflow_type)
    if contract is None:
        raise ApiError(404, "not_found", f"no workflow {workflow_type}")
    return svg_response(contract_svg(contract))


def svg_response(svg: str) -> Response:
    """An SVG image with its own, image-only CSP."""
    return Response(svg, media_type="image/svg+xml", headers={"Content-Security-Policy": SVG_CSP})
