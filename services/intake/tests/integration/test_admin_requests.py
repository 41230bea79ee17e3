"""`intake.admin_requested` (the approvals page's Execute form) against the real broker and
database: a request starts one run started by `admin:<actor>`, however often it arrives;
a contract the form may not start, a forged key or bad inputs are dead-lettered."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import produce_raw, read_all
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.shared.db.models import DeadLetter
from cascade.shared.envelope import Envelope
from cascade.shared.run_requests.admin import admin_key, admin_run_id
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, dlq_name, topic_name

pytestmark = pytest.mark.integration
INPUTS = {"company_name": "Admin Ltd", "contact_email": "a@admin.example", "billing_address": "1"}


def ask(workflow_type: str, inputs: dict[str, str], run_id: uuid.UUID | None = None) -> Envelope:
    key = admin_key(uuid.uuid4())
    request = {"workflow_type": workflow_type, "inputs": inputs, "source": "approvals"}
    return Envelope(
        type=Topic.INTAKE_ADMIN_REQUESTED, source="cascade.approvals",
        run_id=run_id or admin_run_id(key), idempotency_key=key,
        data={"request": request, "requested_by": "mike"},
    )  # fmt: skip


async def test_one_run_per_request_and_refusals_dead_lettered(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
) -> None:
    start_service("intake")
    topic = topic_name(settings.topic_prefix, Topic.INTAKE_ADMIN_REQUESTED)
    good = ask("new_customer", INPUTS)
    refused = [
        ask("price_changed", {"item_id": "I", "pricing_tier": "gold", "new_price": "1",
                              "effective_date": "2026-12-01"}),
        ask("new_customer", INPUTS, run_id=uuid.uuid4()),  # the key does not name this run
        ask("new_customer", {**INPUTS, "contact_email": "a@x, b@evil.example"}),
    ]  # fmt: skip
    for envelope in (good, good, *refused):
        await produce_raw(
            settings.kafka_bootstrap, topic, envelope.to_bytes(), str(envelope.run_id)
        )
    requested = topic_name(settings.topic_prefix, Topic.WORKFLOW_REQUESTED)

    async def handled() -> bool:
        return len(await read_all(settings.kafka_bootstrap, requested)) == 1 and len(
            await read_all(settings.kafka_bootstrap, dlq_name(topic))
        ) == len(refused)

    await eventually(handled, within=60)
    [(_, value)] = await read_all(settings.kafka_bootstrap, requested)
    run = Envelope.from_bytes(value)
    assert run.run_id == good.run_id
    assert run.data["started_by"] == "admin:mike"
    assert run.data["client_idempotency_key"] == good.idempotency_key
    async with session_factory() as session:
        errors = sorted(d.error for d in (await session.scalars(select(DeadLetter))).all())
    assert len(errors) == 3
    assert any("price_changed is not started from the Execute form" in e for e in errors)
    assert any("the key does not name this run" in e for e in errors)
    assert any("inputs.contact_email" in e for e in errors)
