"""`ring_after_commit` on a real PostgreSQL: the bell rings on commit, never on rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.db.uow import UnitOfWork
from cascade.shared.wakeup import Wakeup, after_root_commit, ring_after_commit

pytestmark = pytest.mark.integration


async def test_the_bell_rings_after_commit(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    bell = Wakeup()
    async with UnitOfWork(session_factory) as uow:
        await uow.session.execute(text("SELECT 1"))
        ring_after_commit(uow.session, bell)
        assert not bell.rung  # not before the commit
        await uow.commit()
    assert bell.rung


async def test_a_rolled_back_transaction_rings_nothing_even_later(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    bell = Wakeup()
    async with UnitOfWork(session_factory) as uow:
        await uow.session.execute(text("SELECT 1"))
        ring_after_commit(uow.session, bell)
    assert not bell.rung
    async with UnitOfWork(session_factory) as uow:  # a later commit of a new session
        await uow.session.execute(text("SELECT 1"))
        await uow.commit()
    assert not bell.rung


async def test_a_released_savepoint_rings_nothing_until_the_real_commit(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # SQLAlchemy fires `after_commit` when a SAVEPOINT is released too: a poller rung then
    # would look before anything is durable, find nothing, and rest its whole interval.
    bell, calls = Wakeup(), []
    async with UnitOfWork(session_factory) as uow:
        async with uow.session.begin_nested():
            await uow.session.execute(text("SELECT 1"))
            ring_after_commit(uow.session, bell)
            after_root_commit(uow.session, lambda: calls.append("committed"))
        assert not bell.rung
        assert not calls
        savepoint = await uow.session.begin_nested()
        await uow.session.execute(text("SELECT 1"))
        await savepoint.rollback()  # only the savepoint: the outer transaction goes on
        await uow.commit()
    assert bell.rung
    assert calls == ["committed"]
