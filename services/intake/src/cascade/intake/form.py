"""The sales form at `/`: one HTML form per manually triggered contract, same rules as the API.

People write amounts as "12,000.50"; the form takes well-formed grouping commas out before
the shared check (`ungrouped`). The JSON API does not: a machine sends a number or a plain
decimal string, and a comma there is ambiguous (12,000 is twelve in much of Europe)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cascade.intake.handlers import IdempotencyConflict, accept_run, reserved_key
from cascade.intake.messages import label
from cascade.intake.validation import FieldError, InputValidator, check_request
from cascade.shared.contract import Contract
from cascade.shared.contract.inputs import (
    DateInput,
    DecimalInput,
    EmailInput,
    InputSpec,
    IntegerInput,
    PhoneInput,
    StringInput,
)
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.http_bodies import CLOSE_CONNECTION, BodyTimeout, BodyTooLarge, read_body
from cascade.shared.runtime import ServiceRuntime

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


def form_fields(raw: bytes) -> dict[str, str]:
    """A urlencoded body as single values; blank fields are left out (they mean 'absent')."""
    parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=False, strict_parsing=False)
    return {k: v[0].strip() for k, v in parsed.items() if v and v[0].strip()}


# Grouping commas are only taken out where they separate groups of three digits.
GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
BAD_GROUPING = (
    "Write the amount in digits, e.g. 12000.50 or 12,000.50 (commas only between groups of "
    "three digits, a point before the cents)."
)
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


def ungrouped(value: str) -> str | None:
    """An amount without its grouping commas ("12,000.50" -> "12000.50"), the value itself
    when it has none, or None when its commas are not grouping (pure)."""
    if "," not in value:
        return value
    return value.replace(",", "") if GROUPED.fullmatch(value) else None


def amounts_ungrouped(
    contract: Contract, fields: dict[str, str]
) -> tuple[dict[str, str], list[FieldError]]:
    """The form's decimal fields without grouping commas, and a problem for each whose
    commas are not grouping (those are left out of the inputs)."""
    inputs, problems = dict(fields), []
    for spec in contract.inputs:
        if isinstance(spec, DecimalInput) and spec.name in inputs:
            plain = ungrouped(inputs[spec.name])
            if plain is None:
                del inputs[spec.name]
                problems.append(FieldError(f"inputs.{spec.name}", BAD_GROUPING))
            else:
                inputs[spec.name] = plain
    return inputs, problems


def input_attributes(spec: InputSpec) -> dict[str, str]:
    """The HTML type and keyboard of an input: email, tel, decimal, ... (pure). A plain
    string named like an email address gets the email keyboard too; the form is sent with
    `novalidate`, so the server's messages, not the browser's, decide what is refused."""
    if isinstance(spec, EmailInput) or (
        isinstance(spec, StringInput) and spec.name.endswith("email")
    ):
        return {"type": "email", "autocomplete": "email", "spellcheck": "false"}
    if isinstance(spec, PhoneInput):
        return {"type": "tel", "autocomplete": "tel"}
    if isinstance(spec, DecimalInput):
        return {"type": "text", "inputmode": "decimal", "autocomplete": "off"}
    if isinstance(spec, IntegerInput):
        return {"type": "text", "inputmode": "numeric", "autocomplete": "off"}
    if isinstance(spec, DateInput):
        return {"type": "date"}
    return {"type": "text"}


def field_messages(errors: list[FieldError]) -> dict[str, str]:
    """Errors by input name, for display next to each field."""
    shown: dict[str, str] = {}
    for error in errors:
        name = error.field.removeprefix("inputs.")
        shown.setdefault(name if "." not in name else "", error.message)
    return shown


def form_router(
    runtime: ServiceRuntime, contracts: Mapping[str, Contract], validate: InputValidator
) -> APIRouter:
    """`GET /` renders a form; `POST /` accepts it like `POST /v1/runs`."""
    router = APIRouter()
    manual = sorted(n for n, c in contracts.items() if c.trigger.kind == "manual")

    def page(
        name: str, values: dict[str, str], errors: dict[str, str], status: int
    ) -> HTMLResponse:
        # The summary lists the errors in the order of the fields on the page.
        order = ["", *(spec.name for spec in contracts[name].inputs)]
        errors = dict(
            sorted(errors.items(), key=lambda e: order.index(e[0]) if e[0] in order else 0)
        )
        html = TEMPLATES.get_template("form.html").render(
            contract=contracts[name],
            values=values,
            errors=errors,
            idempotency_key=values.get("idempotency_key") or str(uuid.uuid4()),
            others=manual if len(manual) > 1 else [],
            attributes=input_attributes,
            label=label,
        )
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)

    @router.get("/", response_class=HTMLResponse)
    async def show(workflow: str | None = None) -> HTMLResponse:
        name = workflow if workflow in manual else manual[0]
        return page(name, {}, {}, 200)

    @router.post("/", response_class=HTMLResponse)
    async def submit(request: Request) -> HTMLResponse:
        s = runtime.settings
        try:
            fields = form_fields(
                await read_body(request, s.intake_max_body_bytes, s.http_body_timeout_s)
            )
        except (BodyTooLarge, UnicodeDecodeError):
            return HTMLResponse("Request too large or not UTF-8.", status_code=413)
        except BodyTimeout as slow:
            return HTMLResponse(str(slow), status_code=408, headers=CLOSE_CONNECTION)
        name = fields.pop("workflow_type", "")
        key = fields.pop("idempotency_key", None)
        if key is not None and reserved_key(key):
            # The page makes its own keys; one shaped like a trigger's was not made by it.
            return HTMLResponse("Invalid form key.", status_code=422)
        if name not in manual:
            return HTMLResponse("Unknown workflow.", status_code=422)
        inputs, bad_amounts = amounts_ungrouped(contracts[name], fields)
        run = check_request(
            {"workflow_type": name, "inputs": inputs, "source": "sales_intake_form"}, validate
        )
        if bad_amounts or isinstance(run, list):
            problems = bad_amounts + (run if isinstance(run, list) else [])
            shown = {**fields, "idempotency_key": key or ""}
            return page(name, shown, field_messages(problems), 422)
        try:
            async with UnitOfWork(runtime.session_factory) as uow:
                accepted = await accept_run(
                    uow,
                    run,
                    key[:200] if key else None,
                    runtime.settings.topic_prefix,
                    f"form:{name}",
                )
        except IdempotencyConflict:
            return page(
                name, fields, {"": "This form was already submitted with other values."}, 422
            )
        html = TEMPLATES.get_template("accepted.html").render(
            run_id=accepted.run_id, replayed=accepted.replayed, workflow_type=name
        )
        status = 200 if accepted.replayed else 202
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)

    return router
