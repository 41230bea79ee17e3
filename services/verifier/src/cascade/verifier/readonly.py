"""Runs a check's SQL where it can do no harm: read-only, bounded, parameters bound."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.verifier.params import coerce_all, parameter_types


class ReadOnlyDatabase:
    """Each query in its own read-only transaction with a statement timeout."""

    def __init__(self, factory: async_sessionmaker[AsyncSession], timeout_ms: int) -> None:
        self._factory = factory
        self.timeout_ms = timeout_ms

    async def fetch(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row of `sql`; raises the database's error (a timeout is SQLSTATE 57014)."""
        async with self._factory() as session, session.begin():
            # READ ONLY makes a check that tries to write fail instead of writing.
            await session.execute(text("SET TRANSACTION READ ONLY"))
            await session.execute(
                text("SELECT set_config('statement_timeout', :ms, true)"),
                {"ms": str(self.timeout_ms)},
            )
            conn = await session.connection()
            typed = coerce_all(params, await parameter_types(conn, sql))
            result = await session.execute(text(sql), typed)
            return [dict(row) for row in result.mappings()]
