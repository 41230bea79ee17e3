"""A consumer whose database refuses connections (issue 10, defect 8): it must back off.

The shared PostgreSQL is never touched: the probe is pointed at a port nobody listens on,
which is what a consumer sees while its server is down.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import produce_raw
from cascade.devstack.pytest_plugin import SERVICE_MODULES, _asyncpg_dsn, settings_env
from cascade.devstack.service_process import ServiceProcess, free_port
from cascade.devstack.waiting import eventually
from cascade.shared.envelope import new_envelope
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.integration

NOT_COUNTED = re.compile(r"not processed and not counted .* redelivering in ([0-9.]+)s")
FLOOD_BYTES = 2_000_000


async def test_redelivery_backs_off_while_the_database_refuses_connections(
    settings: Settings, tmp_path: Path
) -> None:
    topic = topic_name(settings.topic_prefix, Topic.WORKFLOW_REQUESTED)
    run_id = uuid.uuid4()
    envelope = new_envelope(Topic.WORKFLOW_REQUESTED, "test", run_id, {"n": 1})
    await produce_raw(settings.kafka_bootstrap, topic, envelope.to_bytes(), str(run_id))
    module, port_var = SERVICE_MODULES["probe"]
    unreachable = f"postgresql+asyncpg://cascade:cascade@127.0.0.1:{free_port()}/cascade"
    env = {**settings_env(settings), "CASCADE_DATABASE_URL": unreachable, port_var: "0"}
    probe = ServiceProcess("probe", module, free_port(), env, tmp_path / "probe.log")
    probe.env[port_var] = str(probe.port)
    probe.start()
    try:

        def log_text() -> str:
            return probe.log_path.read_text(errors="replace") if probe.log_path.exists() else ""

        async def six_redeliveries_or_a_flood() -> bool:
            text = log_text()
            return len(NOT_COUNTED.findall(text)) >= 6 or len(text) > FLOOD_BYTES

        await eventually(six_redeliveries_or_a_flood, within=90)
        text = log_text()
        assert len(text) < 100_000, f"log flood: {len(text)} characters"
        pauses = [float(p) for p in NOT_COUNTED.findall(text)][:6]
        base = settings.redelivery_backoff_ms / 1000
        assert pauses == [base * 2**i for i in range(6)], "each redelivery waits twice as long"
    finally:
        probe.stop()


async def test_a_pool_left_with_dead_connections_heals_after_one_failed_use(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """No ping per checkout: after the server dropped every connection (what a restart
    does), the first use fails, SQLAlchemy invalidates the whole pool, and the caller's
    retry runs on fresh connections. Only this test's own database is touched."""

    async def use(together: asyncio.Barrier | None = None) -> None:
        async with session_factory() as session:
            await session.execute(text("SELECT 1"))
            if together is not None:
                await together.wait()  # every user holds its connection at once

    three = asyncio.Barrier(3)
    await asyncio.gather(*(use(three) for _ in range(3)))  # three pooled connections
    database = make_url(settings.database_url).database
    admin = await asyncpg.connect(_asyncpg_dsn(settings.database_url, "postgres"))
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
        )

        async def all_dropped() -> bool:
            left = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database
            )
            return int(left) == 0

        await eventually(all_dropped, within=30)
    finally:
        await admin.close()
    with pytest.raises(DBAPIError) as first:
        await use()
    assert first.value.connection_invalidated, "recognised as a disconnect"
    # Every other pooled connection was invalidated with it: no second failure.
    await asyncio.gather(*(use() for _ in range(3)))
    await use()
