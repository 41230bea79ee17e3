"""One statement as its own transaction: one round trip instead of three.

A session's transaction costs a `BEGIN` and a `COMMIT` (or `ROLLBACK`) round trip around its
statements. A statement that is complete alone (a claim `UPDATE ... RETURNING`, a read of
the next due time) runs in PostgreSQL's own implicit transaction when the connection is in
autocommit: it is atomic and durable (`synchronous_commit` applies) the moment it returns,
exactly as it was behind BEGIN/COMMIT, for a third of the round trips.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


async def first_alone(
    factory: async_sessionmaker[AsyncSession],
    statement: Executable,
    params: Mapping[str, Any] | None = None,
) -> Row[Any] | None:
    """The first row of `statement`, run as a transaction of its own (committed on return);
    None when it returns no rows, or none at all (an INSERT without RETURNING); the pooled
    connection goes back in its default isolation level."""
    async with factory() as session:
        conn = await session.connection(execution_options=AUTOCOMMIT)
        result = await conn.execute(statement, dict(params or {}))
        # `.first()` on a result without rows raises ResourceClosedError.
        return result.first() if result.returns_rows else None
