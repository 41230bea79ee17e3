"""new_customer end to end: every service a real process, NetSuite the simulator over HTTP.

Sales posts to intake; the runner proposes; Mike approves through the approvals API; the
runner fans out; ns-pusher pushes to NetSuite; the run completes; the verifier proves it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.netsuite_sim import client_env, start_simulator
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.service_process import ServiceProcess
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import count_rows, events_of, terminal_events
from cascade.shared.db.models import (
    Customer,
    CustomerProgram,
    EventRecord,
    ProposedAction,
    ReflexionEntry,
    VerifyRepair,
    VerifyResult,
    WorkflowRunLog,
    WorkflowRunStep,
)
from cascade.shared.objectstore import ObjectStoreSettings, open_object_store
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic
from cascade.verifier.jobs import reverify

pytestmark = pytest.mark.e2e
Factory = async_sessionmaker[AsyncSession]
TOKEN = "e2e-admin-token"
INPUTS = {
    "company_name": "Everything Ltd",
    "contact_email": "hello@everything.example",
    "billing_address": "10 End Road",
    "pricing_tier": "silver",
    "credit_limit": "5000.00",
}


def start_stack(start_service: StartService, data_dir: Path) -> dict[str, ServiceProcess]:
    sim = start_simulator(start_service, data_dir)
    netsuite = client_env(sim)
    # 15 minutes of verify window become about 4.5 s.
    scale = {"CASCADE_VERIFY_WINDOW_SCALE": "0.005"}
    names = ("intake", "runner", "approvals", "ns_pusher", "verifier")
    started = start_service.many(
        [
            ("intake", None),
            ("runner", scale),
            ("approvals", {"CASCADE_ADMIN_TOKEN": TOKEN}),
            ("ns_pusher", {**netsuite, "CASCADE_ADMIN_TOKEN": TOKEN}),
            # A re-verification (below) is found by the poll, not by a bell in this process.
            ("verifier", {**netsuite, **scale, "CASCADE_VERIFY_POLL_MS": "200"}),
        ]
    )
    return {"sim": sim, **dict(zip(names, started, strict=True))}


async def api(process: ServiceProcess, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{process.port}", timeout=10) as c:
        return await c.request(method, path, headers=headers, **kwargs)


async def run_new_customer(stack: dict[str, ServiceProcess]) -> str:
    """Post a run, approve its proposal as Mike, wait until it is completed and verified."""
    created = await api(
        stack["intake"],
        "POST",
        "/v1/runs",
        json={"workflow_type": "new_customer", "inputs": INPUTS},
    )
    assert created.status_code == 202, created.text
    run_id = str(created.json()["run_id"])
    pending: list[dict[str, Any]] = []

    async def proposed() -> bool:
        listed = await api(
            stack["approvals"],
            "GET",
            "/v1/proposals",
            params={"run_id": run_id, "status": "pending"},
        )
        pending[:] = listed.json()["items"] if listed.status_code == 200 else []
        return len(pending) == 1

    await eventually(proposed, within=60)
    detail = (await api(stack["approvals"], "GET", f"/v1/proposals/{pending[0]['id']}")).json()
    approved = await api(
        stack["approvals"],
        "POST",
        f"/v1/proposals/{detail['id']}/approve",
        json={"version": detail["version"], "payload_sha256": detail["payload_sha256"]},
    )
    assert approved.status_code == 200, approved.text

    async def verified() -> bool:
        run = (await api(stack["approvals"], "GET", f"/v1/runs/{run_id}")).json()
        checks = [v["status"] for v in run.get("verify_results", [])]
        return run.get("status") == "completed" and bool(checks) and set(checks) == {"pass"}

    await eventually(verified, within=120)
    return run_id


async def test_new_customer_from_intake_to_verified(
    settings: Settings,
    session_factory: Factory,
    start_service: StartService,
    object_store_settings: ObjectStoreSettings,
    tmp_path: Path,
) -> None:
    stack = start_stack(start_service, tmp_path / "netsuite")
    created = await api(
        stack["intake"],
        "POST",
        "/v1/runs",
        json={"workflow_type": "new_customer", "inputs": INPUTS},
    )
    assert created.status_code == 202, created.text
    run_id = created.json()["run_id"]

    proposals: list[dict[str, Any]] = []

    async def proposed() -> bool:
        listed = await api(
            stack["approvals"],
            "GET",
            "/v1/proposals",
            params={"run_id": run_id, "status": "pending"},
        )
        proposals[:] = listed.json()["items"] if listed.status_code == 200 else []
        return len(proposals) == 1

    await eventually(proposed, within=60)
    detail = (await api(stack["approvals"], "GET", f"/v1/proposals/{proposals[0]['id']}")).json()
    assert detail["payload"]["inputs"] == INPUTS
    assert detail["entity_ref"] == f"workflow:new_customer:run_{run_id}"
    assert await count_rows(session_factory, Customer) == 0, "nothing before Mike approves"

    approved = await api(
        stack["approvals"],
        "POST",
        f"/v1/proposals/{detail['id']}/approve",
        json={"version": detail["version"], "payload_sha256": detail["payload_sha256"]},
    )
    assert approved.status_code == 200, approved.text

    run: dict[str, Any] = {}

    async def verified() -> bool:
        run.update((await api(stack["approvals"], "GET", f"/v1/runs/{run_id}")).json())
        checks = {v["check_name"]: v["status"] for v in run.get("verify_results", [])}
        return (
            run.get("status") == "completed"
            and checks
            and all(s == "pass" for s in checks.values())
        )

    await eventually(verified, within=120)
    async with session_factory() as session:
        customer = (await session.scalars(select(Customer))).one()
        email = (
            await session.scalars(
                select(ProposedAction).where(
                    ProposedAction.action_type == "propose_email_to_customer"
                )
            )
        ).one()
    assert customer.netsuite_id is not None
    assert customer.lastmodifieddate is not None
    assert email.status == "pending", "drafted for Mike, never sent unapproved"
    assert await count_rows(session_factory, CustomerProgram) == 3, "silver's programs"
    run_uuid = uuid.UUID(run_id)
    for model in (WorkflowRunLog, ReflexionEntry, EventRecord):
        assert await count_rows(session_factory, model, run_uuid) == 1, model.__name__
    assert [e.type for e in await terminal_events(settings, run_uuid)] == ["workflow.completed"]
    results = await events_of(settings, (Topic.VERIFY_RESULT,), run_uuid)
    assert len({e.idempotency_key for e in results}) == len(run["verify_results"])
    records = (await api(stack["sim"], "GET", "/_sim/records/customer")).json()
    assert len(records["items"]) == 1, "exactly one customer in NetSuite"
    await first_quote_bundle_is_stored_and_checked(session_factory, object_store_settings, run_id)
    await a_missing_bundle_is_repaired_once_mike_approves(
        stack, settings, session_factory, object_store_settings, run_uuid
    )


async def first_quote_bundle_is_stored_and_checked(
    factory: Factory, store_settings: ObjectStoreSettings, run_id: str
) -> None:
    """The bundle is in the real S3 server with the recorded hash; deleted, its check fails."""
    run_uuid = uuid.UUID(run_id)
    async with factory() as session:
        step = await session.get(WorkflowRunStep, (run_uuid, "first_quote_context"))
        customer = (await session.scalars(select(Customer))).one()
    assert step is not None
    assert step.output is not None
    key = step.output["first_quote_context_key"]
    assert key == f"customers/cascade-customer-{run_id}/first-quote-context/v1.json"
    async with open_object_store(store_settings) as store:
        data = await store.get(key)
        assert data is not None, "the bundle is in the object store"
        assert hashlib.sha256(data).hexdigest() == step.output["first_quote_context_sha256"]
        bundle = json.loads(data)
        assert (bundle["schema_version"], bundle["document_type"]) == (1, "first_quote_context")
        assert bundle["customer"]["companyname"] == INPUTS["company_name"]
        assert bundle["netsuite_internal_id"] == customer.netsuite_id
        assert bundle["pricing_tier"]["code"] == "silver"
        assert bundle["terms"]["name"] == "Net 30"
        assert len(bundle["programs"]) == 3, "silver's programs"
        assert all(p["unit_price"] for p in bundle["price_list"])
        await store.delete(key)
    async with factory() as session, session.begin():
        deadline = datetime.now(UTC) + timedelta(seconds=2)
        assert await reverify(session, run_uuid, "first_quote_context_stored", deadline)

    await eventually(lambda: check_is(factory, run_uuid, "fail", 1), within=60)


CHECK = "first_quote_context_stored"
ACTION = f"repair_check:{CHECK}:1"


async def check_is(factory: Factory, run_id: uuid.UUID, status: str, round_number: int) -> bool:
    async with factory() as session:
        row = await session.scalar(
            select(VerifyResult).where(
                VerifyResult.run_id == run_id, VerifyResult.check_name == CHECK
            )
        )
    return row is not None and (row.status, row.round) == (status, round_number)


async def a_missing_bundle_is_repaired_once_mike_approves(
    stack: dict[str, ServiceProcess],
    settings: Settings,
    factory: Factory,
    store_settings: ObjectStoreSettings,
    run_id: uuid.UUID,
) -> None:
    """The failed check stages one repair proposal showing the drift; nothing is written
    before Mike approves; approved, the same bytes are back and the next round passes."""
    repairs: list[dict[str, Any]] = []

    async def repair_proposed() -> bool:
        params = {"run_id": str(run_id), "status": "pending", "action_type": ACTION}
        listed = await api(stack["approvals"], "GET", "/v1/proposals", params=params)
        repairs[:] = listed.json()["items"] if listed.status_code == 200 else []
        return len(repairs) == 1

    await eventually(repair_proposed, within=60)
    detail = (await api(stack["approvals"], "GET", f"/v1/proposals/{repairs[0]['id']}")).json()
    async with factory() as session:
        step = await session.get(WorkflowRunStep, (run_id, "first_quote_context"))
        repair = (await session.scalars(select(VerifyRepair))).one()
    assert step is not None
    assert step.output is not None
    key, sha256 = step.output["first_quote_context_key"], step.output["first_quote_context_sha256"]
    drift = detail["payload"]["drift"]
    assert (drift["check_name"], drift["round"]) == (CHECK, 1)
    assert drift["expected"]["sha256"] == sha256
    assert "missing" in drift["reason"]
    assert "missing" in detail["payload"]["presentation"]["sentence"]
    assert (repair.status, repair.proposal_id, repair.rerun) == (
        "proposed", detail["id"], ["first_quote_context"],
    )  # fmt: skip
    async with open_object_store(store_settings) as store:
        assert await store.get(key) is None, "nothing is written before Mike approves"

    approved = await api(
        stack["approvals"], "POST", f"/v1/proposals/{detail['id']}/approve",
        json={"version": detail["version"], "payload_sha256": detail["payload_sha256"]},
    )  # fmt: skip
    assert approved.status_code == 200, approved.text
    await eventually(lambda: check_is(factory, run_id, "pass", 2), within=60)

    async def repair_recorded() -> bool:
        async with factory() as session:
            row = await session.get(VerifyRepair, repair.id)
        return row is not None and (row.status, row.verified) == ("done", "pass")

    await eventually(repair_recorded, within=60)
    async with open_object_store(store_settings) as store:
        data = await store.get(key)
    assert data is not None, "the repair wrote the bundle again"
    assert hashlib.sha256(data).hexdigest() == sha256, "the same bytes as the run recorded"
    results = await events_of(settings, (Topic.VERIFY_RESULT,), run_id)
    keys = {e.idempotency_key for e in results if e.data["check_name"] == CHECK}
    assert keys == {f"verify.result:{run_id}:{CHECK}{suffix}" for suffix in ("", ":r1", ":r2")}
    assert [e.type for e in await terminal_events(settings, run_id)] == ["workflow.completed"]


async def test_an_address_netsuite_refuses_is_warned_and_no_welcome_email_is_drafted(
    settings: Settings, session_factory: Factory, start_service: StartService, tmp_path: Path
) -> None:
    sim = start_simulator(start_service, tmp_path / "netsuite")
    netsuite = client_env(sim)
    intake, _, approvals, _ = start_service.many(
        [
            ("intake", None),
            ("runner", None),
            ("approvals", {"CASCADE_ADMIN_TOKEN": TOKEN}),
            ("ns_pusher", {**netsuite, "CASCADE_ADMIN_TOKEN": TOKEN}),
        ]
    )
    inputs = {**INPUTS, "company_name": "Refused Ltd", "contact_email": "not-an-email"}
    created = await api(
        intake, "POST", "/v1/runs", json={"workflow_type": "new_customer", "inputs": inputs}
    )
    assert created.status_code == 202, created.text
    run_id = created.json()["run_id"]

    proposals: list[dict[str, Any]] = []

    async def proposed() -> bool:
        listed = await api(
            approvals, "GET", "/v1/proposals", params={"run_id": run_id, "status": "pending"}
        )
        proposals[:] = listed.json()["items"] if listed.status_code == 200 else []
        return len(proposals) == 1

    await eventually(proposed, within=60)
    detail = (await api(approvals, "GET", f"/v1/proposals/{proposals[0]['id']}")).json()
    # Before approval, the warning says what NetSuite will do with the address.
    [warning] = detail["payload"]["presentation"]["warnings"]
    assert warning["name"] == "valid_email"
    assert "400 INVALID_CONTENT" in warning["downstream"]
    approved = await api(
        approvals,
        "POST",
        f"/v1/proposals/{detail['id']}/approve",
        json={"version": detail["version"], "payload_sha256": detail["payload_sha256"]},
    )
    assert approved.status_code == 200, approved.text

    run: dict[str, Any] = {}

    async def ended() -> bool:
        run.update((await api(approvals, "GET", f"/v1/runs/{run_id}")).json())
        return run.get("status") == "partial"

    await eventually(ended, within=120)
    # A permanent refusal (ns-pusher's responses: a 400 is never retried) names its cause.
    assert run["error"].startswith("write_ns: NetSuite"), run["error"]
    assert "NetSuite refused the record as invalid (not retried" in run["error"], run["error"]
    assert "HTTP 400" in run["error"], run["error"]
    assert "INVALID_CONTENT" in run["error"]
    assert "welcome_email: skipped because write_ns failed" in run["error"]
    assert await count_rows(session_factory, Customer) == 1, "the mirror row stays"
    async with session_factory() as session:
        drafts = await session.scalars(
            select(ProposedAction).where(ProposedAction.action_type == "propose_email_to_customer")
        )
        assert drafts.all() == [], "no welcome email to a customer NetSuite refused"
