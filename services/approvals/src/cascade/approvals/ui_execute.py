"""`/execute`: Mike starts a run of any contract whose trigger allows it
(`trigger.admin_executable`), from a form generated from its inputs and checked by the same
rules as intake (`cascade.shared.run_requests`); then he watches the run he started."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cascade.approvals.errors import ApiError
from cascade.approvals.run_starts import FormAlreadyUsed, StartRequest, start_run
from cascade.approvals.sessions import SessionUser
from cascade.approvals.ui_queries import nav_counts
from cascade.approvals.unit_of_work import SqlApprovalsWork
from cascade.approvals.web import Ui, UiDep, current_user, form_of, render, see_other
from cascade.shared.contract import Contract
from cascade.shared.run_requests.admin import parse_form_key
from cascade.shared.run_requests.catalog import contract_input_validator
from cascade.shared.run_requests.form_values import (
    errors_in_field_order,
    field_messages,
    filled,
    form_request,
    input_attributes,
)
from cascade.shared.run_requests.messages import label

log = logging.getLogger(__name__)
SOURCE = "approvals_execute_form"
"""The request's `source`, like the sales form's `sales_intake_form`."""
ALREADY_USED = (
    "This form was already sent with other values, and that run has started. Check the "
    "values below and send them again to start another run."
)


def executable(contracts: Mapping[str, Contract]) -> dict[str, Contract]:
    """The contracts the Execute form may start, by workflow type, sorted (pure)."""
    return {n: c for n, c in sorted(contracts.items()) if c.trigger.admin_executable}


def _startable(ui: Ui, workflow_type: str) -> Contract:
    contract = executable(ui.contracts).get(workflow_type)
    if contract is None:
        raise ApiError(404, "not_found", f"no contract {workflow_type!r} to start here")
    return contract


async def _form_page(
    ui: Ui, user: SessionUser, contract: Contract, values: Mapping[str, str],
    errors: dict[str, str], form_key: uuid.UUID, status: int = 200,
) -> Response:  # fmt: skip
    async with ui.uow() as uow:
        nav = await nav_counts(uow.session)
    return render(
        "execute_form.html", status, user=user, nav=nav, current="execute",
        contract=contract, values=values, form_key=form_key, label=label,
        errors=errors_in_field_order(contract, errors), attributes=input_attributes,
    )  # fmt: skip


router = APIRouter()


@router.get("/execute")
async def choose(request: Request, ui: UiDep) -> Response:
    user = await current_user(ui, request)
    async with ui.uow() as uow:
        nav = await nav_counts(uow.session)
    startable = executable(ui.contracts)
    return render(
        "execute.html", user=user, nav=nav, current="execute", contracts=startable.values()
    )


@router.get("/execute/{workflow_type}")
async def show(request: Request, workflow_type: str, ui: UiDep) -> Response:
    user = await current_user(ui, request)
    return await _form_page(ui, user, _startable(ui, workflow_type), {}, {}, uuid.uuid4())


@router.post("/execute/{workflow_type}")
async def submit(request: Request, workflow_type: str, ui: UiDep) -> Response:
    user, form = await form_of(ui, request)
    contract = _startable(ui, workflow_type)
    form_key = parse_form_key(form.get("form_key"))
    if form_key is None:
        raise ApiError(422, "bad_form_key", "this form has no valid key; reload the page")
    values = filled(form, contract)
    validate = contract_input_validator(ui.contracts)
    checked = form_request(contract, values, SOURCE, validate)
    if isinstance(checked, list):
        return await _form_page(ui, user, contract, values, field_messages(checked), form_key, 422)
    ask = StartRequest(form_key, contract, checked, user.actor, user.remote_addr)
    try:
        async with ui.uow() as uow:
            started = await start_run(SqlApprovalsWork(uow), ask, ui.runtime.settings.topic_prefix)
    except FormAlreadyUsed:
        errors = {"": ALREADY_USED}
        return await _form_page(ui, user, contract, values, errors, uuid.uuid4(), 422)
    if not started.replayed:
        log.info("ui start of %s by %s: run %s", workflow_type, user.actor, started.run_id)
    return see_other(f"/runs/{started.run_id}?done=started")
