"""The one door every run comes in by (`run_requests.staging`), on the in-memory unit of work."""

from __future__ import annotations

import uuid

import pytest

from cascade.devstack.fake_uow import FakeRunRequestWork
from cascade.shared.run_requests.staging import IdempotencyConflict, accept_run, stage_run
from cascade.shared.run_requests.validation import RunRequest

REQUEST = RunRequest(workflow_type="new_customer", inputs={"company_name": "Acme"})
TOPIC = "t.workflow.requested"


async def test_a_request_is_staged_once_under_its_key() -> None:
    uow = FakeRunRequestWork()
    accepted = await accept_run(uow, REQUEST, "k-1", "t.", "api")
    assert not accepted.replayed
    (staged,) = uow.staged_on(TOPIC)
    assert staged.run_id == accepted.run_id
    assert staged.data["client_idempotency_key"] == "k-1"
    assert staged.data["started_by"] == "api"
    assert uow.intake_requests.rows["k-1"].run_id == accepted.run_id
    assert uow.committed


async def test_the_same_request_again_returns_its_first_run_and_stages_nothing() -> None:
    uow = FakeRunRequestWork()
    first = await accept_run(uow, REQUEST, "k-1", "t.", "api")
    uow.staged.clear()
    uow.committed = False
    again = await accept_run(uow, REQUEST, "k-1", "t.", "form:sales")
    assert (again.run_id, again.replayed) == (first.run_id, True)
    assert uow.staged == []
    assert not uow.committed


async def test_a_key_used_for_another_request_is_a_conflict() -> None:
    uow = FakeRunRequestWork()
    await accept_run(uow, REQUEST, "k-1", "t.", "api")
    other = RunRequest(workflow_type="new_customer", inputs={"company_name": "Other"})
    with pytest.raises(IdempotencyConflict):
        await stage_run(uow, other, "k-1", "t.", "api")
    assert len(uow.staged) == 1


async def test_without_a_key_every_request_is_a_new_run_in_the_callers_transaction() -> None:
    uow = FakeRunRequestWork()
    run_id = uuid.UUID("1d2e0000-0000-4000-8000-000000000001")
    accepted = await stage_run(uow, REQUEST, None, "t.", "cron:x", run_id=run_id)
    assert accepted.run_id == run_id
    assert uow.intake_requests.rows == {}
    assert [e.run_id for e in uow.staged_on(TOPIC)] == [run_id]
    assert not uow.committed  # the caller commits, with what else it claimed
