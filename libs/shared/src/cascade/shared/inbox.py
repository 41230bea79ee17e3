"""Idempotent-consumer claim: a consumer's effect commits with its claim on the key."""

from __future__ import annotations

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
