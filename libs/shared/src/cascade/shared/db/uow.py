"""Unit of work: one transaction; rolled back unless `commit()` was called."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


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

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._factory()
        await self._session.begin()
        return self

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
