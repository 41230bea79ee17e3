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


def install_error_handlers(app: FastAPI) -> None:
    """Answer every refusal, and every bug, in the API's error shape."""
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
