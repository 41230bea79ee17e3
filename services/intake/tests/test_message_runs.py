"""Runs asked for over Kafka: `upstream.start_upstream_run`, `event_triggers.start_event_run`
and `admin_requests.start_admin_run`, on the in-memory unit of work."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from cascade.devstack.fake_uow import FakeRunRequestWork
from cascade.intake.admin_requests import start_admin_run
from cascade.intake.event_triggers import start_event_run
from cascade.intake.upstream import RUN_NAMESPACE, start_upstream_run
from cascade.shared.consumer import RejectMessage
from cascade.shared.contract import load_contracts
from cascade.shared.envelope import Envelope
from cascade.shared.run_requests.admin import admin_key, admin_run_id
from cascade.shared.run_requests.catalog import contract_input_validator

CONTRACTS = load_contracts(Path(__file__).resolve().parents[3] / "contracts")
VALIDATE = contract_input_validator(CONTRACTS)
TOPIC = "t.workflow.requested"
INPUTS = {"company_name": "Acme", "contact_email": "ops@acme.example", "billing_address": "1 St"}
REQUEST = {"workflow_type": "new_customer", "inputs": INPUTS}
FORM = uuid.UUID("9b1f0000-0000-4000-8000-000000000001")


def message(data: dict[str, Any], key: str = "crm:42", run_id: uuid.UUID | None = None) -> Envelope:
    return Envelope(
        type="intake.requested", source="crm", run_id=run_id or uuid.uuid4(),
        idempotency_key=key, data=data,
    )  # fmt: skip


async def test_an_upstream_request_stages_the_run_its_key_names() -> None:
    uow = FakeRunRequestWork()
    await start_upstream_run(uow, message(REQUEST), VALIDATE, "t.")
    (staged,) = uow.staged_on(TOPIC)
    assert staged.run_id == uuid.uuid5(RUN_NAMESPACE, "crm:42")
    assert staged.data["started_by"] == "upstream:crm"
    assert staged.data["source"] == "crm"
    assert uow.intake_requests.rows == {}


async def test_an_invalid_upstream_request_is_dead_lettered_with_why() -> None:
    uow = FakeRunRequestWork()
    bad = {"workflow_type": "new_customer", "inputs": {**INPUTS, "company_name": ""}}
    with pytest.raises(RejectMessage, match=r"^invalid request: .*company_name"):
        await start_upstream_run(uow, message(bad), VALIDATE, "t.")
    assert uow.staged == []


async def test_an_event_starts_one_run_under_its_key() -> None:
    uow = FakeRunRequestWork()
    event = message(REQUEST, key="event:crm.customer:7")
    for _ in range(2):  # a redelivery past the inbox names the same run, staged once
        await start_event_run(uow, event, VALIDATE, "t.", "crm.customer")
    (staged,) = uow.staged_on(TOPIC)
    assert staged.run_id == event.run_id
    assert staged.data["started_by"] == "event:crm.customer"


async def test_an_event_key_reused_with_other_inputs_is_refused() -> None:
    uow = FakeRunRequestWork()
    await start_event_run(uow, message(REQUEST, key="event:k"), VALIDATE, "t.", "crm.customer")
    other = {"workflow_type": "new_customer", "inputs": {**INPUTS, "company_name": "Other"}}
    with pytest.raises(RejectMessage, match="already started a run with other inputs"):
        await start_event_run(uow, message(other, key="event:k"), VALIDATE, "t.", "crm.customer")


async def test_an_invalid_event_is_refused() -> None:
    with pytest.raises(RejectMessage, match=r"^invalid event: "):
        await start_event_run(
            FakeRunRequestWork(), message({"inputs": {}}), VALIDATE, "t.", "crm.customer"
        )


def execute(request: dict[str, Any] = REQUEST, key: str | None = None) -> Envelope:
    key = key or admin_key(FORM)
    data = {"request": request, "requested_by": "mike"}
    return message(data, key=key, run_id=admin_run_id(key))


async def test_mikes_execute_form_starts_its_run() -> None:
    uow = FakeRunRequestWork()
    await start_admin_run(uow, execute(), CONTRACTS, VALIDATE, "t.")
    (staged,) = uow.staged_on(TOPIC)
    assert staged.run_id == admin_run_id(admin_key(FORM))
    assert staged.data["started_by"] == "admin:mike"


PRICE = {
    "workflow_type": "price_changed",
    "inputs": {"item_id": "7", "pricing_tier": "gold", "new_price": "9.5",
               "effective_date": "2026-06-01"},
}  # fmt: skip
ADMIN = admin_key(FORM)
ASKED = {"request": REQUEST, "requested_by": "mike"}


@pytest.mark.parametrize(
    ("ask", "why"),
    [
        (message({"request": REQUEST}, ADMIN, admin_run_id(ADMIN)), "^invalid admin request: "),
        (message(ASKED, "crm:1", admin_run_id("crm:1")), "the key does not name this run"),
        (message(ASKED, ADMIN, uuid.uuid4()), "the key does not name this run"),
        (execute({"workflow_type": "new_customer", "inputs": {}}), "^invalid admin request: "),
        (execute(PRICE), "price_changed is not started from the Execute form"),
    ],
)
async def test_an_execute_request_that_is_not_one_is_refused(ask: Envelope, why: str) -> None:
    uow = FakeRunRequestWork()
    with pytest.raises(RejectMessage, match=why):
        await start_admin_run(uow, ask, CONTRACTS, VALIDATE, "t.")
    assert uow.staged == []


async def test_an_execute_key_reused_with_other_inputs_is_refused() -> None:
    uow = FakeRunRequestWork()
    await start_admin_run(uow, execute(), CONTRACTS, VALIDATE, "t.")
    other = {"workflow_type": "new_customer", "inputs": {**INPUTS, "company_name": "Other"}}
    with pytest.raises(RejectMessage, match=f"{ADMIN} already started a run with other inputs"):
        await start_admin_run(uow, execute(other), CONTRACTS, VALIDATE, "t.")
    assert len(uow.staged) == 1
