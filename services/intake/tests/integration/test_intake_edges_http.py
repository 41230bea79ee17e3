"""Intake's edges under hostile clients and a lost database (issue 10, defects 6, 7, 13):
deep JSON, control characters and address lists are refused with the field named, a stalled
body is cut off with 408, and a database outage answers 503 with Retry-After."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import produce_raw, read_all
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.shared.db.models import DeadLetter, OutboxMessage
from cascade.shared.envelope import Envelope
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, dlq_name, topic_name

pytestmark = pytest.mark.integration
Factory = async_sessionmaker[AsyncSession]
INPUTS = {"company_name": "Acme", "contact_email": "a@acme.example", "billing_address": "1 Main St"}


async def outbox_rows(factory: Factory) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


async def slow_body(port: int, path: str, headers: str = "") -> bytes:
    """Send the headers and a few body bytes, then stall; everything the server answers
    until it closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"{headers}Content-Length: 1000\r\n\r\n".encode()
        + b'{"workflow_type": "new'
    )
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), timeout=60)
    finally:
        writer.close()


def nested(depth: int) -> bytes:
    return (
        b'{"workflow_type": "new_customer", "inputs": {"a": ' + b"[" * depth + b"]" * depth + b"}}"
    )


REFUSED = [
    ({"company_name": "Acme\r\nBcc: x@evil.example"}, "inputs.company_name", "U+000D CR"),
    ({"company_name": "Acme\u2028Corp"}, "inputs.company_name", "U+2028"),
    ({"company_name": "Acme\x85Corp"}, "inputs.company_name", "U+0085"),
    ({"company_name": "Tab\tCorp"}, "inputs.company_name", "TAB"),
    ({"contact_email": "a@x.example\r\nBcc: b@evil"}, "inputs.contact_email", "single line"),
    ({"contact_email": "a@x.example, attacker@evil"}, "inputs.contact_email", "exactly one"),
    ({"contact_email": "a@x.example attacker@evil"}, "inputs.contact_email", "exactly one"),
    ({"contact_email": "Jane <a@x.example>"}, "inputs.contact_email", "exactly one"),
    ({"billing_address": "1 Main St\x00"}, "inputs.billing_address", "NUL"),
]


async def test_control_characters_and_address_lists_are_422_naming_the_field(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    intake = start_service("intake")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake.port}") as client:
        for inputs, field, fragment in REFUSED:
            body = {"workflow_type": "new_customer", "inputs": {**INPUTS, **inputs}}
            response = await client.post("/v1/runs", json=body)
            assert response.status_code == 422, (inputs, response.text)
            [error] = response.json()["errors"]
            assert error["field"] == field
            assert fragment.lower() in error["message"].lower(), (inputs, error)
    assert await outbox_rows(session_factory) == 0


async def test_an_odd_single_address_is_accepted_for_the_warn_rule(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    # The contract keeps contact_email a plain string so that its `valid_email` warn rule
    # shows an odd address to Mike instead of refusing it: one token without '@' passes.
    intake = start_service("intake")
    body = {"workflow_type": "new_customer", "inputs": {**INPUTS, "contact_email": "ops.example"}}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake.port}") as client:
        response = await client.post("/v1/runs", json=body)
    assert response.status_code == 202, response.text
    multi_line = {**INPUTS, "billing_address": "1 Main St\r\nSpringfield\tIL"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake.port}") as client:
        response = await client.post(
            "/v1/runs", json={"workflow_type": "new_customer", "inputs": multi_line}
        )
    assert response.status_code == 202, response.text


async def test_the_form_refuses_crlf_and_address_lists(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    intake = start_service("intake")
    form = {"workflow_type": "new_customer", **INPUTS}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake.port}") as client:
        crlf = await client.post("/", data={**form, "company_name": "Acme\r\nCorp"})
        listed = await client.post("/", data={**form, "contact_email": "a@x.example, b@evil"})
    assert (crlf.status_code, listed.status_code) == (422, 422)
    assert "single line" in crlf.text
    assert "exactly one email address" in listed.text
    assert await outbox_rows(session_factory) == 0


async def test_the_kafka_path_refuses_what_http_refuses(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("intake")
    topic = topic_name(settings.topic_prefix, Topic.INTAKE_REQUESTED)
    hostile = [
        {**INPUTS, "company_name": "Nul\x00Corp"},
        {**INPUTS, "company_name": "Acme\r\nBcc: x@evil.example"},
        {**INPUTS, "contact_email": "a@x.example, attacker@evil"},
    ]
    for number, inputs in enumerate(hostile):
        envelope = Envelope(
            type="intake.requested",
            source="erp",
            run_id=uuid.uuid4(),
            idempotency_key=f"erp-hostile-{number}",
            data={"workflow_type": "new_customer", "inputs": inputs},
        )
        await produce_raw(
            settings.kafka_bootstrap, topic, envelope.to_bytes(), str(envelope.run_id)
        )

    async def all_dead_lettered() -> bool:
        return len(await read_all(settings.kafka_bootstrap, dlq_name(topic))) == len(hostile)

    await eventually(all_dead_lettered, within=60)
    async with session_factory() as session:
        letters = list((await session.scalars(select(DeadLetter).order_by(DeadLetter.id))).all())
    named = [
        field
        for letter in letters
        for field in ("inputs.company_name", "inputs.contact_email")
        if f"invalid request: {field}" in letter.error
    ]
    assert sorted(named) == ["inputs.company_name", "inputs.company_name", "inputs.contact_email"]
    assert all(letter.attempts == 1 for letter in letters)
    requested = topic_name(settings.topic_prefix, Topic.WORKFLOW_REQUESTED)
    assert await read_all(settings.kafka_bootstrap, requested) == []


async def test_deeply_nested_body_is_422_and_a_stalled_body_408(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    intake = start_service("intake", {"CASCADE_HTTP_BODY_TIMEOUT_S": "1"})
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake.port}") as client:
        response = await client.post(
            "/v1/runs", content=nested(20_000), headers={"content-type": "application/json"}
        )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body"
    assert await outbox_rows(session_factory) == 0
    # A client that sends its headers and a few bytes, then stalls, is answered and cut off.
    for path in ("/v1/runs", "/"):
        answer = await slow_body(intake.port, path)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]


async def test_a_database_outage_is_503_with_retry_after(
    settings: Settings, start_service: StartService
) -> None:
    intake = start_service("intake")
    # The test's own database is dropped under the running service (the shared server
    # keeps running): every later request finds no database to connect to.
    url = make_url(settings.database_url)
    dsn = url.set(drivername="postgresql", database="postgres").render_as_string(False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE "{url.database}" WITH (FORCE)')
    finally:
        await admin.close()
    body = {"workflow_type": "new_customer", "inputs": INPUTS}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake.port}") as client:
        response = await client.post("/v1/runs", json=body)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(settings.http_retry_after_s)
    assert response.json()["errors"][0]["field"] == "database"
