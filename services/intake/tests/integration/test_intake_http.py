"""Intake over HTTP against the real broker and database: bad input publishes nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import read_all
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.wire import wait_topic_events
from cascade.shared.db.models import IntakeRequest, OutboxMessage
from cascade.shared.envelope import Envelope
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.integration

INPUTS = {"company_name": "Acme", "contact_email": "a@acme.example", "billing_address": "1 Main St"}
VALID = {"workflow_type": "new_customer", "inputs": INPUTS}


async def outbox_rows(factory: async_sessionmaker[AsyncSession]) -> int:
    async with factory() as session:
        return int(
            (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
        )


@pytest.mark.parametrize(
    ("body", "headers", "status", "field"),
    [
        (b'{"workflow_type": "new_customer", "inputs": {', {}, 422, "body"),
        (b'{"workflow_type": ["x"], "inputs": {}}', {}, 422, "workflow_type"),
        (b'{"workflow_type": "nope", "inputs": {}}', {}, 422, "workflow_type"),
        (b'{"workflow_type": "new_customer", "inputs": "x"}', {}, 422, "inputs"),
        (b"\x00\xff\xfe", {}, 422, "body"),
        (
            b'{"workflow_type": "new_customer", "inputs": {"a": "' + b"x" * 70_000 + b'"}}',
            {},
            413,
            "body",
        ),
        (
            b'{"workflow_type": "new_customer", "inputs": {}}',
            {"Idempotency-Key": "k" * 201},
            400,
            "Idempotency-Key",
        ),
        (
            b'{"workflow_type": "price_changed", "inputs": {}}',
            {"Idempotency-Key": "event:price_changed:/pricing:evt-1"},
            400,
            "Idempotency-Key",
        ),
    ],
)
async def test_bad_input_is_refused_and_publishes_nothing(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
    body: bytes,
    headers: dict[str, str],
    status: int,
    field: str,
) -> None:
    intake = start_service("intake")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake.port}") as client:
        response = await client.post(
            "/v1/runs", content=body, headers={"content-type": "application/json", **headers}
        )
        # A marker after it: the relay publishes in staging order, so once the marker is
        # on the topic anything the refused request had (wrongly) staged would be too.
        marker = await client.post("/v1/runs", json=VALID)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == field
    assert marker.status_code == 202, marker.text
    assert await outbox_rows(session_factory) == 1, "only the marker was staged"
    published = await wait_topic_events(settings, Topic.WORKFLOW_REQUESTED, 1)
    assert [e.run_id for e in published] == [uuid.UUID(marker.json()["run_id"])]


async def test_idempotency_key_returns_the_same_run_and_publishes_once(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
) -> None:
    intake = start_service("intake")
    key = {"Idempotency-Key": f"form-{uuid.uuid4()}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake.port}") as client:
        first = await client.post("/v1/runs", json=VALID, headers=key)
        second = await client.post("/v1/runs", json=VALID, headers=key)
        other = await client.post(
            "/v1/runs", json={**VALID, "inputs": {**INPUTS, "company_name": "Other"}}, headers=key
        )
    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["run_id"] == second.json()["run_id"]
    assert second.json()["replayed"] is True
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"

    await wait_topic_events(settings, Topic.WORKFLOW_REQUESTED, 1)
    topic = topic_name(settings.topic_prefix, Topic.WORKFLOW_REQUESTED)
    records = await read_all(settings.kafka_bootstrap, topic)  # with their keys
    assert len(records) == 1
    key_bytes, value = records[0]
    envelope = Envelope.from_bytes(value)
    assert str(envelope.run_id) == first.json()["run_id"]
    assert key_bytes == first.json()["run_id"].encode(), "records are keyed by run_id"
    assert envelope.type == "workflow.requested"
    async with session_factory() as session:
        assert (
            await session.execute(select(func.count()).select_from(IntakeRequest))
        ).scalar_one() == 1
