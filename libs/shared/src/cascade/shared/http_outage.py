"""503 with `Retry-After` instead of 500 when the database is unreachable, for every HTTP app.

A request that fails because PostgreSQL is down, restarting or refusing connections did
nothing and may simply be sent again later; a 500 would tell the client it hit a bug.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)

# SQLSTATE classes and codes that mean "the server is not there for us right now":
# 08 connection exceptions, 57P0x shutdown/cannot connect now/database dropped,
# 53300 too many connections, 3D000 the database does not exist (dropped or not yet made).
_OUTAGE_SQLSTATE_PREFIXES = ("08", "57P")
_OUTAGE_SQLSTATES = frozenset({"53300", "3D000"})
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ETIMEDOUT,
        errno.EPIPE,
    }
)

OutageBody = Callable[[str], dict[str, Any]]
"""Builds a service's error body from the message; each service keeps its own error shape."""

OUTAGE_MESSAGE = "the database is unavailable; try again later"


def is_database_outage(exc: BaseException) -> bool:
    """Whether `exc` says the database could not be reached (pure; no IO)."""
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection to give
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or isinstance(
            exc, sa_exc.OperationalError | sa_exc.InterfaceError
        ):
            return True
        state = str(getattr(exc.orig, "sqlstate", "") or "")
        return state in _OUTAGE_SQLSTATES or state.startswith(_OUTAGE_SQLSTATE_PREFIXES)
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    if isinstance(exc, OSError):
        # asyncpg raises a bare OSError("Multiple exceptions: ...") when every address of a
        # host name refused; its errno is None.
        return exc.errno in _NETWORK_ERRNOS or exc.errno is None
    return False


OUTAGE_TYPES: tuple[type[Exception], ...] = (
    sa_exc.DBAPIError,
    sa_exc.TimeoutError,
    OSError,  # ConnectionRefusedError, TimeoutError and the "Multiple exceptions" one
)


def install_outage_handler(app: FastAPI, retry_after_s: int, body: OutageBody) -> None:
    """Answer database outages with 503 and `Retry-After: retry_after_s`; any other error of
    the same types is re-raised and stays the app's 500."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        if not is_database_outage(exc):
            raise exc
        log.warning(
            "database unavailable on %s %s: %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
            str(exc).splitlines()[0] if str(exc) else "",
        )
        return JSONResponse(
            body(OUTAGE_MESSAGE), status_code=503, headers={"Retry-After": str(retry_after_s)}
        )

    for kind in OUTAGE_TYPES:
        app.add_exception_handler(kind, handle)
