"""Intake's HTTP API: `POST /v1/runs`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from cascade.intake.handlers import IdempotencyConflict, accept_run
from cascade.intake.validation import FieldError, InputValidator, parse_run_request
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.runtime import ServiceRuntime

MAX_IDEMPOTENCY_KEY = 200


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""


async def read_limited(request: Request, limit: int) -> bytes:
    """Read at most `limit` bytes, refusing early on Content-Length or while streaming."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def errors_response(status: int, errors: list[FieldError]) -> JSONResponse:
    """The one error shape of intake: a list of {field, message}."""
    body = {"errors": [{"field": e.field, "message": e.message} for e in errors]}
    return JSONResponse(body, status_code=status)


def intake_router(runtime: ServiceRuntime, validate_inputs: InputValidator) -> APIRouter:
    """Routes that accept run requests from sales tools and upstream systems."""
    router = APIRouter()
    limit = runtime.settings.intake_max_body_bytes

    @router.post("/v1/runs", status_code=202)
    async def create_run(request: Request) -> JSONResponse:
        key = request.headers.get("idempotency-key")
        if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
            msg = f"must be 1 to {MAX_IDEMPOTENCY_KEY} characters"
            return errors_response(400, [FieldError("Idempotency-Key", msg)])
        try:
            raw = await read_limited(request, limit)
        except BodyTooLarge:
            return errors_response(413, [FieldError("body", f"larger than {limit} bytes")])
        parsed = parse_run_request(raw, validate_inputs)
        if isinstance(parsed, list):
            return errors_response(422, parsed)
        try:
            async with UnitOfWork(runtime.session_factory) as uow:
                accepted = await accept_run(uow, parsed, key, runtime.settings.topic_prefix)
        except IdempotencyConflict:
            msg = "already used for a different request"
            return errors_response(422, [FieldError("Idempotency-Key", msg)])
        body = {"run_id": str(accepted.run_id), "replayed": accepted.replayed}
        return JSONResponse(body, status_code=200 if accepted.replayed else 202)

    return router
