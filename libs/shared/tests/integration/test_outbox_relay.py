"""One bad outbox row against the real broker (issue 10, defect 10): isolated, counted,
parked with an alert; other keys flow, and its own key keeps its order."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from faststream.kafka import KafkaBroker
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import read_all
from cascade.devstack.on_cluster import stack  # noqa: F401 (the message path on three brokers)
from cascade.devstack.waiting import eventually
from cascade.shared.db.models import OutboxMessage
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.messaging import broker_publisher, build_broker
from cascade.shared.outbox import OutboxRelay, RelayConfig, stage_raw
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.integration

Factory = async_sessionmaker[AsyncSession]
TOO_LARGE = 2 * 1024 * 1024  # past the producer's max_request_size and max.message.bytes


@pytest.fixture
async def broker(settings: Settings) -> AsyncIterator[KafkaBroker]:
    started = build_broker(settings, client_id="test-relay")
    await started.start()
    yield started
    await started.stop()


async def relay_until_idle(relay: OutboxRelay) -> None:
    for _ in range(20):
        if not await relay.publish_batch():
            return
    raise AssertionError("the relay never ran out of work")


async def stage_rows(factory: Factory, topic: str, rows: list[tuple[str, bytes]]) -> list[int]:
    async with factory() as session, session.begin():
        for key, payload in rows:
            stage_raw(session, topic, payload, key, {})
    async with factory() as session:
        return list((await session.scalars(select(OutboxMessage.id).order_by("id"))).all())


async def test_a_row_the_broker_refuses_is_parked_and_only_its_key_waits(
    settings: Settings,
    session_factory: Factory,
    broker: KafkaBroker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    topic = topic_name(settings.topic_prefix, Topic.WORKFLOW_COMPLETED)
    alerts = topic_name(settings.topic_prefix, Topic.WORKFLOW_ALERT)
    k1, k2, k3 = (str(uuid.uuid4()) for _ in range(3))
    ids = await stage_rows(
        session_factory,
        topic,
        [(k1, b"a1"), (k2, b"x" * TOO_LARGE), (k2, b"c"), (k1, b"d"), (k3, b"e")],
    )
    bad = ids[1]
    config = replace(RelayConfig.from_settings(settings), max_attempts=3, retry_base_s=0.01)
    relay = OutboxRelay(session_factory, broker_publisher(broker), config)

    with caplog.at_level(logging.WARNING, logger="cascade.shared.outbox"):
        await relay_until_idle(relay)

    wire = await read_all(settings.kafka_bootstrap, topic)
    assert sorted(wire) == sorted([(k1.encode(), b"a1"), (k1.encode(), b"d"), (k3.encode(), b"e")])
    assert [v for k, v in wire if k == k1.encode()] == [b"a1", b"d"], "per-key order"
    async with session_factory() as session:
        parked = await session.get(OutboxMessage, bad)
        held = await session.get(OutboxMessage, ids[2])
    assert parked is not None
    assert held is not None
    assert (parked.attempts, parked.sent_at) == (1, None)
    assert parked.failed_at is not None
    assert parked.last_error is not None
    assert "MessageSizeTooLargeError" in parked.last_error
    assert (held.attempts, held.sent_at, held.failed_at) == (0, None, None), "held, not failed"
    parked_logs = [r for r in caplog.records if "parked" in r.getMessage()]
    assert [r.levelno for r in parked_logs] == [logging.ERROR], "one ERROR line, once"
    [(alert_key, alert_value)] = await read_all(settings.kafka_bootstrap, alerts)
    alert = json.loads(alert_value)
    assert alert_key is None
    assert alert["run_id"] == k2
    assert alert["data"]["reason"] == "outbox_row_parked"
    assert alert["data"]["context"]["outbox_id"] == bad

    # The operator mends the row and releases it: the key resumes in its order.
    async with session_factory() as session, session.begin():
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == bad)
            .values(payload=b"b", failed_at=None, attempts=0, next_attempt_at=None)
        )
    await relay_until_idle(relay)
    wire = await read_all(settings.kafka_bootstrap, topic)
    assert [v for k, v in wire if k == k2.encode()] == [b"b", b"c"]


async def test_a_broker_outage_charges_no_row(
    settings: Settings, session_factory: Factory, broker: KafkaBroker
) -> None:
    """Every row failing with a transient error is the broker's fault, not the rows'."""
    missing = topic_name(settings.topic_prefix, "no.such.topic")
    await stage_rows(session_factory, missing, [(str(uuid.uuid4()), b"x")])
    config = replace(RelayConfig.from_settings(settings), publish_timeout_s=1.0, max_attempts=1)
    relay = OutboxRelay(session_factory, broker_publisher(broker), config)
    with pytest.raises(Exception, match="rows failed"):
        await relay.publish_batch()
    async with session_factory() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
    assert (row.attempts, row.failed_at, row.sent_at) == (0, None, None)


async def test_a_committed_row_wakes_the_relay_long_before_its_poll(
    settings: Settings, session_factory: Factory, broker: KafkaBroker
) -> None:
    """The relay rests for an hour between polls, yet each commit that staged a row rings
    it: the rows arrive (no timing asserted, only that an hour's poll was not needed)."""
    topic = topic_name(settings.topic_prefix, Topic.WORKFLOW_COMPLETED)
    relay = OutboxRelay(
        session_factory,
        broker_publisher(broker),
        replace(RelayConfig.from_settings(settings), poll_interval_s=3600),
    )
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        for n in range(2):
            # The second row is staged once the relay has published the first and gone
            # back to rest: only the commit's wake-up can bring it out within the hour.
            key = str(uuid.uuid4())
            async with UnitOfWork(session_factory) as uow:
                stage_raw(uow.session, topic, f"row {n}".encode(), key, {})
                await uow.commit()

            async def arrived(expected: int = n + 1) -> bool:
                return len(await read_all(settings.kafka_bootstrap, topic)) == expected

            await eventually(arrived, within=60)
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=30)
    assert not running.exception()
