"""The one error shape of the approvals API: `{"error": code, "message": text, ...}`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from cascade.approvals.bodies import FieldError, field_errors
from cascade.approvals.headers import SECURITY_HEADERS
from cascade.shared.http_bodies import CLOSE_CONNECTION, BodyTimeout, BodyTooLarge, read_body
from cascade.shared.http_outage import install_outage_handler

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal with an HTTP status, a stable code for scripts and a message for Mike."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


def invalid(errors: list[FieldError]) -> ApiError:
    """422 naming each bad field."""
    listed = [{"field": e.field, "message": e.message} for e in errors]
    fields = ", ".join(e.field for e in errors)
    return ApiError(422, "invalid_request", f"invalid: {fields}", {"errors": listed})


async def read_limited(request: Request, limit: int, timeout_s: float) -> bytes:
    """The body (`cascade.shared.http_bodies.read_body`), refusals as 413 / 408 ApiErrors."""
    try:
        return await read_body(request, limit, timeout_s)
    except BodyTooLarge as large:
        raise ApiError(413, "body_too_large", str(large)) from None
    except BodyTimeout as slow:
        raise ApiError(408, "body_timeout", str(slow), headers=CLOSE_CONNECTION) from None


def outage_body(message: str) -> dict[str, object]:
    """The 503 of a database outage, in the API's error shape."""
    return {"error": "database_unavailable", "message": message}


def install_error_handlers(app: FastAPI, retry_after_s: int) -> None:
    """Answer every refusal, every database outage (503) and every bug in the API's shape."""
    install_outage_handler(app, retry_after_s, outage_body)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    # Runs outside the middleware stack, so it adds the security headers itself.
    app.add_exception_handler(Exception, _internal_error)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    body = {"error": exc.code, "message": exc.message, **exc.extra}
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return await _api_error(request, invalid(field_errors(exc.errors())))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    # Unknown paths and wrong methods, raised by the router before any route runs.
    assert isinstance(exc, HTTPException)
    body = {"error": f"http_{exc.status_code}", "message": str(exc.detail)}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    body = {"error": "internal_error", "message": "internal error; see the service log"}
    return JSONResponse(body, status_code=500, headers=SECURITY_HEADERS)
