"""The scrape-time readings against the real (migrated) database: each query runs, its
families render, and a reading that cannot answer reports 0 without failing the scrape."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from cascade.shared.db.models import ProposedAction, WorkflowRun
from cascade.shared.observability.db_gauges import (
    APPROVAL_WAIT,
    EMAILS,
    NETSUITE_PUSHES,
    RUNS,
    STEPS,
    VERIFY,
    Reading,
    proposals_reading,
)
from cascade.shared.observability.metrics import ServiceMetrics
from cascade.shared.runtime import ServiceRuntime
from cascade.shared.settings import Settings

pytestmark = pytest.mark.integration


def samples(rendered: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(rendered.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def broken(conn: AsyncConnection) -> list[object]:
    await conn.execute(text("SELECT * FROM no_such_table"))
    return []


async def test_every_reading_answers_from_the_database(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    now = datetime.now(UTC)
    run_id = uuid.uuid4()
    async with session_factory() as session, session.begin():
        session.add(
            WorkflowRun(
                run_id=run_id, workflow_type="new_customer", status="completed", inputs={},
                requested_at=now - timedelta(minutes=5),
            )
        )  # fmt: skip
        await session.flush()
        for action, status, created, decided in (
            ("create_customer", "approved", now - timedelta(seconds=40), now),
            ("propose_email_to_customer", "pending", now - timedelta(hours=3), None),
        ):
            session.add(
                ProposedAction(
                    run_id=run_id, action_type=action, entity_ref="x", approver="mike",
                    status=status, payload={}, payload_sha256="0" * 64, created_at=created,
                    decided_at=decided,
                )
            )  # fmt: skip
    runtime = ServiceRuntime.build("metrics-test", settings)
    try:
        runtime.metrics.add_readings(
            RUNS, STEPS, APPROVAL_WAIT, EMAILS, NETSUITE_PUSHES, VERIFY,
            proposals_reading({"new_customer": 3600.0}),
            Reading("broken", ("cascade_broken",), broken),  # type: ignore[arg-type]
        )  # fmt: skip
        got = samples(await runtime.metrics.render())
    finally:
        await runtime.engine.dispose()

    def up(reading: str) -> float:
        return got[("cascade_metrics_reading_up", (("reading", reading),))]

    assert got[("cascade_runs", (("status", "completed"), ("workflow_type", "new_customer")))] == 1
    wait = (("decision", "approved"),)
    assert got[("cascade_approval_wait_seconds_count", wait)] == 1
    assert got[("cascade_approval_wait_seconds_sum", wait)] == 40.0  # decided 40 s after
    assert got[("cascade_approval_wait_seconds_bucket", (*wait, ("le", "30.0")))] == 0
    assert got[("cascade_approval_wait_seconds_bucket", (*wait, ("le", "60.0")))] == 1
    labels = (("action_type", "propose_email_to_customer"), ("workflow_type", "new_customer"))
    assert got[("cascade_proposals_pending", labels)] == 1
    assert got[("cascade_proposals_overdue", labels)] == 1, "3 h pending, 1 h window"
    assert got[("cascade_outbox_backlog", ())] >= 0
    assert got[("cascade_outbox_oldest_unsent_age_seconds", ())] >= 0
    for reading in ("runs", "steps", "approval_wait", "emails", "netsuite_pushes", "verify"):
        assert up(reading) == 1, reading
    assert up("proposals") == 1
    assert up("outbox") == 1
    assert up("dead_letters") == 1
    assert up("broken") == 0, "the failed reading is reported, the others still answer"
    assert up("consumer_lag") == 1, "no subscriber: nothing to read, nothing failed"


def test_netsuite_calls_are_counted_by_outcome() -> None:
    metrics = ServiceMetrics()
    metrics.netsuite_call("POST", 204, 0.2)
    metrics.netsuite_call("POST", 429, 0.1)
    metrics.netsuite_call("GET", "timeout", 10.0)
    assert metrics.registry.get_sample_value("cascade_netsuite_throttled_total") == 1
    count = metrics.registry.get_sample_value
    assert (
        count("cascade_netsuite_request_seconds_count", {"method": "POST", "outcome": "204"}) == 1
    )
    assert (
        count("cascade_netsuite_request_seconds_count", {"method": "GET", "outcome": "timeout"})
        == 1
    )
