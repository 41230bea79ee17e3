"""The sales form and the `intake.requested` topic, against the real broker and database."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import produce_raw, read_all
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.shared.db.models import DeadLetter, OutboxMessage
from cascade.shared.envelope import Envelope
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, dlq_name, topic_name

pytestmark = pytest.mark.integration
FORM = {
    "workflow_type": "new_customer",
    "company_name": "Form & Co",
    "contact_email": "sales@form.example",
    "billing_address": "4 Form Lane",
    "credit_limit": "",
}


async def outbox_count(factory: async_sessionmaker[AsyncSession]) -> int:
    async with factory() as session:
        return int(
            (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
        )


async def test_form_renders_validates_and_submits_once(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
) -> None:
    intake = start_service("intake")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake.port}") as client:
        page = await client.get("/")
        assert page.status_code == 200
        for name in ("company_name", "contact_email", "billing_address", "pricing_tier"):
            assert f'name="{name}"' in page.text
        key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
        assert key is not None

        missing = await client.post(
            "/", data={k: v for k, v in FORM.items() if k != "billing_address"}
        )
        assert missing.status_code == 422
        assert "Enter the billing address." in missing.text
        assert await outbox_count(session_factory) == 0

        hostile = {**FORM, "company_name": "<script>alert(1)</script>", "idempotency_key": key[1]}
        first = await client.post("/", data=hostile)
        again = await client.post("/", data=hostile)
    assert (first.status_code, again.status_code) == (202, 200)
    run_ids = [re.search(r'id="run-id">([^<]+)<', r.text) for r in (first, again)]
    assert run_ids[0] is not None
    assert run_ids[1] is not None
    assert run_ids[0][1] == run_ids[1][1]
    assert "<script>" not in missing.text
    assert await outbox_count(session_factory) == 1


async def test_upstream_topic_accepts_valid_and_dead_letters_invalid(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
) -> None:
    start_service("intake")
    topic = topic_name(settings.topic_prefix, Topic.INTAKE_REQUESTED)
    inputs = {
        "company_name": "Upstream Ltd",
        "contact_email": "u@up.example",
        "billing_address": "5 Up St",
    }
    good = Envelope(
        type="intake.requested",
        source="erp",
        run_id=uuid.uuid4(),
        idempotency_key="erp-order-1",
        data={"workflow_type": "new_customer", "inputs": inputs},
    )
    bad = Envelope(
        type="intake.requested",
        source="erp",
        run_id=uuid.uuid4(),
        idempotency_key="erp-order-2",
        data={"workflow_type": "new_customer", "inputs": {}},
    )
    for envelope in (good, good, bad):
        await produce_raw(
            settings.kafka_bootstrap, topic, envelope.to_bytes(), str(envelope.run_id)
        )

    requested = topic_name(settings.topic_prefix, Topic.WORKFLOW_REQUESTED)

    async def handled() -> bool:
        return (
            len(await read_all(settings.kafka_bootstrap, requested)) == 1
            and len(await read_all(settings.kafka_bootstrap, dlq_name(topic))) == 1
        )

    await eventually(handled, within=60)
    [(_, value)] = await read_all(settings.kafka_bootstrap, requested)
    assert Envelope.from_bytes(value).data["inputs"] == inputs
    async with session_factory() as session:
        letter = (await session.scalars(select(DeadLetter))).one()
    assert letter.attempts == 1
    assert "inputs.company_name" in letter.error


async def test_form_errors_are_plain_linked_to_their_fields_and_amounts_take_commas(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
) -> None:
    intake = start_service("intake")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake.port}") as client:
        refused = await client.post(
            "/", data={**FORM, "contact_phone": "12", "credit_limit": "12,00.50"}
        )
        script = await client.get("/static/form.js")
        accepted = await client.post("/", data={**FORM, "credit_limit": "12,000.50"})
    assert refused.status_code == 422
    page = refused.text
    assert "String should match pattern" not in page
    assert 'id="error-summary"' in page
    assert '<a href="#f-contact_phone">Contact phone: Enter a phone number of 5–32' in page
    assert re.search(
        r'<input id="f-contact_phone"[^>]* type="tel"[^>]* aria-describedby="e-contact_phone"'
        r' aria-invalid="true">',
        page,
    ), page
    assert '<p class="error" id="e-credit_limit">' in page
    assert "commas only between groups of three digits" in page
    assert 'value="12,00.50"' in page, "what was typed is kept"
    assert 'inputmode="decimal"' in page
    assert 'type="email"' in page
    assert "<script>" not in page
    assert "<style>" not in page
    assert '<script src="/static/form.js" defer></script>' in page
    assert refused.headers["content-security-policy"].startswith("default-src 'self';")
    assert refused.headers["x-frame-options"] == "DENY"
    assert "aria-invalid" in script.text
    assert accepted.status_code == 202, accepted.text
    async with session_factory() as session:
        [row] = (await session.scalars(select(OutboxMessage))).all()
    assert Envelope.from_bytes(row.payload).data["inputs"]["credit_limit"] == "12000.50"
