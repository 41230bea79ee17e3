"""Intake's HTTP API: `POST /v1/runs`, from sales tools and upstream systems."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from cascade.intake.catalog import CatalogDep
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.http_bodies import CLOSE_CONNECTION, BodyTimeout, BodyTooLarge, read_body
from cascade.shared.run_requests.staging import (
    IdempotencyConflict,
    SqlRunRequestWork,
    accept_run,
    reserved_key,
)
from cascade.shared.run_requests.validation import FieldError, RunRequest, parse_run_request
from cascade.shared.runtime import RuntimeDep

MAX_IDEMPOTENCY_KEY = 200
STARTED_BY_API = "api"

RUN_REQUEST_OPENAPI: dict[str, object] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": RunRequest.model_json_schema()}},
    },
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY},
        }
    ],
    "responses": {
        "200": {"description": "the same Idempotency-Key again: the run it started"},
        "400": {"description": "a bad Idempotency-Key header"},
        "408": {"description": "the body did not arrive in time"},
        "413": {"description": "the body is too large"},
        "422": {"description": "errors: [{field, message}]"},
        "503": {"description": "the database is unreachable; see Retry-After"},
    },
}


def errors_body(errors: list[FieldError]) -> dict[str, object]:
    """The one error shape of intake: a list of {field, message}."""
    return {"errors": [{"field": e.field, "message": e.message} for e in errors]}


def errors_response(
    status: int, errors: list[FieldError], headers: dict[str, str] | None = None
) -> JSONResponse:
    """An error answer in intake's shape."""
    return JSONResponse(errors_body(errors), status_code=status, headers=headers)


def outage_body(message: str) -> dict[str, object]:
    """The 503 of a database outage, in intake's shape."""
    return errors_body([FieldError("database", message)])


router = APIRouter()


# The body is read raw (bounded size, depth and time) rather than bound by FastAPI, so the
# schema is stated here for the OpenAPI document: clients and fuzzers can reach it.
@router.post("/v1/runs", status_code=202, openapi_extra=RUN_REQUEST_OPENAPI)
async def create_run(request: Request, runtime: RuntimeDep, catalog: CatalogDep) -> JSONResponse:
    limit = runtime.settings.intake_max_body_bytes
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
        msg = f"must be 1 to {MAX_IDEMPOTENCY_KEY} characters"
        return errors_response(400, [FieldError("Idempotency-Key", msg)])
    if key is not None and reserved_key(key):
        msg = "must not start with event:, cron:, admin: or agent: (the keys of triggered runs)"
        return errors_response(400, [FieldError("Idempotency-Key", msg)])
    try:
        raw = await read_body(request, limit, runtime.settings.http_body_timeout_s)
    except BodyTooLarge:
        return errors_response(413, [FieldError("body", f"larger than {limit} bytes")])
    except BodyTimeout as slow:
        return errors_response(408, [FieldError("body", str(slow))], CLOSE_CONNECTION)
    parsed = parse_run_request(raw, catalog.validate)
    if isinstance(parsed, list):
        return errors_response(422, parsed)
    try:
        async with UnitOfWork(runtime.session_factory) as uow:
            accepted = await accept_run(
                SqlRunRequestWork(uow), parsed, key, runtime.settings.topic_prefix, STARTED_BY_API
            )
    except IdempotencyConflict:
        msg = "already used for a different request"
        return errors_response(422, [FieldError("Idempotency-Key", msg)])
    body = {"run_id": str(accepted.run_id), "replayed": accepted.replayed}
    return JSONResponse(body, status_code=200 if accepted.replayed else 202)
