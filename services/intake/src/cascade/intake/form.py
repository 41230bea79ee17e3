"""The sales form at `/`: one HTML form per manually triggered contract, same rules as the API
(`cascade.shared.run_requests`: the check, the messages, how a form's amounts are read)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cascade.intake.catalog import CatalogDep
from cascade.shared.contract import Contract
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.http_bodies import CLOSE_CONNECTION, BodyTimeout, BodyTooLarge, read_body
from cascade.shared.run_requests.form_values import (
    errors_in_field_order,
    field_messages,
    form_request,
    input_attributes,
)
from cascade.shared.run_requests.messages import label
from cascade.shared.run_requests.staging import (
    IdempotencyConflict,
    SqlRunRequestWork,
    accept_run,
    reserved_key,
)
from cascade.shared.runtime import RuntimeDep

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


def form_fields(raw: bytes) -> dict[str, str]:
    """A urlencoded body as single values; blank fields are left out (they mean 'absent')."""
    parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=False, strict_parsing=False)
    return {k: v[0].strip() for k, v in parsed.items() if v and v[0].strip()}


# The page loads only intake's own stylesheet and script; nothing may frame it.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def manual_types(contracts: Mapping[str, Contract]) -> list[str]:
    """The manually triggered workflow types, sorted: the form's choices (pure)."""
    return sorted(n for n, c in contracts.items() if c.trigger.kind == "manual")


def page(
    contracts: Mapping[str, Contract],
    name: str,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> HTMLResponse:
    """The form of workflow type `name`, with the values and errors of a refused try."""
    manual = manual_types(contracts)
    html = TEMPLATES.get_template("form.html").render(
        contract=contracts[name],
        values=values,
        errors=errors_in_field_order(contracts[name], errors),
        idempotency_key=values.get("idempotency_key") or str(uuid.uuid4()),
        others=manual if len(manual) > 1 else [],
        attributes=input_attributes,
        label=label,
    )
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


# `GET /` renders a form; `POST /` accepts it like `POST /v1/runs`.
router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def show(catalog: CatalogDep, workflow: str | None = None) -> HTMLResponse:
    manual = manual_types(catalog.contracts)
    name = workflow if workflow in manual else manual[0]
    return page(catalog.contracts, name, {}, {}, 200)


@router.post("/", response_class=HTMLResponse)
async def submit(request: Request, runtime: RuntimeDep, catalog: CatalogDep) -> HTMLResponse:
    s = runtime.settings
    try:
        fields = form_fields(
            await read_body(request, s.intake_max_body_bytes, s.http_body_timeout_s)
        )
    except (BodyTooLarge, UnicodeDecodeError):
        return HTMLResponse("Request too large or not UTF-8.", status_code=413)
    except BodyTimeout as slow:
        return HTMLResponse(str(slow), status_code=408, headers=CLOSE_CONNECTION)
    contracts = catalog.contracts
    name = fields.pop("workflow_type", "")
    key = fields.pop("idempotency_key", None)
    if key is not None and reserved_key(key):
        # The page makes its own keys; one shaped like a trigger's was not made by it.
        return HTMLResponse("Invalid form key.", status_code=422)
    if name not in manual_types(contracts):
        return HTMLResponse("Unknown workflow.", status_code=422)
    run = form_request(contracts[name], fields, "sales_intake_form", catalog.validate)
    if isinstance(run, list):
        shown = {**fields, "idempotency_key": key or ""}
        return page(contracts, name, shown, field_messages(run), 422)
    try:
        async with UnitOfWork(runtime.session_factory) as uow:
            accepted = await accept_run(
                SqlRunRequestWork(uow),
                run,
                key[:200] if key else None,
                runtime.settings.topic_prefix,
                f"form:{name}",
            )
    except IdempotencyConflict:
        return page(
            contracts, name, fields, {"": "This form was already submitted with other values."}, 422
        )
    html = TEMPLATES.get_template("accepted.html").render(
        run_id=accepted.run_id, replayed=accepted.replayed, workflow_type=name
    )
    status = 200 if accepted.replayed else 202
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
