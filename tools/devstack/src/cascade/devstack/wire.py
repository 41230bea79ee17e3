"""Test support: play another service's part on the wire and watch a run's state.

Used by runner, verifier and e2e tests to publish what the approvals service or ns-pusher
would publish, and to read a run's rows and terminal events.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import group_lag, produce_raw, read_all
from cascade.devstack.waiting import eventually
from cascade.shared.db.models import NsPendingPush, OutboxMessage, ProposedAction, WorkflowRun
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.payloads import NsPushResult, ProposalDecision, WorkflowRequested
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

Factory = async_sessionmaker[AsyncSession]
TERMINAL_TOPICS = (Topic.WORKFLOW_COMPLETED, Topic.WORKFLOW_PARTIAL, Topic.WORKFLOW_FAILED)


async def publish(
    settings: Settings, topic: Topic, run_id: uuid.UUID, data: dict[str, Any], suffix: str = ""
) -> Envelope:
    """Publish one envelope keyed by its run, as a service's relay would."""
    envelope = new_envelope(topic, "test", run_id, data, key_suffix=suffix)
    await produce_raw(
        settings.kafka_bootstrap,
        topic_name(settings.topic_prefix, topic),
        envelope.to_bytes(),
        str(run_id),
    )
    return envelope


async def request_run(
    settings: Settings, inputs: dict[str, Any], workflow_type: str = "new_customer"
) -> uuid.UUID:
    """Publish `workflow.requested` for a new run; its run id."""
    run_id = uuid.uuid4()
    data = WorkflowRequested(workflow_type=workflow_type, inputs=inputs)
    await publish(settings, Topic.WORKFLOW_REQUESTED, run_id, data.model_dump(mode="json"))
    return run_id


async def run_status(factory: Factory, run_id: uuid.UUID) -> str | None:
    """The run's status, or None before the runner recorded it."""
    async with factory() as session:
        run = await session.get(WorkflowRun, run_id)
        return None if run is None else run.status


async def wait_status(factory: Factory, run_id: uuid.UUID, status: str, within: float = 60) -> None:
    """Wait until the run reaches `status`."""

    async def reached() -> bool:
        return await run_status(factory, run_id) == status

    await eventually(reached, within=within)


async def wait_consumed(
    settings: Settings, consumer: str, topic: Topic | str, within: float = 30
) -> None:
    """Wait until consumer group `consumer` (its name without the group prefix, e.g.
    `runner.workflow_requested`) has committed every record of `topic` (its name without
    the topic prefix) so far: a record
    it handles is committed after its transaction, so whatever it did is in the database.
    The barrier for a "nothing more happened" check, instead of a sleep."""
    group = f"{settings.consumer_group_prefix}.{consumer}"
    name = topic_name(settings.topic_prefix, topic)

    async def caught_up() -> bool:
        return await group_lag(settings.kafka_bootstrap, group, name) == 0

    caught_up.__name__ = f"{group} caught up on {name}"
    await eventually(caught_up, within=within)


async def wait_outbox_sent(factory: Factory, within: float = 30) -> None:
    """Wait until the relays have published every outbox row committed so far: then all
    that the services staged is on the wire (a relay marks a row sent after the broker's
    acks=all answer). The barrier for a "published once" check, instead of a sleep."""

    async def all_sent() -> bool:
        unsent = (
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
        async with factory() as session:
            return int((await session.execute(unsent)).scalar_one()) == 0

    await eventually(all_sent, within=within)


async def count_rows(factory: Factory, model: type[Any], run_id: uuid.UUID | None = None) -> int:
    """Rows of `model` (of one run when `run_id` is given)."""
    stmt = select(func.count()).select_from(model)
    if run_id is not None:
        stmt = stmt.where(model.run_id == run_id)
    async with factory() as session:
        return int((await session.execute(stmt)).scalar_one())


async def gate_proposal(factory: Factory, run_id: uuid.UUID) -> ProposedAction:
    """The run's HITL proposal (the one that is not an email draft)."""
    async with factory() as session:
        return (
            await session.scalars(
                select(ProposedAction).where(
                    ProposedAction.run_id == run_id,
                    ProposedAction.action_type.like("workflow_%"),
                )
            )
        ).one()


async def decide_on_wire(
    factory: Factory, settings: Settings, run_id: uuid.UUID, approve: bool, reason: str = ""
) -> ProposedAction:
    """Do what the approvals service does for a decision: flip the row, publish the event."""
    async with factory() as session, session.begin():
        proposal = await gate_proposal(factory, run_id)
        row = await session.get(ProposedAction, proposal.id)
        assert row is not None
        row.status, row.decided_by = ("approved" if approve else "rejected"), "mike"
        row.decision_reason = reason or None
    topic = Topic.PROPOSAL_APPROVED if approve else Topic.PROPOSAL_REJECTED
    decision = decision_of(proposal, reason=reason or None)
    await publish(settings, topic, run_id, decision, str(proposal.id))
    return proposal


def decision_of(
    proposal: ProposedAction, decided_by: str = "mike", reason: str | None = None
) -> dict[str, object]:
    """The payload approvals publishes for a decision on `proposal` (approved or rejected
    alike), as JSON: what the tests publish for real, replayed or forged decisions."""
    return ProposalDecision(
        proposal_id=proposal.id,
        action_type=proposal.action_type,
        version=proposal.version,
        payload_sha256=proposal.payload_sha256,
        decided_by=decided_by,
        reason=reason,
    ).model_dump(mode="json")


async def topic_events(settings: Settings, topic: Topic) -> list[Envelope]:
    """Every envelope on one of this test's topics (raw: duplicates included)."""
    records = await read_all(settings.kafka_bootstrap, topic_name(settings.topic_prefix, topic))
    return [Envelope.from_bytes(value) for _key, value in records]


async def wait_topic_events(
    settings: Settings, topic: Topic, count: int, within: float = 60
) -> list[Envelope]:
    """Wait until at least `count` envelopes are on the topic; all of them."""

    async def published() -> bool:
        return len(await topic_events(settings, topic)) >= count

    published.__name__ = f"{count}_{topic}_events_published"
    await eventually(published, within=within)
    return await topic_events(settings, topic)


async def events_of(
    settings: Settings, topics: tuple[Topic, ...], run_id: uuid.UUID
) -> list[Envelope]:
    """Every envelope of the run on the given topics (raw: duplicates included)."""
    return [
        e for topic in topics for e in await topic_events(settings, topic) if e.run_id == run_id
    ]


async def terminal_events(settings: Settings, run_id: uuid.UUID) -> list[Envelope]:
    """The run's completed / partial / failed events on the wire."""
    return await events_of(settings, TERMINAL_TOPICS, run_id)


async def awaiting_run(
    settings: Settings,
    factory: Factory,
    inputs: dict[str, Any],
    workflow_type: str = "new_customer",
) -> uuid.UUID:
    """Request a run and wait until it waits for Mike."""
    run_id = await request_run(settings, inputs, workflow_type)
    await wait_status(factory, run_id, "awaiting_approval")
    return run_id


async def change_gate_proposal(factory: Factory, run_id: uuid.UUID, **values: Any) -> None:
    """Overwrite columns of the run's gate proposal (e.g. age it past its expiry)."""
    async with factory() as session, session.begin():
        await session.execute(
            update(ProposedAction)
            .where(ProposedAction.run_id == run_id, ProposedAction.action_type.like("workflow_%"))
            .values(**values)
        )


async def staged_push(factory: Factory, run_id: uuid.UUID, within: float = 60) -> NsPendingPush:
    """Wait for the run's one staged NetSuite push and return it."""

    async def staged() -> bool:
        return await count_rows(factory, NsPendingPush, run_id) == 1

    await eventually(staged, within=within)
    async with factory() as session:
        return (
            await session.scalars(select(NsPendingPush).where(NsPendingPush.run_id == run_id))
        ).one()


async def answer_push(
    factory: Factory,
    settings: Settings,
    push: NsPendingPush,
    applied: bool,
    netsuite_id: str = "4242",
    error: str = "HTTP 500 on every attempt",
) -> None:
    """Do what ns-pusher does when a push ends: record the outcome on the push row, then
    publish `ns.push.result` (applied, or failed with `error` after the policy) under
    ns-pusher's key."""
    status = "applied" if applied else "failed"
    error_text = None if applied else error
    attempts = 1 if applied else 3
    async with factory() as session, session.begin():
        row = await session.get(NsPendingPush, push.id)
        assert row is not None
        row.status, row.attempts, row.last_error = status, attempts, error_text
        row.netsuite_id = netsuite_id if applied else None
    result = NsPushResult(
        push_id=push.id,
        record_type=push.record_type,
        external_id=push.external_id,
        status=status,
        netsuite_id=netsuite_id if applied else None,
        attempts=attempts,
        error=error_text,
    )
    await publish(
        settings,
        Topic.NS_PUSH_RESULT,
        push.run_id,
        result.model_dump(mode="json"),
        f"{push.id}:{status}",
    )
