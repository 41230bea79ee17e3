"""`/runs` and `/runs/{run_id}`: what each run did (one history, what failed and why, the
graph of all six lanes), the push Retry button and Correct and re-push."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from cascade.approvals import fmt
from cascade.approvals.api_runs import RunStatusFilter
from cascade.approvals.errors import ApiError
from cascade.approvals.graphs import contract_svg
from cascade.approvals.list_params import ListParams
from cascade.approvals.push_corrections import (
    CorrectionInvalid,
    CorrectionRefused,
    CorrectionRequest,
    correctable_problem,
    editable_fields,
    propose_correction,
)
from cascade.approvals.push_failures import explain
from cascade.approvals.push_retry import RetryRefused, RetryRequest, request_retry
from cascade.approvals.queries import run_bundle
from cascade.approvals.repositories import SqlProposals, SqlRunStarts
from cascade.approvals.run_graph import node_states
from cascade.approvals.run_problems import corrections_of, run_problems
from cascade.approvals.sessions import SessionUser
from cascade.approvals.timeline import run_timeline
from cascade.approvals.ui_proposal import svg_response
from cascade.approvals.ui_queries import RunFilter, nav_counts, run_list
from cascade.approvals.unit_of_work import SqlApprovalsWork
from cascade.approvals.web import Ui, UiDep, current_user, form_of, render, see_other
from cascade.shared.canonical import sha256_of
from cascade.shared.contract import Contract
from cascade.shared.db.models import DeadLetter, NsPendingPush, WorkflowRun
from cascade.shared.db.statuses import RunStatus
from cascade.shared.db.uow import UnitOfWork

log = logging.getLogger(__name__)
TERMINAL = {
    RunStatus.COMPLETED,
    RunStatus.PARTIAL,
    RunStatus.FAILED,
    RunStatus.BLOCKED,
    RunStatus.REJECTED,
    RunStatus.EXPIRED,
}


def run_row(run: WorkflowRun, contracts: Mapping[str, Contract]) -> dict[str, object]:
    """One line of the run list: the business subject first, the run id beside it."""
    contract = contracts.get(run.workflow_type)
    workflow = contract.title if contract is not None else run.workflow_type
    return {
        "run": run,
        "title": run.title or f"{workflow} · run {run.run_id}",
        "workflow": workflow,
        "summary": fmt.summary_pairs(run.summary),
    }


async def _requested_page(uow: UnitOfWork, user: SessionUser, run_id: uuid.UUID) -> Response:
    """A run Mike started from the Execute form that intake has not staged yet (or
    refused: its dead letter says why); any other unknown run is a 404."""
    start = await SqlRunStarts(uow.session).of_run(run_id)
    if start is None:
        raise ApiError(404, "not_found", f"no run {run_id}")
    refused = (
        await uow.session.scalars(
            select(DeadLetter).where(DeadLetter.key == str(run_id)).order_by(DeadLetter.id)
        )
    ).all()
    return render(
        "run_requested.html", user=user, start=start, run_id=run_id, fmt=fmt,
        refused=refused, live=not refused,
    )  # fmt: skip


async def _correction_page(
    ui: Ui, user: SessionUser, run_id: uuid.UUID, push_id: int,
    values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    async with ui.uow() as uow:
        push = await uow.session.get(NsPendingPush, push_id)
        problem = correctable_problem(push, run_id)
        if problem is not None:
            raise ApiError(409, "not_correctable", problem)
        assert push is not None
        waiting = await SqlProposals(uow.session).pending_correction(push_id)
        return render(
            "push_correction.html", status, user=user, push=push, run_id=run_id, fmt=fmt,
            failure=explain(push.record_type, push.last_error),
            fields=editable_fields(push), base_sha256=sha256_of(push.payload),
            values=values or {}, errors=errors or {}, waiting=waiting,
        )  # fmt: skip


router = APIRouter()


@router.get("/runs")
async def list_page(
    request: Request, asked: ListParams, ui: UiDep, status: RunStatusFilter | Literal[""] = ""
) -> Response:
    user = await current_user(ui, request)
    async with ui.uow() as uow:
        rows = await run_list(uow.session, RunFilter(status or None, asked.search), asked.page)
        nav = await nav_counts(uow.session)
        return render(
            "runs.html", user=user, nav=nav, current="runs", fmt=fmt, now=datetime.now(UTC),
            rows=[run_row(r, ui.contracts) for r in rows],
            **asked.listing(len(rows), status=status),
        )  # fmt: skip


@router.get("/runs/{run_id}")
async def run_page(request: Request, run_id: uuid.UUID, ui: UiDep) -> Response:
    user = await current_user(ui, request)
    async with ui.uow() as uow:
        bundle = await run_bundle(uow.session, run_id)
        if bundle is None:
            return await _requested_page(uow, user, run_id)
        failures = {n.id: explain(n.record_type, n.last_error) for n in bundle.pushes}
        corrections = {n.id: corrections_of(bundle, n.id) for n in bundle.pushes}
        return render(
            "run.html", user=user, b=bundle, fmt=fmt, now=datetime.now(UTC),
            live=bundle.run.status not in TERMINAL, notice=request.query_params.get("done"),
            timeline=run_timeline(bundle), problems=run_problems(bundle),
            failures=failures, corrections=corrections,
        )  # fmt: skip


@router.get("/runs/{run_id}/graph.svg")
async def run_graph(request: Request, run_id: uuid.UUID, ui: UiDep) -> Response:
    await current_user(ui, request)
    async with ui.uow() as uow:
        bundle = await run_bundle(uow.session, run_id)
        contract = ui.contracts.get(bundle.run.workflow_type) if bundle is not None else None
        if bundle is None or contract is None:
            raise ApiError(404, "not_found", f"no graph for run {run_id}")
        states = node_states(bundle, contract)
    return svg_response(contract_svg(contract, states))


@router.post("/runs/{run_id}/pushes/{push_id}/retry")
async def retry(request: Request, run_id: uuid.UUID, push_id: int, ui: UiDep) -> Response:
    user, _ = await form_of(ui, request)
    ask = RetryRequest(run_id, push_id, user.actor, user.remote_addr)
    try:
        async with ui.uow() as uow:
            await request_retry(SqlApprovalsWork(uow), ask, ui.runtime.settings.topic_prefix)
    except RetryRefused as refused:
        raise ApiError(409, "retry_refused", str(refused)) from None
    return see_other(f"/runs/{run_id}?done=retry")


@router.get("/runs/{run_id}/pushes/{push_id}/correct")
async def correction_form(request: Request, run_id: uuid.UUID, push_id: int, ui: UiDep) -> Response:
    user = await current_user(ui, request)
    return await _correction_page(ui, user, run_id, push_id)


@router.post("/runs/{run_id}/pushes/{push_id}/correct")
async def correct(request: Request, run_id: uuid.UUID, push_id: int, ui: UiDep) -> Response:
    """Mike's corrected values become a new pending proposal; nothing is pushed yet."""
    user, form = await form_of(ui, request)
    values = {k.removeprefix("field_"): v for k, v in form.items() if k.startswith("field_")}
    ask = CorrectionRequest(
        run_id, push_id, form.get("base_sha256", ""), values, user.actor, user.remote_addr
    )
    try:
        async with ui.uow() as uow:
            proposal_id = await propose_correction(SqlApprovalsWork(uow), ask)
    except CorrectionInvalid as invalid:
        return await _correction_page(ui, user, run_id, push_id, values, invalid.errors, status=422)
    except CorrectionRefused as refused:
        raise ApiError(409, "not_correctable", str(refused)) from None
    log.info("ui correction of push %d by %s: proposal %d", push_id, user.actor, proposal_id)
    return see_other(f"/proposals/{proposal_id}")
