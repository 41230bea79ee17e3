"""Agent tokens: minted for one named agent with scopes, stored as an argon2 hash, found by
their public key id, revoked for good. Separate from Mike's admin token in every way: the
approvals service never reads this table, so no agent token can decide anything there."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.db.models import AgentToken

TOKEN_PREFIX = "cat_"  # noqa: S105 (a prefix, not a secret)
"""`cat_<key_id>_<secret>`: the prefix tells an agent token from Mike's at a glance."""

SCOPES = {
    "contracts:read": "list contracts and their inputs",
    "runs:read": "read a run, dry-run a start",
    "runs:start": "start a run (it stops at Mike's gate like any other)",
    "proposals:read": "list pending proposals",
    "emails:propose": "suggest a new text for a pending email draft (Mike decides)",
}
"""Every scope there is. None decides, approves, rejects, sends or retries anything: those
acts belong to Mike's session and admin token, which this gateway neither holds nor mints."""

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_HASHER = PasswordHasher()


class TokenProblem(ValueError):
    """A mint or revoke that cannot be done: the message says why."""


@dataclass(frozen=True)
class Agent:
    """An authenticated agent: its name (runs record `agent:<name>`) and its scopes."""

    name: str
    scopes: frozenset[str]
    key_id: str


def check_mint(name: str, scopes: Iterable[str]) -> frozenset[str]:
    """The scopes of a valid mint request (pure), or TokenProblem."""
    if not NAME.fullmatch(name):
        raise TokenProblem("the name is 1-63 of a-z, 0-9, '.', '_', '-', starting alnum")
    wanted = frozenset(scopes)
    unknown = sorted(wanted - SCOPES.keys())
    if unknown:
        raise TokenProblem(f"unknown scopes {unknown}; known: {sorted(SCOPES)}")
    if not wanted:
        raise TokenProblem("give at least one scope")
    return wanted


def split_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed agent token (pure)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    key_id, sep, secret = token.removeprefix(TOKEN_PREFIX).partition("_")
    if not sep or len(key_id) != 16 or len(secret) < 32:
        return None
    return key_id, secret


async def mint(
    factory: async_sessionmaker[AsyncSession], name: str, scopes: Iterable[str]
) -> tuple[str, Agent]:
    """A new token for `name`; the clear token is returned once and never stored."""
    granted = check_mint(name, scopes)
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    hashed = await asyncio.to_thread(_HASHER.hash, secret)
    async with factory() as session, session.begin():
        session.add(
            AgentToken(
                key_id=key_id,
                name=name,
                secret_hash=hashed,
                scopes={"scopes": sorted(granted)},
            )
        )
    return f"{TOKEN_PREFIX}{key_id}_{secret}", Agent(name, granted, key_id)


async def revoke(factory: async_sessionmaker[AsyncSession], name: str) -> int:
    """Revoke every live token of `name`; how many were revoked."""
    async with factory() as session, session.begin():
        done = await session.execute(
            update(AgentToken)
            .where(AgentToken.name == name, AgentToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
            .returning(AgentToken.id)
        )
        return len(done.all())


async def authenticate(factory: async_sessionmaker[AsyncSession], token: str) -> Agent | None:
    """The agent a presented token belongs to, or None (malformed, unknown, revoked, wrong)."""
    parts = split_token(token.strip())
    if parts is None:
        return None
    key_id, secret = parts
    async with factory() as session:
        row = (
            await session.execute(
                select(AgentToken).where(
                    AgentToken.key_id == key_id, AgentToken.revoked_at.is_(None)
                )
            )
        ).scalar_one_or_none()
    if row is None or not await asyncio.to_thread(_verify, row.secret_hash, secret):
        return None
    return Agent(row.name, frozenset(row.scopes.get("scopes", [])), key_id)


async def live_tokens(factory: async_sessionmaker[AsyncSession]) -> list[AgentToken]:
    """Every token not revoked, oldest first (the CLI's `list`)."""
    async with factory() as session:
        query = select(AgentToken).where(AgentToken.revoked_at.is_(None))
        return list((await session.scalars(query.order_by(AgentToken.id))).all())


def _verify(stored: str, secret: str) -> bool:
    try:
        return _HASHER.verify(stored, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
