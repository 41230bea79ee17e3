"""`/runs` and `/runs/{run_id}`: what each run did, step by step, with the coloured graph."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cascade.approvals import fmt
from cascade.approvals.api_runs import RunStatus
from cascade.approvals.errors import ApiError
from cascade.approvals.graphs import contract_svg
from cascade.approvals.push_retry import RetryRefused, RetryRequest, request_retry
from cascade.approvals.queries import Page, RunBundle, list_runs, run_bundle
from cascade.approvals.ui_proposal import svg_response
from cascade.approvals.web import Ui, current_user, form_of, render, see_other
from cascade.shared.contract import Contract

PAGE_SIZE = 50
TERMINAL = {"completed", "partial", "failed", "blocked", "rejected", "expired"}


def step_statuses(bundle: RunBundle) -> dict[str, str]:
    """Each fan-out step's status, to colour its box in the graph."""
    return {s.step_id: s.status for s in bundle.steps}


def runs_router(ui: Ui, contracts: Mapping[str, Contract]) -> APIRouter:
    """The run list, the run page, its graph and the push retry button."""
    router = APIRouter()

    @router.get("/runs")
    async def list_page(
        request: Request,
        status: RunStatus | Literal[""] = "",
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> Response:
        user = await current_user(ui, request)
        async with ui.uow() as uow:
            rows = await list_runs(uow.session, status or None, None, Page(PAGE_SIZE, offset))
            return render(
                "runs.html", user=user, rows=rows, fmt=fmt, now=datetime.now(UTC),
                status=status, offset=offset, page_size=PAGE_SIZE,
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
