"""`ns.push` marks its push due in one statement; an event naming another record changes
nothing (the handler raises, the unit of work rolls the mark back)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.ns_pusher.handlers import UnknownPush, on_push
from cascade.shared.db.models import NsPendingPush
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import new_envelope
from cascade.shared.topics import Topic

pytestmark = pytest.mark.integration

Factory = async_sessionmaker[AsyncSession]


async def staged_push(factory: Factory, status: str = "pending") -> NsPendingPush:
    async with UnitOfWork(factory) as uow:
        push = NsPendingPush(
            run_id=uuid.uuid4(),
            record_type="customer",
            external_id=f"cust-{uuid.uuid4().hex[:8]}",
            payload={"companyName": "Acme"},
            status=status,
        )
        uow.session.add(push)
        await uow.commit()
    return push


async def deliver(factory: Factory, push: NsPendingPush, external_id: str) -> None:
    data = {"push_id": push.id, "record_type": "customer", "external_id": external_id}
    envelope = new_envelope(Topic.NS_PUSH, "test", push.run_id, data)
    async with UnitOfWork(factory) as uow:
        await on_push(envelope, uow)
        await uow.commit()


async def due_at(factory: Factory, push: NsPendingPush) -> object:
    async with factory() as session:
        row = await session.get(NsPendingPush, push.id)
        assert row is not None
        return row.next_attempt_at


async def test_the_named_push_is_marked_due(session_factory: Factory) -> None:
    push = await staged_push(session_factory)
    await deliver(session_factory, push, push.external_id)
    assert await due_at(session_factory, push) is not None


async def test_an_event_naming_another_record_marks_nothing(session_factory: Factory) -> None:
    push = await staged_push(session_factory)
    with pytest.raises(UnknownPush, match="but that row holds"):
        await deliver(session_factory, push, "someone-else")
    assert await due_at(session_factory, push) is None


async def test_a_push_already_applied_or_missing(session_factory: Factory) -> None:
    applied = await staged_push(session_factory, status="applied")
    await deliver(session_factory, applied, applied.external_id)  # nothing to do, no raise
    with pytest.raises(UnknownPush, match="but that row holds"):
        await deliver(session_factory, applied, "someone-else")
    missing = NsPendingPush(id=10**12, run_id=uuid.uuid4())
    with pytest.raises(UnknownPush, match="does not exist"):
        await deliver(session_factory, missing, "x")
