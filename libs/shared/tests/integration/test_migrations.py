"""The one Alembic history against the real PostgreSQL: complete, re-runnable, seeded."""

from __future__ import annotations

import asyncio
import re

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.db.models import STATUS_COLUMNS
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


async def test_every_status_column_allows_exactly_its_enum(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # What PostgreSQL enforces, read back from the catalog: autogenerate does not compare CHECK
    # constraints, so this is what catches an enum changed without its migration.
    async with session_factory() as session:
        found = {
            (row.table, row.name): row.definition
            for row in await session.execute(
                text(
                    "SELECT conrelid::regclass::text AS table, conname AS name,"
                    " pg_get_constraintdef(oid) AS definition"
                    " FROM pg_constraint WHERE contype = 'c' AND conname LIKE 'ck_%'"
                )
            )
        }
    for column in STATUS_COLUMNS:
        definition = found.get((column.table, f"ck_{column.table}_{column.name}"))
        assert definition is not None, f"{column.table}.{column.column} has no CHECK"
        allowed = set(re.findall(r"'([a-z_]+)'", definition))
        assert allowed == {v.value for v in column.values}, (column.table, column.column)


async def test_a_status_outside_its_enum_is_refused(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        with pytest.raises(IntegrityError, match="ck_workflow_runs_status"):
            await session.execute(
                text(
                    "INSERT INTO workflow_runs (run_id, workflow_type, status, inputs,"
                    " requested_at, updated_at)"
                    " VALUES (gen_random_uuid(), 'new_customer', 'runing', '{}', now(), now())"
                )
            )
