"""`first_alone`: one statement as its own transaction, with or without rows to return."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.db.autocommit import first_alone

# A statement that returns no rows at all, as the intake cron scheduler's baseline tick is.
INSERT = text(
    "INSERT INTO trigger_ticks (workflow_type, scheduled_for, outcome) "
    "VALUES ('alone_test', '2026-01-01T00:00:00Z', 'baseline') ON CONFLICT DO NOTHING"
)
COUNT = text("SELECT count(*) FROM trigger_ticks WHERE workflow_type = 'alone_test'")

pytestmark = pytest.mark.integration


async def test_a_statement_without_rows_is_committed_and_answers_none(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    assert await first_alone(session_factory, INSERT) is None
    assert await first_alone(session_factory, INSERT) is None  # the conflict: nothing new
    counted = await first_alone(session_factory, COUNT)
    assert counted is not None
    assert counted[0] == 1
    async with session_factory() as session:  # committed: another session sees it
        assert (await session.execute(COUNT)).scalar_one() == 1
