"""Idempotent-consumer claim: a consumer's effect commits with its claim on the key."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared.db.messaging_models import ProcessedMessage


async def claim(session: AsyncSession, consumer: str, idempotency_key: str) -> bool:
    """Claim `idempotency_key` for `consumer` in the current transaction.

    False means the key was processed before (or is being processed by a transaction
    that will win): the caller must skip its effect.
    """
    stmt = (
        insert(ProcessedMessage)
        .values(consumer=consumer, idempotency_key=idempotency_key)
        .on_conflict_do_nothing()
        .returning(ProcessedMessage.consumer)
    )
    return (await session.execute(stmt)).first() is not None


async def release(session: AsyncSession, consumer: str, idempotency_key: str) -> None:
    """Undo this transaction's claim of `idempotency_key`: the message is acked but leaves
    its key free, for a message that was ignored (e.g. a forged event carrying the key of
    a real one that is still to come)."""
    await session.execute(
        delete(ProcessedMessage).where(
            ProcessedMessage.consumer == consumer,
            ProcessedMessage.idempotency_key == idempotency_key,
        )
    )


class Inbox(Protocol):
    """The inbox as a use case sees it: claim or release a consumer's key."""

    async def claim(self, consumer: str, idempotency_key: str) -> bool:
        """`claim` in the use case's transaction."""
        ...

    async def release(self, consumer: str, idempotency_key: str) -> None:
        """`release` in the use case's transaction."""
        ...


class SqlInbox:
    """The inbox of one session's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, consumer: str, idempotency_key: str) -> bool:
        return await claim(self._session, consumer, idempotency_key)

    async def release(self, consumer: str, idempotency_key: str) -> None:
        await release(self._session, consumer, idempotency_key)
