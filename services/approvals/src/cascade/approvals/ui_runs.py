"""`/runs` and `/runs/{run_id}`: what each run did, step by step, with the coloured graph."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cascade.approvals import fmt
from cascade.approvals.api_runs import RunStatus
from cascade.approvals.errors import ApiError
from cascade.approvals.graphs import contract_svg
from cascade.approvals.list_params import (
    PAGE_SIZE,
    Day,
    Offset,
    Pager,
    SearchText,
    search_filters,
    search_of,
)
from cascade.approvals.push_retry import RetryRefused, RetryRequest, request_retry
from cascade.approvals.queries import Page, RunBundle, run_bundle
from cascade.approvals.ui_proposal import svg_response
from cascade.approvals.ui_queries import RunFilter, nav_counts, run_list
from cascade.approvals.web import Ui, current_user, form_of, render, see_other
from cascade.shared.contract import Contract
from cascade.shared.db.models import WorkflowRun

TERMINAL = {"completed", "partial", "failed", "blocked", "rejected", "expired"}


def step_statuses(bundle: RunBundle) -> dict[str, str]:
    """Each fan-out step's status, to colour its box in the graph."""
    return {s.step_id: s.status for s in bundle.steps}


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


def runs_router(ui: Ui, contracts: Mapping[str, Contract]) -> APIRouter:
    """The run list, the run page, its graph and the push retry button."""
    router = APIRouter()

    @router.get("/runs")
    async def list_page(
        request: Request,
        status: RunStatus | Literal[""] = "",
        q: SearchText = None,
        since: Day = None,
        until: Day = None,
        offset: Offset = 0,
    ) -> Response:
        user = await current_user(ui, request)
        search = search_of(q, since, until)
        async with ui.uow() as uow:
            rows = await run_list(
                uow.session, RunFilter(status or None, search), Page(PAGE_SIZE, offset)
            )
            nav = await nav_counts(uow.session)
            filters = {"status": status, **search_filters(search)}
            return render(
                "runs.html", user=user, nav=nav, current="runs", fmt=fmt, now=datetime.now(UTC),
                rows=[run_row(r, contracts) for r in rows], filters=filters,
                narrowed=any(filters.values()), pager=Pager(filters, offset, len(rows)),
            )  # fmt: skip

    @router.get("/runs/{run_id}")
    async def run_page(request: Request, run_id: uuid.UUID) -> Response:
        user = await current_user(ui, request)
        async with ui.uow() as uow:
            bundle = await run_bundle(uow.session, run_id)
            if bundle is None:
                raise ApiError(404, "not_found", f"no run {run_id}")
            return render(
                "run.html", user=user, b=bundle, fmt=fmt, now=datetime.now(UTC),
                live=bundle.run.status not in TERMINAL, notice=request.query_params.get("done"),
            )  # fmt: skip

    @router.get("/runs/{run_id}/graph.svg")
    async def run_graph(request: Request, run_id: uuid.UUID) -> Response:
        await current_user(ui, request)
        async with ui.uow() as uow:
            bundle = await run_bundle(uow.session, run_id)
            statuses = step_statuses(bundle) if bundle is not None else {}
            contract = contracts.get(bundle.run.workflow_type) if bundle is not None else None
        if contract is None:
            raise ApiError(404, "not_found", f"no graph for run {run_id}")
        return svg_response(contract_svg(contract, statuses))

    @router.post("/runs/{run_id}/pushes/{push_id}/retry")
    async def retry(request: Request, run_id: uuid.UUID, push_id: int) -> Response:
        user, _ = await form_of(ui, request)
        ask = RetryRequest(run_id, push_id, user.actor, user.remote_addr)
        try:
            async with ui.uow() as uow:
                await request_retry(uow, ask, ui.runtime.settings.topic_prefix)
        except RetryRefused as refused:
            raise ApiError(409, "retry_refused", str(refused)) from None
        return see_other(f"/runs/{run_id}?done=retry")

    return router
