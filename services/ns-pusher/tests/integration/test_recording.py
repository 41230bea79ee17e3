"""A push's outcome is one fenced statement: the push row, the mirror's NetSuite id and the
result event together, on the database's clock, and nothing at all once the lease is lost."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.ns_pusher.domain import ClaimedPush
from cascade.ns_pusher.jobs import PUSHES
from cascade.ns_pusher.recording import PushRecorder
from cascade.ns_pusher.responses import Applied
from cascade.shared.db.mirror_models import Customer
from cascade.shared.db.models import NsPendingPush
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.leased_jobs import JobStep, claim_jobs
from cascade.shared.settings import Settings

pytestmark = pytest.mark.integration

Factory = async_sessionmaker[AsyncSession]
MODIFIED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def claimed(factory: Factory) -> ClaimedPush:
    external_id = f"cust-{uuid.uuid4().hex[:8]}"
    async with UnitOfWork(factory) as uow:
        uow.session.add(
            Customer(
                companyname=f"Company {external_id}",
                companyname_normalized=f"company {external_id}",
                external_id=external_id,
            )
        )
        uow.session.add(
            NsPendingPush(
                run_id=uuid.uuid4(),
                record_type="customer",
                external_id=external_id,
                payload={"companyName": "Acme"},
                status="pending",
                next_attempt_at=datetime.now(UTC) - timedelta(seconds=1),
            )
        )
        await uow.commit()
    (push,) = await claim_jobs(factory, PUSHES, 30.0, 5, limit=1)
    assert push.external_id == external_id
    return push


async def rows(factory: Factory, push: ClaimedPush) -> tuple[dict[str, Any], dict[str, Any], int]:
    async with factory() as session:
        row = (
            await session.execute(
                text(
                    "SELECT status, netsuite_id, applied_at, last_error,"
                    " extract(epoch FROM next_attempt_at - now()) AS due_in_s"
                    " FROM ns_pending_pushes WHERE id = :id"
                ),
                {"id": push.push_id},
            )
        ).one()
        mirror = (
            await session.execute(
                text("SELECT netsuite_id, lastmodifieddate FROM customers WHERE external_id = :e"),
                {"e": push.external_id},
            )
        ).one()
        staged = await session.scalar(
            text("SELECT count(*) FROM outbox WHERE key = :k"), {"k": str(push.run_id)}
        )
    return dict(row._mapping), dict(mirror._mapping), int(staged or 0)


async def test_an_applied_push_writes_row_mirror_and_result_together(
    session_factory: Factory, settings: Settings
) -> None:
    push = await claimed(session_factory)
    recorder = PushRecorder(session_factory, settings)
    applied = Applied("4711", MODIFIED, 200)
    assert await recorder.record(push, applied, JobStep("done"))
    row, mirror, staged = await rows(session_factory, push)
    assert (row["status"], row["netsuite_id"], row["due_in_s"]) == ("applied", "4711", None)
    assert row["applied_at"] is not None
    assert mirror == {"netsuite_id": "4711", "lastmodifieddate": MODIFIED}
    assert staged == 1  # ns.push.result


async def test_a_late_answer_after_the_lease_was_lost_writes_nothing(
    session_factory: Factory, settings: Settings
) -> None:
    push = await claimed(session_factory)
    async with session_factory() as session, session.begin():
        # Another pusher retook the push: its lease value is not ours any more.
        await session.execute(
            text(
                "UPDATE ns_pending_pushes SET next_attempt_at = now() + interval '1 h'"
                " WHERE id = :id"
            ),
            {"id": push.push_id},
        )
    recorder = PushRecorder(session_factory, settings)
    assert not await recorder.record(push, Applied("4711", MODIFIED, 200), JobStep("done"))
    row, mirror, staged = await rows(session_factory, push)
    assert row["status"] == "in_flight"
    assert mirror == {"netsuite_id": None, "lastmodifieddate": None}
    assert staged == 0


async def test_a_retry_falls_due_on_the_databases_clock(
    session_factory: Factory, settings: Settings
) -> None:
    push = await claimed(session_factory)
    recorder = PushRecorder(session_factory, settings)
    assert await recorder.record(push, None, JobStep("retrying", "HTTP 503", delay_s=120.0))
    row, mirror, staged = await rows(session_factory, push)
    assert (row["status"], row["last_error"]) == ("retrying", "HTTP 503")
    assert 100 < float(row["due_in_s"]) <= 120
    assert mirror["netsuite_id"] is None
    assert staged == 0


async def test_a_final_failure_stages_its_result_and_an_alert(
    session_factory: Factory, settings: Settings
) -> None:
    push = await claimed(session_factory)
    recorder = PushRecorder(session_factory, settings)
    assert await recorder.record(push, None, JobStep("failed", "refused"))
    row, mirror, staged = await rows(session_factory, push)
    assert (row["status"], row["due_in_s"]) == ("failed", None)
    assert mirror["netsuite_id"] is None
    assert staged == 2  # ns.push.result and workflow.alert
