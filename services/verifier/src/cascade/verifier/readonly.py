"""Runs a check's SQL where it can do no harm: read-only, bounded, parameters bound.

Each check is three round trips on a pooled connection, driven on the driver (asyncpg)
directly: `BEGIN READ ONLY; SET LOCAL statement_timeout` in one simple query, the statement
(asyncpg's per-connection statement cache prepares it once), `COMMIT`. Through the ORM
session it was six (BEGIN, SET TRANSACTION, set_config, a PREPARE for the parameter types,
the statement, COMMIT) plus SQLAlchemy's per-call compile and cache-key work, the
verifier's largest cost per check. The parameter types are the server's, asked once per
statement text and kept (the schema does not change under a running verifier).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from cascade.shared.db.autocommit import AUTOCOMMIT
from cascade.verifier.params import coerce_all

STATEMENTS_KEPT = 256
"""Statement texts whose compiled form and parameter types are kept (contracts have few)."""


@dataclass(frozen=True)
class Prepared:
    """A check's statement in the driver's `$n` form, its parameter names in that order and
    the server's type of each."""

    positional: str
    names: tuple[str, ...]
    types: Mapping[str, str]


class ReadOnlyDatabase:
    """Each query in its own read-only transaction with a statement timeout."""

    def __init__(self, factory: async_sessionmaker[AsyncSession], timeout_ms: int) -> None:
        self._factory = factory
        self.timeout_ms = timeout_ms
        # A number pasted into SQL: int() keeps it one.
        self._begin = f"BEGIN READ ONLY; SET LOCAL statement_timeout = {int(timeout_ms)}"
        self._prepared: OrderedDict[str, Prepared] = OrderedDict()

    async def fetch(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row of `sql`; raises the database's error (a timeout is SQLSTATE 57014)."""
        async with self._factory() as session:
            # Autocommit: SQLAlchemy sends no BEGIN of its own; the transaction below is ours.
            conn = await session.connection(execution_options=AUTOCOMMIT)
            driver = (await conn.get_raw_connection()).driver_connection
            if driver is None:
                raise RuntimeError("the database connection was closed")
            # READ ONLY makes a check that tries to write fail instead of writing.
            await driver.execute(self._begin)
            try:
                prepared = await self._prepare(conn, driver, sql)
                typed = coerce_all(params, prepared.types)
                records = await driver.fetch(
                    prepared.positional, *(typed[n] for n in prepared.names)
                )
            except BaseException:
                await _rollback(conn, driver)
                raise
            await driver.execute("COMMIT")
        return [dict(record.items()) for record in records]

    async def _prepare(self, conn: AsyncConnection, driver: Any, sql: str) -> Prepared:
        known = self._prepared.get(sql)
        if known is not None:
            self._prepared.move_to_end(sql)
            return known
        positional, names = _positional(sql, conn.dialect)
        types: dict[str, str] = {}
        if names:
            # Inside the read-only transaction, so even the PREPARE is bounded and harmless.
            statement = await driver.prepare(positional)
            params = statement.get_parameters()
            types = {name: param.name for name, param in zip(names, params, strict=True)}
        prepared = Prepared(positional, names, types)
        self._prepared[sql] = prepared
        if len(self._prepared) > STATEMENTS_KEPT:
            self._prepared.popitem(last=False)
        return prepared


def _positional(sql: str, dialect: Dialect) -> tuple[str, tuple[str, ...]]:
    """`sql` with `:name` parameters as the driver's `$n`, and the names in that order."""
    compiled = text(sql).compile(dialect=dialect)
    return compiled.string, tuple(compiled.positiontup or ())


async def _rollback(conn: AsyncConnection, driver: Any) -> None:
    # A failed statement leaves the transaction aborted: end it before the connection goes
    # back to the pool; a connection that cannot even do that is thrown away.
    try:
        await driver.execute("ROLLBACK")
    except Exception:
        await conn.invalidate()  # the caller raises the statement's own error
