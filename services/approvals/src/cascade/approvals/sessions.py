"""Server-side sessions of the UI: a random cookie, only its SHA-256 in PostgreSQL.

The use cases that open, check and close them are in `logins.py`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete, func, insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared.db.models import UiSession


@dataclass(frozen=True)
class SessionUser:
    """The admin behind a valid session cookie, with the session's CSRF token."""

    actor: str
    csrf_token: str
    remote_addr: str | None


@dataclass(frozen=True)
class SessionPolicy:
    """Idle and absolute lifetime of a session, in seconds."""

    idle_s: int
    absolute_s: int


def digest(cookie: str) -> str:
    """What the table stores of a cookie value."""
    return hashlib.sha256(cookie.encode("utf-8", errors="replace")).hexdigest()


def same_token(given: str | None, expected: str) -> bool:
    """A constant-time comparison of a presented CSRF token."""
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", errors="replace"), expected.encode())


class UiSessions(Protocol):
    """`ui_sessions`: the admin's open sessions, by their cookie's digest."""

    async def open(self, actor: str, remote_addr: str | None, policy: SessionPolicy) -> str:
        """A new session; returns the cookie value (shown once, never stored)."""
        ...

    async def touch(
        self, cookie: str, remote_addr: str | None, policy: SessionPolicy
    ) -> SessionUser | None:
        """The session's user when it is within both timeouts; also marks it as seen now."""
        ...

    async def close(self, cookie: str) -> None:
        """Forget the session, so the cookie opens nothing any more (logout, rotation)."""
        ...

    async def purge_expired(self, policy: SessionPolicy) -> None:
        """Drop sessions past either timeout."""
        ...


class SqlUiSessions:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open(self, actor: str, remote_addr: str | None, policy: SessionPolicy) -> str:
        cookie = secrets.token_urlsafe(32)
        await self._session.execute(
            insert(UiSession).values(
                id_sha256=digest(cookie),
                csrf_token=secrets.token_urlsafe(32),
                actor=actor,
                remote_addr=remote_addr,
                expires_at=func.now() + text(f"interval '{int(policy.absolute_s)} seconds'"),
            )
        )
        return cookie

    async def touch(
        self, cookie: str, remote_addr: str | None, policy: SessionPolicy
    ) -> SessionUser | None:
        s = UiSession
        idle_limit = func.now() - text(f"interval '{int(policy.idle_s)} seconds'")
        row = (
            await self._session.execute(
                update(s)
                .where(s.id_sha256 == digest(cookie), s.expires_at > func.now())
                .where(s.last_seen_at > idle_limit)
                .values(last_seen_at=func.now())
                .returning(s.actor, s.csrf_token)
            )
        ).one_or_none()
        return None if row is None else SessionUser(row.actor, row.csrf_token, remote_addr)

    async def close(self, cookie: str) -> None:
        await self._session.execute(delete(UiSession).where(UiSession.id_sha256 == digest(cookie)))

    async def purge_expired(self, policy: SessionPolicy) -> None:
        idle_limit = func.now() - text(f"interval '{int(policy.idle_s)} seconds'")
        await self._session.execute(
            delete(UiSession).where(
                (UiSession.expires_at <= func.now()) | (UiSession.last_seen_at <= idle_limit)
            )
        )
