"""Unit of work: one transaction; rolled back unless `commit()` was called.

Use cases type against a protocol (`AbstractUnitOfWork`, extended by each service with the
repositories it uses), so a test can hand them an in-memory fake
(`cascade.devstack.fake_uow`) instead of PostgreSQL. `UnitOfWork` is the SQL one; a service's
SQL unit of work (`BoundUnitOfWork`) puts its repositories over an open one's session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction, async_sessionmaker

from cascade.shared.envelope import Envelope
from cascade.shared.inbox import Inbox, SqlInbox
from cascade.shared.outbox import stage
from cascade.shared.wakeup import after_root_commit


class AbstractUnitOfWork(Protocol):
    """What every use case may do with its transaction besides its repositories."""

    def stage(self, topic: str, envelope: Envelope) -> None:
        """Add `envelope` to the outbox, published on `topic` once the transaction commits."""
        ...

    async def commit(self) -> None:
        """Commit (a Kafka handler leaves this to its consumer, which commits the inbox
        claim with it)."""
        ...


class UnitOfWork:
    """Async context manager over a session factory that is passed in."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = session_factory
        self._session: AsyncSession | None = None
        self._committed = False

    @property
    def session(self) -> AsyncSession:
        """The open session; only valid inside the `async with` block."""
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'async with' block")
        return self._session

    @property
    def inbox(self) -> SqlInbox:
        """The consumers' inbox, in this transaction."""
        return SqlInbox(self.session)

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._factory()
        await self._session.begin()
        return self

    def stage(self, topic: str, envelope: Envelope) -> None:
        """Add `envelope` to the outbox in this transaction (`outbox.stage`)."""
        stage(self.session, topic, envelope)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` once this transaction committed; never on rollback."""
        after_root_commit(self.session, callback)

    def savepoint(self) -> AsyncSessionTransaction:
        """A SAVEPOINT (`async with`): what is done inside is undone when it raises."""
        return self.session.begin_nested()

    async def flush(self) -> None:
        """Send what the session holds, so a failing row fails here (as its own)."""
        await self.session.flush()

    async def commit(self) -> None:
        """Commit the transaction; after this, leaving the block does not roll back."""
        await self.session.commit()
        self._committed = True

    async def __aexit__(self, *_exc: object) -> None:
        session = self.session
        try:
            if not self._committed:
                await session.rollback()
        finally:
            await session.close()
            self._session = None


class BoundUnitOfWork:
    """A service's SQL unit of work inside an open `UnitOfWork` (the consumer's, or one the
    service opened): subclasses add their repositories over `session`; staging, the inbox,
    the after-commit hooks and the commit are the transaction's."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.inbox: Inbox = uow.inbox

    @property
    def session(self) -> AsyncSession:
        """The transaction's session, for the repositories."""
        return self._uow.session

    def stage(self, topic: str, envelope: Envelope) -> None:
        """`UnitOfWork.stage`."""
        self._uow.stage(topic, envelope)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """`UnitOfWork.after_commit`."""
        self._uow.after_commit(callback)

    def savepoint(self) -> AsyncSessionTransaction:
        """`UnitOfWork.savepoint`."""
        return self._uow.savepoint()

    async def flush(self) -> None:
        """`UnitOfWork.flush`."""
        await self._uow.flush()

    async def commit(self) -> None:
        """`UnitOfWork.commit`."""
        await self._uow.commit()
