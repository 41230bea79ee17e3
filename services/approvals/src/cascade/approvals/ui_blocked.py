"""`/blocked`: runs a block rule stopped (e.g. a duplicate customer), beside the customers
they collided with, so Mike sees what never reached his inbox."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cascade.approvals import fmt
from cascade.approvals.list_params import ListParams
from cascade.approvals.proposal_page import COMPARED, candidate_ids
from cascade.approvals.ui_queries import blocked_runs, customers_by_id, nav_counts
from cascade.approvals.web import UiDep, current_user, render
from cascade.shared.contract import Contract
from cascade.shared.db.models import Customer, WorkflowRun


@dataclass(frozen=True)
class BlockedRun:
    """A blocked run, why it was blocked, and the existing customers it matched."""

    run: WorkflowRun
    title: str
    reasons: list[str]
    matches: list[Customer]

    def compared(self) -> list[tuple[str, Any, list[Any]]]:
        """(label, the requested value, each matching customer's value), as on the proposal
        page; rows where every side is empty are left out."""
        rows = [
            (label, self.run.inputs.get(name), [getattr(c, column) for c in self.matches])
            for label, name, column in COMPARED
        ]
        return [r for r in rows if r[1] not in (None, "") or any(v not in (None, "") for v in r[2])]


def customer_link(customer: Customer) -> str:
    """Where Mike finds an existing customer: the run that created it, else a run search
    for its name (the UI has no customer page of its own)."""
    if customer.created_by_run_id is not None:
        return f"/runs/{customer.created_by_run_id}"
    return "/runs?" + urlencode({"q": customer.companyname})


def block_reasons(run: WorkflowRun, contract: Contract | None) -> list[str]:
    """The messages of the block rules the run's error names, else the error itself (pure)."""
    error = run.error or ""
    # The runner writes "blocked [at approval] by precondition a, b".
    words = set(re.split(r"[\s,]+", error))
    rules = contract.preconditions if contract is not None else []
    named = [
        r.message or r.name.replace("_", " ")
        for r in rules
        if r.severity == "block" and r.name in words
    ]
    return named or ([error] if error else [])


def blocked_views(
    runs: Sequence[WorkflowRun],
    customers: Mapping[int, Customer],
    contracts: Mapping[str, Contract],
) -> list[BlockedRun]:
    """Each blocked run with its matching customers (pure)."""
    views = []
    for run in runs:
        contract = contracts.get(run.workflow_type)
        workflow = contract.title if contract is not None else run.workflow_type
        ids = candidate_ids(run.context or {})
        views.append(
            BlockedRun(
                run, run.title or f"{workflow} · run {run.run_id}", block_reasons(run, contract),
                [customers[i] for i in ids if i in customers],
            )
        )  # fmt: skip
    return views


router = APIRouter()


@router.get("/blocked")
async def show_blocked(request: Request, asked: ListParams, ui: UiDep) -> Response:
    user = await current_user(ui, request)
    async with ui.uow() as uow:
        runs = await blocked_runs(uow.session, asked.search, asked.page)
        ids = sorted({i for r in runs for i in candidate_ids(r.context or {})})
        customers = await customers_by_id(uow.session, ids)
        nav = await nav_counts(uow.session)
        return render(
            "blocked.html", user=user, nav=nav, current="blocked", fmt=fmt,
            rows=blocked_views(runs, customers, ui.contracts), customer_link=customer_link,
            **asked.listing(len(runs)),
        )  # fmt: skip
