"""The message path against the real broker and database: duplicates, crashes, poison.

The probe service's effect is deliberately not idempotent (a new row per processing), so
these tests fail if the inbox, the ack-after-commit order or the DLQ stop doing their job.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import group_lag, produce_raw, read_all
from cascade.devstack.probe import PROBE_EFFECT
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.shared.db.models import DeadLetter, EventRecord, OutboxMessage, ProcessedMessage
from cascade.shared.envelope import new_envelope
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, dlq_name, topic_name

pytestmark = pytest.mark.integration

Factory = async_sessionmaker[AsyncSession]


async def count(factory: Factory, stmt: object) -> int:
    async with factory() as session:
        return int((await session.execute(stmt)).scalar_one())  # type: ignore[call-overload]


def effects_of(run_id: uuid.UUID) -> object:
    return (
        select(func.count())
        .select_from(EventRecord)
        .where(EventRecord.type == PROBE_EFFECT, EventRecord.run_id == run_id)
    )


def requested_topic(settings: Settings) -> str:
    return topic_name(settings.topic_prefix, Topic.WORKFLOW_REQUESTED)


async def drained(settings: Settings, consumer: str = "probe") -> bool:
    group = f"{settings.consumer_group_prefix}.{consumer}"
    return await group_lag(settings.kafka_bootstrap, group, requested_topic(settings)) == 0


async def test_same_message_twice_has_one_effect(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("probe")
    run_id = uuid.uuid4()
    raw = new_envelope(Topic.WORKFLOW_REQUESTED, "test", run_id, {"n": 1}).to_bytes()
    for _ in range(2):
        await produce_raw(settings.kafka_bootstrap, requested_topic(settings), raw, str(run_id))

    async def both_consumed() -> bool:
        return await drained(settings)

    await eventually(both_consumed)
    assert await count(session_factory, effects_of(run_id)) == 1
    wire = await read_all(settings.kafka_bootstrap, requested_topic(settings))
    assert len(wire) == 2, "both copies must really have been on the wire"


async def test_consumer_killed_after_commit_before_offset_commit(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    probe = start_service("probe", {"CASCADE_CRASH_AT": "probe_after_commit"})
    run_id = uuid.uuid4()
    raw = new_envelope(Topic.WORKFLOW_REQUESTED, "test", run_id, {"n": 2}).to_bytes()
    await produce_raw(settings.kafka_bootstrap, requested_topic(settings), raw, str(run_id))

    assert probe.wait_exit(timeout=60) == -9, "the probe must have killed itself with SIGKILL"
    assert await count(session_factory, effects_of(run_id)) == 1, "the DB commit happened"
    assert not await drained(settings), "the offset must not have been committed"

    start_service("probe")

    async def redelivered_and_committed() -> bool:
        return await drained(settings)

    await eventually(redelivered_and_committed)
    assert await count(session_factory, effects_of(run_id)) == 1


async def test_relay_killed_after_publish_before_mark(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    import httpx

    # The probe starts only after the crash: every service runs a relay over the one
    # database, and the probe's relay must not win the race for the intake's row.
    intake = start_service("intake", {"CASCADE_CRASH_AT": "relay_after_publish"})
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake.port}") as client:
        response = await client.post(
            "/v1/runs",
            json={
                "workflow_type": "new_customer",
                "inputs": {
                    "company_name": "Relay Co",
                    "contact_email": "ops@relay.example",
                    "billing_address": "2 Side St",
                },
            },
        )
    assert response.status_code == 202, response.text
    run_id = uuid.UUID(response.json()["run_id"])
    assert intake.wait_exit(timeout=60) == -9
    unsent = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    assert await count(session_factory, unsent) == 1, "the row must still be unsent"

    start_service("probe")
    start_service("intake")

    async def republished() -> bool:
        return await count(session_factory, unsent) == 0 and await drained(settings)

    await eventually(republished)
    wire = await read_all(settings.kafka_bootstrap, requested_topic(settings))
    assert len(wire) == 2, "a duplicate on the wire is expected after this crash"
    assert await count(session_factory, effects_of(run_id)) == 1


async def test_poison_goes_to_dlq_and_later_messages_flow(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("probe")
    topic = requested_topic(settings)
    key = str(uuid.uuid4())  # one key: every record below lands on the same partition
    poison = new_envelope(Topic.WORKFLOW_REQUESTED, "test", uuid.uuid4(), {"poison": True})
    good = [
        new_envelope(Topic.WORKFLOW_REQUESTED, "test", uuid.uuid4(), {"n": i}) for i in range(3)
    ]
    await produce_raw(settings.kafka_bootstrap, topic, b"\xff\x00 not json", key)
    await produce_raw(settings.kafka_bootstrap, topic, poison.to_bytes(), key)
    for envelope in good:
        await produce_raw(settings.kafka_bootstrap, topic, envelope.to_bytes(), key)

    async def all_handled() -> bool:
        return await drained(settings)

    await eventually(all_handled, within=90)
    for envelope in good:
        assert await count(session_factory, effects_of(envelope.run_id)) == 1
    async with session_factory() as session:
        letters = (await session.scalars(select(DeadLetter).order_by(DeadLetter.id))).all()
    assert [letter.attempts for letter in letters] == [1, settings.max_delivery_attempts]
    assert "malformed envelope" in letters[0].error
    assert "PoisonedOnPurpose" in letters[1].error

    async def dlq_published() -> bool:
        return len(await read_all(settings.kafka_bootstrap, dlq_name(topic))) == 2

    await eventually(dlq_published)
    claims = select(func.count()).select_from(ProcessedMessage)
    assert await count(session_factory, claims) == len(good)
