"""The single admin, authenticated by a bearer token from settings (scripts, chat tools)."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from enum import Enum
from typing import Annotated

from fastapi import Depends, Request
from pydantic import SecretStr

from cascade.approvals.errors import ApiError

log = logging.getLogger(__name__)


class TokenCheck(Enum):
    """How a presented Authorization header compares with the configured token."""

    OK = "ok"
    NOT_CONFIGURED = "not_configured"
    MISSING = "missing"
    INVALID = "invalid"


@dataclass(frozen=True)
class Admin:
    """Who is acting, and from where (for the audit row and the log)."""

    name: str
    remote_addr: str | None


def configured_token(token: SecretStr | None) -> bytes | None:
    """The token as bytes, or None when unset or blank: a blank token must never open."""
    if token is None or not token.get_secret_value().strip():
        return None
    return token.get_secret_value().encode("utf-8")


def check_bearer(authorization: str | None, expected: bytes | None) -> TokenCheck:
    """Compare `Authorization: Bearer <token>` with `expected` in constant time."""
    if expected is None:
        return TokenCheck.NOT_CONFIGURED
    if not authorization:
        return TokenCheck.MISSING
    scheme, _, presented = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return TokenCheck.MISSING
    # Bytes, not str: compare_digest refuses non-ASCII str, and any header must just fail.
    given = presented.strip().encode("utf-8", errors="replace")
    return TokenCheck.OK if hmac.compare_digest(given, expected) else TokenCheck.INVALID


def remote_addr(request: Request) -> str | None:
    """The peer address uvicorn reports."""
    return request.client.host if request.client is not None else None


@dataclass(frozen=True)
class AdminGate:
    """Whom the API admits: the configured token (None: nobody) and the admin's name."""

    expected: bytes | None
    admin_name: str


def admin_gate(token: SecretStr | None, admin_name: str) -> AdminGate:
    """The gate of the configured token, built once by the app factory (`app.state.admin`)."""
    expected = configured_token(token)
    if expected is None:
        log.warning("no admin token configured (CASCADE_ADMIN_TOKEN): the API refuses all calls")
    return AdminGate(expected, admin_name)


def require_admin(request: Request) -> Admin:
    """A FastAPI dependency that admits the admin and refuses everyone else."""
    gate: AdminGate = request.app.state.admin
    outcome = check_bearer(request.headers.get("authorization"), gate.expected)
    if outcome is TokenCheck.OK:
        return Admin(gate.admin_name, remote_addr(request))
    # The header is never logged: a near-miss token is still a secret.
    log.warning(
        "auth refused: %s %r from %s (%s)",
        request.method,
        request.url.path,
        remote_addr(request),
        outcome.value,
    )
    raise _refusal(outcome)


AdminDep = Annotated[Admin, Depends(require_admin)]


def _refusal(outcome: TokenCheck) -> ApiError:
    if outcome is TokenCheck.NOT_CONFIGURED:
        message = "no admin token is configured (set CASCADE_ADMIN_TOKEN); the API is closed"
        return ApiError(503, "auth_not_configured", message)
    challenge = 'Bearer realm="cascade-approvals"'
    message = "send 'Authorization: Bearer <admin token>'"
    if outcome is TokenCheck.INVALID:
        challenge += ', error="invalid_token"'
        message = "the bearer token is not the admin token"
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})
