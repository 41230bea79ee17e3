"""Idempotent-consumer claim: a consumer's effect commits with its claim on the key."""

from __future__ import annotations

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
