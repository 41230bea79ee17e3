"""NetSuite's REST error body: `type`, `title`, `status` and a list of `o:errorDetails`.

The shape and the INVALID_LOGIN text follow Oracle's "Error Handling in REST Web Services";
clients parse these bodies, so the simulator must answer in exactly this form.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

_RFC2616 = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"
_TYPES = {
    400: (f"{_RFC2616}#sec10.4.1", "Bad Request"),
    401: (_RFC2616, "Unauthorized"),
    404: (f"{_RFC2616}#sec10.4.5", "Not Found"),
    405: (f"{_RFC2616}#sec10.4.6", "Method Not Allowed"),
    429: ("https://tools.ietf.org/html/rfc6585#section-4", "Too Many Requests"),
    500: (f"{_RFC2616}#sec10.5.1", "Internal Server Error"),
}

INVALID_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI "
    "at Setup > Users/Roles > User Management > View Login Audit Trail."
)
CONCURRENCY_DETAIL = (
    "Concurrent request limit exceeded. Request blocked. The account has reached its "
    "concurrency limit for web services and RESTlets."
)
UNEXPECTED_DETAIL = "An unexpected error occurred. Error ID: sim-injected-fault"


def error_body(
    status: int, code: str, detail: str, error_path: str | None = None
) -> dict[str, Any]:
    """The JSON body NetSuite sends with a 4xx/5xx answer."""
    type_url, title = _TYPES.get(status, (_RFC2616, "Error"))
    item: dict[str, Any] = {"detail": detail, "o:errorCode": code}
    if error_path is not None:
        item["o:errorPath"] = error_path
    return {"type": type_url, "title": title, "status": status, "o:errorDetails": [item]}


def error_response(
    status: int,
    code: str,
    detail: str,
    error_path: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An error answer as NetSuite sends it (problem+json style, NetSuite's fields)."""
    return JSONResponse(
        error_body(status, code, detail, error_path), status_code=status, headers=headers
    )


def invalid_login() -> JSONResponse:
    """The 401 NetSuite answers for any token-based authentication failure."""
    return error_response(401, "INVALID_LOGIN", INVALID_LOGIN_DETAIL)
