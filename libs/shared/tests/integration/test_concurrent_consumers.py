"""Concurrent consumers on the real broker: partitions are worked side by side, and no
committed offset ever passes a record whose transaction has not committed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.on_cluster import stack  # noqa: F401 (the message path on three brokers)
from cascade.devstack.waiting import eventually
from cascade.shared.consumer import ConsumerPolicy, Handler, IdempotentConsumer
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.messaging import build_broker, fetch_whole_assignment, subscribe
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.integration

Factory = async_sessionmaker[AsyncSession]
NAME = "concurrency_probe"


async def produce(settings: Settings, records: list[tuple[int, Envelope]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        topic = topic_name(settings.topic_prefix, Topic.WORKFLOW_REQUESTED)
        for partition, envelope in records:
            await producer.send_and_wait(topic, envelope.to_bytes(), partition=partition)
    finally:
        await producer.stop()


async def committed(settings: Settings) -> dict[int, int]:
    """The group's committed offset per partition (0 when nothing was committed)."""
    topic = topic_name(settings.topic_prefix, Topic.WORKFLOW_REQUESTED)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        group = f"{settings.consumer_group_prefix}.{NAME}"
        partitions = [TopicPartition(topic, p) for p in range(3)]
        offsets = await admin.list_consumer_group_offsets(group, partitions=partitions)
    finally:
        await admin.close()
    return {tp.partition: max(meta.offset, 0) for tp, meta in offsets.items()}


@asynccontextmanager
async def consuming(settings: Settings, factory: Factory, handler: Handler) -> AsyncIterator[None]:
    broker = build_broker(settings, client_id="test-concurrency")
    consumer = IdempotentConsumer(NAME, handler, factory, ConsumerPolicy(max_attempts=3))
    subscribe(broker, settings, Topic.WORKFLOW_REQUESTED, consumer)
    await broker.start()
    fetch_whole_assignment(broker)
    try:
        yield
    finally:
        await broker.stop()


def recording(handled: list[str], blocked: asyncio.Event | None) -> Handler:
    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        name = str(envelope.data["name"])
        if envelope.data.get("slow"):
            await asyncio.sleep(0.5)  # longer than aiokafka's 0.1 s prefetch back-off
        if envelope.data.get("block") and blocked is not None:
            await blocked.wait()  # holds its transaction open, uncommitted
        handled.append(name)

    return handle


def record(name: str, block: bool = False, slow: bool = False) -> Envelope:
    data = {"name": name, "block": block, "slow": slow}
    return new_envelope(Topic.WORKFLOW_REQUESTED, "test", uuid.uuid4(), data)


def done(handled: list[str], *names: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return set(names) <= set(handled)

    check.__name__ = f"handled_{'_'.join(names)}"
    return check


async def test_a_blocked_record_holds_back_only_its_partition_and_its_offset(
    settings: Settings, session_factory: Factory
) -> None:
    settings = settings.model_copy(update={"consumer_workers": 3})
    release = asyncio.Event()
    handled: list[str] = []
    records = [
        (0, record("slow", block=True)),
        (0, record("after_slow")),
        (1, record("b1")),
        (1, record("b2")),
        (2, record("c1")),
    ]
    await produce(settings, records)
    async with consuming(settings, session_factory, recording(handled, release)):
        await eventually(done(handled, "b1", "b2", "c1"), within=60)

        async def others_committed() -> bool:
            offsets = await committed(settings)
            return offsets[1] == 2 and offsets[2] == 1

        await eventually(others_committed, within=30)
        assert "after_slow" not in handled, "nothing overtakes within a partition"
        assert (await committed(settings))[0] == 0, "no offset past the unfinished record"
    # The process "dies" with the record unfinished: its transaction never committed, and
    # neither did its offset. A new consumer gets it again, then the record after it.
    assert "slow" not in handled
    assert (await committed(settings))[0] == 0
    after: list[str] = []
    async with consuming(settings, session_factory, recording(after, None)):
        await eventually(done(after, "slow", "after_slow"), within=60)
        assert after.index("slow") < after.index("after_slow"), "partition order kept"

        async def all_committed() -> bool:
            return await committed(settings) == {0: 2, 1: 2, 2: 1}

        await eventually(all_committed, within=30)


async def test_a_record_after_a_slow_one_is_fetched_without_waiting_out_the_fetch(
    settings: Settings, session_factory: Factory
) -> None:
    """One member owns every partition. While it handles a slow record, aiokafka's default
    sent a fetch for the member's other partitions only, and nothing fetched the slow one's
    partition again until that fetch came back: here after 120 s (the broker holds an empty
    fetch that long), so the next record of the partition would miss the 30 s below."""
    settings = settings.model_copy(
        update={"consumer_workers": 1, "kafka_fetch_max_wait_ms": 120_000}
    )
    handled: list[str] = []
    await produce(settings, [(0, record("slow", slow=True))])
    async with consuming(settings, session_factory, recording(handled, None)):
        await eventually(done(handled, "slow"), within=60)
        await produce(settings, [(0, record("next"))])
        await eventually(done(handled, "next"), within=30)
