"""Hostile input through intake and runner: stored verbatim or refused with 422."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import count_rows, decide_on_wire, gate_proposal, wait_status
from cascade.shared.db.models import Customer, OutboxMessage
from cascade.shared.normalize import normalize_company_name
from cascade.shared.settings import Settings

pytestmark = pytest.mark.e2e
Factory = async_sessionmaker[AsyncSession]
BASE = {"contact_email": "x@hostile.example", "billing_address": "1 Quote St"}
SQL_NAME = "Robert'); DROP TABLE customers;-- \"O'Brien\" & Sons"


async def post(port: int, body: bytes | dict[str, object]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        if isinstance(body, bytes):
            return await client.post(
                "/v1/runs", content=body, headers={"content-type": "application/json"}
            )
        return await client.post("/v1/runs", json=body)


def request(**inputs: object) -> dict[str, object]:
    return {"workflow_type": "new_customer", "inputs": {**BASE, **inputs}}


async def test_refused_inputs_name_the_field_and_publish_nothing(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    intake = start_service("intake")
    cases = [
        (request(company_name="x" * 10_000), "inputs.company_name"),
        (request(company_name="Nul\x00Corp"), "inputs.company_name"),
        (request(company_name="Acme", billing_address="y" * 10_000), "inputs.billing_address"),
        (b'{"workflow_type": "new_customer", "inputs": {"company_name": "\xff\xfe"}}', "body"),
    ]
    for body, field in cases:
        response = await post(intake.port, body)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["field"] == field
    assert await count_rows(session_factory, OutboxMessage) == 0


async def test_quotes_and_sql_are_stored_verbatim(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    intake = start_service("intake")
    start_service("runner")
    response = await post(intake.port, request(company_name=SQL_NAME))
    assert response.status_code == 202, response.text
    run_id = uuid.UUID(response.json()["run_id"])
    await wait_status(session_factory, run_id, "awaiting_approval")
    assert (await gate_proposal(session_factory, run_id)).payload["inputs"][
        "company_name"
    ] == SQL_NAME
    await decide_on_wire(session_factory, settings, run_id, approve=True)

    async def stored() -> bool:
        return await count_rows(session_factory, Customer) == 1

    await eventually(stored, within=60)
    async with session_factory() as session:
        name = (await session.scalars(select(Customer.companyname))).one()
        tables = (await session.execute(text("SELECT to_regclass('customers')"))).scalar_one()
    assert name == SQL_NAME
    assert tables == "customers"


async def test_full_width_letters_are_the_same_company(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(
            text("INSERT INTO customers (companyname, companyname_normalized) VALUES (:c, :n)"),
            {"c": "Acme Inc", "n": normalize_company_name("Acme Inc")},
        )
    intake = start_service("intake")
    start_service("runner")
    response = await post(intake.port, request(company_name="ＡＣＭＥ　Ｉｎｃ．"))
    assert response.status_code == 202
    await wait_status(session_factory, uuid.UUID(response.json()["run_id"]), "blocked")
