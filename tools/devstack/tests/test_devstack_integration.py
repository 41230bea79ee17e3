"""`infra_up("test")` gives a real, usable Kafka broker and PostgreSQL database."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from cascade.devstack.infra import StackEndpoints, infra_up
from cascade.devstack.kafka import node_pidfile
from cascade.devstack.procs import running_pid
from cascade.shared.topic_admin.provision import provision

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack() -> StackEndpoints:
    # Idempotent: adopts a stack that is already up (fast), starts one otherwise.
    return infra_up("test")


async def test_kafka_round_trip_with_idempotent_producer(stack: StackEndpoints) -> None:
    topic = f"devstack-it-{uuid.uuid4().hex[:8]}"
    await provision(stack.kafka_bootstrap, [topic], stack.topic_settings())
    # Idempotent again: an existing topic is fine.
    again = await provision(stack.kafka_bootstrap, [topic], stack.topic_settings())
    assert again.plan.in_sync == (topic,)

    producer = AIOKafkaProducer(
        bootstrap_servers=stack.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        meta = await producer.send_and_wait(topic, b"hello", key=b"k1")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=stack.kafka_bootstrap,
        group_id=f"devstack-it-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        msg = await asyncio.wait_for(consumer.getone(), timeout=30)
        await consumer.commit()  # the group coordinator works on one node
    finally:
        await consumer.stop()
    assert (msg.key, msg.value) == (b"k1", b"hello")
    assert (msg.partition, msg.offset) == (meta.partition, meta.offset)


async def test_postgres_answers(stack: StackEndpoints) -> None:
    dsn = stack.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT 1") == 1
        assert await conn.fetchval("SELECT current_user") == "cascade"
        # The tests' WITH (FORCE) drops must be able to end a backend still authenticating.
        assert await conn.fetchval(
            "SELECT pg_has_role(current_user, 'pg_signal_backend', 'member')"
        )
    finally:
        await conn.close()


async def test_a_second_infra_up_adopts_the_running_servers(stack: StackEndpoints) -> None:
    """Nothing is restarted: the same PostgreSQL postmaster and the same Kafka process serve
    after a second `infra_up` (no timing: these machines are shared)."""
    if not (stack.postgres_managed and stack.kafka_managed):
        pytest.skip("external servers: nothing of ours to adopt")
    before = (await _postmaster_started(stack), running_pid(node_pidfile("test")))
    again = infra_up("test")
    assert again == stack
    assert before[1] is not None
    assert (await _postmaster_started(stack), running_pid(node_pidfile("test"))) == before


async def _postmaster_started(stack: StackEndpoints) -> object:
    conn = await asyncpg.connect(stack.database_url.replace("+asyncpg", ""))
    try:
        return await conn.fetchval("SELECT pg_postmaster_start_time()")
    finally:
        await conn.close()
