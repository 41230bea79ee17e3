"""The one error shape of the approvals API: `{"error": code, "message": text, ...}`; browsers
asking for a page get the same refusal as an HTML page instead (`error_pages`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
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


ErrorPage = Callable[[Request, int, str], Response]
"""An HTML page for a browser's failed request: (request, HTTP status, what went wrong)."""


def wants_page(request: Request) -> bool:
    """Whether a failed request came from a browser showing a page (it accepts HTML and is
    not the JSON API, the event stream, an image or a static file): it gets an HTML error
    page; everything else keeps the API's JSON error shape."""
    path = request.url.path
    machine = path.startswith(("/v1/", "/static/")) or path in ("/events", "/healthz")
    if machine or path.endswith(".svg"):
        return False
    return "text/html" in request.headers.get("accept", "")


def install_error_handlers(app: FastAPI, retry_after_s: int, page: ErrorPage | None = None) -> None:
    """Answer every refusal, every database outage (503) and every bug in the API's shape;
    with `page`, a browser's page request gets an HTML page instead (`wants_page`)."""
    install_outage_handler(app, retry_after_s, outage_body)

    def html(request: Request, status: int, message: str) -> Response | None:
        return page(request, status, message) if page is not None and wants_page(request) else None

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        shown = html(request, exc.status, exc.message)
        if shown is not None:
            shown.headers.update(exc.headers)
            return shown
        body = {"error": exc.code, "message": exc.message, **exc.extra}
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = field_errors(exc.errors())
        shown = html(request, 422, "; ".join(f"{e.field}: {e.message}" for e in errors))
        return shown or await api_error(request, invalid(errors))

    async def http_error(request: Request, exc: Exception) -> Response:
        # Unknown paths and wrong methods, raised by the router before any route runs.
        assert isinstance(exc, HTTPException)
        shown = html(request, exc.status_code, str(exc.detail))
        if shown is not None:
            return shown
        body = {"error": f"http_{exc.status_code}", "message": str(exc.detail)}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    async def internal_error(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        # Runs outside the middleware stack, so it adds the security headers itself (a
        # page keeps its own CSP, which lets it load the stylesheet).
        shown = html(request, 500, "internal error")
        if shown is not None:
            for name, value in SECURITY_HEADERS.items():
                shown.headers.setdefault(name, value)
            return shown
        body = {"error": "internal_error", "message": "internal error; see the service log"}
        return JSONResponse(body, status_code=500, headers=SECURITY_HEADERS)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, internal_error)
