"""The Execute form's start (`run_starts.start_run`), a dead letter's redrive
(`dlq_redrive.redrive`), a push's retry (`push_retry.request_retry`) and correction
(`push_corrections.propose_correction`), on the in-memory unit of work."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from cascade.approvals.dlq_redrive import (
    REDRIVEN_FROM_HEADER,
    AlreadyRedriven,
    RedriveNotFound,
    RedriveRequest,
    redrive,
)
from cascade.approvals.push_corrections import (
    CorrectionInvalid,
    CorrectionRefused,
    CorrectionRequest,
    propose_correction,
)
from cascade.approvals.push_retry import RetryRefused, RetryRequest, request_retry
from cascade.approvals.run_starts import FormAlreadyUsed, StartRequest, start_run
from cascade.shared.canonical import sha256_of
from cascade.shared.contract import load_contract
from cascade.shared.db.models import DeadLetter, NsPendingPush, ProposedAction
from cascade.shared.push_corrections import PROPOSED
from cascade.shared.run_requests.admin import admin_key, admin_run_id
from cascade.shared.run_requests.validation import RunRequest

from .fakes import NOW, FakeApprovalsWork

RUN = uuid.UUID("a9900000-0000-4000-8000-000000000002")
CONTRACT = load_contract(Path(__file__).resolve().parents[3] / "contracts/new_customer.yaml")
FORM = uuid.UUID("0c3d0000-0000-4000-8000-000000000001")
REQUEST = RunRequest(workflow_type="new_customer", inputs={"company_name": "Acme"})


def start(request: RunRequest = REQUEST) -> StartRequest:
    return StartRequest(FORM, CONTRACT, request, "mike", "10.0.0.1")


async def test_the_execute_form_audits_the_start_and_asks_intake_for_the_run() -> None:
    uow = FakeApprovalsWork()
    started = await start_run(uow, start(), "t.")
    assert (started.run_id, started.replayed) == (admin_run_id(admin_key(FORM)), False)
    (audit,) = uow.run_starts.rows
    assert (audit.decision, audit.reason) == ("run_started", "New customer onboard (new_customer)")
    (asked,) = uow.staged_on("t.intake.admin_requested")
    assert asked.idempotency_key == admin_key(FORM)
    assert asked.data == {"request": REQUEST.model_dump(), "requested_by": "mike"}
    assert uow.committed


async def test_the_same_form_sent_again_starts_nothing_more() -> None:
    uow = FakeApprovalsWork()
    await start_run(uow, start(), "t.")
    uow.staged.clear()
    uow.committed = False
    again = await start_run(uow, start(), "t.")
    assert again.replayed
    assert (uow.staged, uow.committed) == ([], False)


async def test_the_same_form_with_other_values_is_refused() -> None:
    uow = FakeApprovalsWork()
    await start_run(uow, start(), "t.")
    other = RunRequest(workflow_type="new_customer", inputs={"company_name": "Other"})
    with pytest.raises(FormAlreadyUsed):
        await start_run(uow, start(other), "t.")
    assert len(uow.run_starts.rows) == 1


def dead_letter(uow: FakeApprovalsWork) -> DeadLetter:
    letter = DeadLetter(
        id=5, consumer="runner.workflow_requested", message_ref="t.workflow.requested:0:9",
        topic="t.workflow.requested", key=str(RUN), payload=b"{}",
        headers={"ce_type": "workflow.requested"}, redriven_at=None, redriven_by=None,
    )  # fmt: skip
    uow.dead_letters.rows[5] = letter
    return letter


async def test_a_dead_letter_is_redriven_once_byte_for_byte_and_audited() -> None:
    uow = FakeApprovalsWork()
    letter = dead_letter(uow)
    done = await redrive(uow, RedriveRequest(5, "ops", None, "fixed the contract"))
    (record,) = uow.dead_letters.records
    assert record == (
        "t.workflow.requested",
        b"{}",
        str(RUN),
        {"ce_type": "workflow.requested", REDRIVEN_FROM_HEADER: "5"},
    )
    assert (done.outbox_id, letter.redrive_outbox_id, letter.redriven_by) == (101, 101, "ops")
    (audit,) = uow.audits.added
    assert (audit.decision, audit.run_id) == ("dlq_redriven", RUN)
    assert audit.reason is not None
    assert audit.reason.endswith("as outbox row 101: fixed the contract")
    assert uow.committed


async def test_a_second_redrive_is_refused_and_names_the_first() -> None:
    uow = FakeApprovalsWork()
    dead_letter(uow)
    await redrive(uow, RedriveRequest(5, "ops", None))
    with pytest.raises(AlreadyRedriven) as refused:
        await redrive(uow, RedriveRequest(5, "someone", None))
    assert (refused.value.at, refused.value.by) == (NOW, "ops")
    assert len(uow.dead_letters.records) == 1
    with pytest.raises(RedriveNotFound):
        await redrive(uow, RedriveRequest(6, "ops", None))


REFUSED = "HTTP 400 Bad Request: INVALID_CONTENT: bad email (at email)"


def failed_push(uow: FakeApprovalsWork, last_error: str = REFUSED) -> NsPendingPush:
    """Push 4 of run RUN, failed; the run's gate proposal 1."""
    uow.proposals.rows[1] = ProposedAction(
        id=1, run_id=RUN, action_type="workflow_new_customer", approver="mike",
        status="approved", payload={}, payload_sha256=sha256_of({}), version=1,
    )  # fmt: skip
    push = NsPendingPush(
        id=4, run_id=RUN, record_type="customer", external_id="cust-1", status="failed",
        payload={"externalId": "cust-1", "email": "not-an-email"}, last_error=last_error,
    )  # fmt: skip
    uow.pushes.rows[4] = push
    return push


async def test_a_retry_of_a_failed_push_is_asked_of_ns_pusher_and_audited() -> None:
    uow = FakeApprovalsWork()
    failed_push(uow)
    await request_retry(uow, RetryRequest(RUN, 4, "mike", None), "t.")
    (audit,) = uow.audits.added
    assert (audit.proposal_id, audit.decision) == (1, "ns_push_retry_requested")
    (asked,) = uow.staged_on("t.ns.push.retry_requested")
    assert asked.data == {"push_id": 4, "requested_by": "mike"}
    assert uow.committed


async def test_every_retry_request_is_its_own_event() -> None:
    uow = FakeApprovalsWork()
    failed_push(uow)
    for _ in range(2):
        await request_retry(uow, RetryRequest(RUN, 4, "mike", None), "t.")
    first, second = uow.staged_on("t.ns.push.retry_requested")
    assert first.idempotency_key != second.idempotency_key


async def test_a_retry_is_refused_for_another_runs_push_a_live_push_or_no_gate() -> None:
    uow = FakeApprovalsWork()
    push = failed_push(uow)
    with pytest.raises(RetryRefused, match="has no push 4"):
        await request_retry(uow, RetryRequest(uuid.uuid4(), 4, "mike", None), "t.")
    push.status = "pending"
    with pytest.raises(RetryRefused, match="only a failed push retries"):
        await request_retry(uow, RetryRequest(RUN, 4, "mike", None), "t.")
    push.status = "failed"
    uow.proposals.rows.clear()
    with pytest.raises(RetryRefused, match="no proposal to audit the retry under"):
        await request_retry(uow, RetryRequest(RUN, 4, "mike", None), "t.")
    assert (uow.staged, uow.audits.added) == ([], [])


def correct(push: NsPendingPush, email: str = "ops@acme.example") -> CorrectionRequest:
    return CorrectionRequest(RUN, push.id, sha256_of(push.payload), {"email": email}, "mike", None)


async def test_a_correction_is_staged_as_a_pending_proposal_with_its_audit_row() -> None:
    uow = FakeApprovalsWork()
    push = failed_push(uow)
    proposal_id = await propose_correction(uow, correct(push))
    proposal = uow.proposals.rows[proposal_id]
    assert (proposal.action_type, proposal.status, proposal.approver) == (
        "correct_ns_push:4:1",
        "pending",
        "mike",
    )
    assert proposal.payload["body"]["email"] == "ops@acme.example"
    assert proposal.payload_sha256 == sha256_of(proposal.payload)
    (audit,) = uow.audits.added
    assert (audit.proposal_id, audit.decision) == (proposal_id, PROPOSED)
    assert push.payload["email"] == "not-an-email"  # nothing is pushed here
    assert uow.committed


async def test_a_correction_already_waiting_is_the_one_returned() -> None:
    uow = FakeApprovalsWork()
    push = failed_push(uow)
    first = await propose_correction(uow, correct(push))
    uow.committed = False
    assert await propose_correction(uow, correct(push, "other@acme.example")) == first
    assert (len(uow.audits.added), uow.committed) == (1, False)


async def test_a_correction_is_refused_for_a_changed_or_uncorrectable_push() -> None:
    uow = FakeApprovalsWork()
    push = failed_push(uow, last_error="HTTP 503 Service Unavailable")
    with pytest.raises(CorrectionRefused, match="editing cannot fix"):
        await propose_correction(uow, correct(push))
    push.last_error = REFUSED
    stale = correct(push)
    push.payload = {**push.payload, "phone": "1"}
    with pytest.raises(CorrectionRefused, match="changed since you opened the form"):
        await propose_correction(uow, stale)
    with pytest.raises(CorrectionInvalid):
        await propose_correction(uow, correct(push, "not an address"))
    assert uow.audits.added == []
