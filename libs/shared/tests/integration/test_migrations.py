"""The one Alembic history against the real PostgreSQL: complete, re-runnable, seeded."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.migrate import alembic_config, upgrade_to_head

pytestmark = pytest.mark.integration


async def test_models_and_migrations_agree(database_url: str) -> None:
    # Raises when autogenerate would find a difference between models and the database.
    await asyncio.to_thread(command.check, alembic_config(database_url))


async def test_upgrade_is_idempotent(database_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, database_url)
    await asyncio.to_thread(upgrade_to_head, database_url)


async def test_reference_data_is_seeded(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session:
        net30 = await session.execute(text("SELECT days FROM payment_terms WHERE name = 'Net 30'"))
        assert net30.scalar_one() == 30
        tiers = (
            (
                await session.execute(
                    text("SELECT DISTINCT pricing_tier FROM pricing_tier_programs ORDER BY 1")
                )
            )
            .scalars()
            .all()
        )
    assert tiers == ["gold", "platinum", "silver", "standard"]
