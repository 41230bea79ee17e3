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
from cascade.devstack.on_cluster import stack  # noqa: F401 (the message path on three brokers)
from cascade.devstack.probe import PROBE_EFFECT
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.shared.db.models import (
    DeadLetter,
    DeliveryAttempt,
    EventRecord,
    OutboxMessage,
    ProcessedMessage,
)
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


DEPTH = 100_000


async def test_deeply_nested_records_go_to_dlq_at_once_and_the_partition_flows(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    """Poison of the framework's decoder (issue 10, defect 1): it must be counted once,
    dead-lettered, and must not hold back the good record behind it on the partition."""
    probe = start_service("probe")
    topic = requested_topic(settings)
    key = str(uuid.uuid4())  # one key: one partition
    brackets = b"[" * DEPTH
    objects = b'{"a":' * DEPTH + b"1" + b"}" * DEPTH
    good = new_envelope(Topic.WORKFLOW_REQUESTED, "test", uuid.uuid4(), {"n": 1})
    await produce_raw(settings.kafka_bootstrap, topic, brackets, key)
    await produce_raw(
        settings.kafka_bootstrap, topic, objects, key, {"content-type": b"application/json"}
    )
    await produce_raw(settings.kafka_bootstrap, topic, b"{}", key, {"x-odd": b"\xff\xfe"})
    await produce_raw(settings.kafka_bootstrap, topic, good.to_bytes(), key)

    async def good_one_handled() -> bool:
        return await count(session_factory, effects_of(good.run_id)) == 1

    await eventually(good_one_handled, within=60)
    async with session_factory() as session:
        letters = (await session.scalars(select(DeadLetter).order_by(DeadLetter.id))).all()
    assert [(letter.payload[:5], letter.attempts) for letter in letters] == [
        (brackets[:5], 1),
        (objects[:5], 1),
        (b"{}", 1),
    ]
    assert all("malformed envelope" in letter.error for letter in letters)

    async def dlq_published() -> bool:
        return len(await read_all(settings.kafka_bootstrap, dlq_name(topic))) == 3

    await eventually(dlq_published)
    await eventually(lambda: drained(settings))
    log = probe.log_path.read_text(errors="replace")
    assert "RecursionError" not in log
    assert len(log) < 100_000, f"the log grew to {len(log)} characters"


async def test_payload_failing_its_schema_in_the_handler_is_dead_lettered_at_once(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    """A ValidationError raised by a handler (issue 10, defect 11) is permanent."""
    start_service("probe")
    topic = requested_topic(settings)
    key = str(uuid.uuid4())
    bad = new_envelope(Topic.WORKFLOW_REQUESTED, "test", uuid.uuid4(), {"n": "not a number"})
    good = new_envelope(Topic.WORKFLOW_REQUESTED, "test", uuid.uuid4(), {"n": 2})
    for envelope in (bad, good):
        await produce_raw(settings.kafka_bootstrap, topic, envelope.to_bytes(), key)

    async def both_handled() -> bool:
        return await count(session_factory, effects_of(good.run_id)) == 1

    await eventually(both_handled)
    async with session_factory() as session:
        letter = (await session.scalars(select(DeadLetter))).one()
        attempts = (await session.scalars(select(DeliveryAttempt))).all()
    assert (letter.attempts, attempts) == (1, []), "a schema error must not be retried"
    assert letter.error.startswith("invalid payload: ValidationError")
    assert "n\n  Input should be a valid integer" in letter.error
