"""The consumer's `accepts` filter on the real database: a record the handler passes by costs
no transaction and leaves no claim; an accepted one is claimed and handled once."""

from __future__ import annotations

import uuid

import pytest
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.consumer import ConsumerPolicy, IdempotentConsumer, RecordView
from cascade.shared.db.models import DeadLetter, ProcessedMessage
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.topics import Topic

pytestmark = pytest.mark.integration

Factory = async_sessionmaker[AsyncSession]


class Kind(BaseModel):
    kind: str


def record(envelope: Envelope, offset: int) -> RecordView:
    return RecordView("t", 0, offset, str(envelope.run_id), envelope.to_bytes())


async def test_a_record_not_accepted_is_neither_claimed_nor_handled(
    session_factory: Factory,
) -> None:
    handled: list[str] = []

    async def handler(envelope: Envelope, uow: UnitOfWork) -> None:
        handled.append(envelope.idempotency_key)

    def accepts(envelope: Envelope) -> bool:
        return Kind.model_validate(envelope.data).kind == "mine"

    consumer = IdempotentConsumer("filtered", handler, session_factory, ConsumerPolicy(), accepts)
    theirs = new_envelope(Topic.PROPOSAL_APPROVED, "test", uuid.uuid4(), {"kind": "theirs"})
    mine = new_envelope(Topic.PROPOSAL_APPROVED, "test", uuid.uuid4(), {"kind": "mine"})
    broken = new_envelope(Topic.PROPOSAL_APPROVED, "test", uuid.uuid4(), {"other": 1})
    for offset, envelope in enumerate((theirs, mine, mine, broken)):
        await consumer.process(record(envelope, offset))

    assert handled == [mine.idempotency_key], "accepted once (the copy is a duplicate)"
    async with session_factory() as session:
        claims = (await session.scalars(select(ProcessedMessage.idempotency_key))).all()
        letters = (await session.scalars(select(DeadLetter))).all()
    assert claims == [mine.idempotency_key], "a record passed by leaves no claim"
    # A filter's schema error is the handler's: dead-lettered at once, not retried.
    assert [(letter.message_ref, letter.attempts) for letter in letters] == [("t:0:3", 1)]
