"""The driver (asyncpg) connection of a pooled session, for a hot path that speaks to it
directly: its own transaction control, its own statements, no SQLAlchemy per call.

The connection is checked out in autocommit, so SQLAlchemy sends no BEGIN of its own and
the caller's `BEGIN ...` / `COMMIT` are the only transaction statements; a transaction left
open by a failure is rolled back before the connection goes back to the pool, and a
connection that cannot even do that (the server restarted, the socket died) is thrown away.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from cascade.shared.db.autocommit import AUTOCOMMIT


@asynccontextmanager
async def driver_connection(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[Any]:
    """A pooled connection's asyncpg connection; whatever transaction the block leaves open
    when it raises is rolled back (the block's own error is what propagates)."""
    async with factory() as session:
        conn = await session.connection(execution_options=AUTOCOMMIT)
        driver = (await conn.get_raw_connection()).driver_connection
        if driver is None:
            raise RuntimeError("the database connection was closed")
        try:
            yield driver
        except BaseException:
            await rollback_or_invalidate(conn, driver)
            raise


async def rollback_or_invalidate(conn: AsyncConnection, driver: Any) -> None:
    """End a transaction a failure left open (a failed statement aborts it; a block that
    raised between statements leaves it open); throw the connection away if that fails."""
    if driver.is_closed():
        await conn.invalidate()
        return
    if not driver.is_in_transaction():
        return
    try:
        await driver.execute("ROLLBACK")
    except Exception:
        await conn.invalidate()  # the caller raises the block's own error
