"""The walking skeleton, end to end: five real service processes, real Kafka, real PostgreSQL.

A request posted to intake over HTTP travels intake → outbox → relay → workflow.requested →
runner, which records the run.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import wait_consumed
from cascade.shared.db.models import WorkflowRun
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic

pytestmark = pytest.mark.e2e

SERVICES = ("intake", "runner", "approvals", "ns_pusher", "verifier")


async def test_intake_request_becomes_a_run_row(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
) -> None:
    processes = {name: start_service(name) for name in SERVICES}
    for process in processes.values():
        async with httpx.AsyncClient() as client:
            health = (await client.get(process.health_url)).json()
        assert health == {
            "service": health["service"],
            "status": "ok",
            "database": True,
            "kafka": True,
            "tasks": health["tasks"],
            "subscribers": health["subscribers"],
        }
        assert health["tasks"]["outbox relay"] == "running"
        assert set(health["tasks"].values()) == set(health["subscribers"].values()) == {"running"}

    inputs = {
        "company_name": "Walking Skeleton Ltd",
        "contact_email": "ops@skeleton.example",
        "billing_address": "3 Bone Road",
    }
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{processes['intake'].port}") as client:
        response = await client.post(
            "/v1/runs", json={"workflow_type": "new_customer", "inputs": inputs}
        )
    assert response.status_code == 202, response.text
    run_id = uuid.UUID(response.json()["run_id"])

    async def run_recorded() -> bool:
        async with session_factory() as session:
            return await session.get(WorkflowRun, run_id) is not None

    await eventually(run_recorded, within=60)
    async with session_factory() as session:
        run = (await session.scalars(select(WorkflowRun).where(WorkflowRun.run_id == run_id))).one()
    assert run.workflow_type == "new_customer"
    assert run.inputs == inputs
    assert run.status == "awaiting_approval", "new_customer is risk 3: it waits for Mike"

    await wait_consumed(settings, "runner.workflow_requested", Topic.WORKFLOW_REQUESTED)
