"""Repairs of failed checks (`repairs.py`): staged, decided, run, re-verified; in memory."""

from __future__ import annotations

from datetime import timedelta

from cascade.runner.agreement import Disagreement
from cascade.runner.decisions import on_approved, on_rejected
from cascade.runner.object_jobs import ClaimedObject
from cascade.runner.repairs import object_repaired, on_verify_result
from cascade.shared.db.models import ObjectPut, ProposedAction, VerifyResult, WorkflowRun
from cascade.shared.db.statuses import ObjectPutStatus, RepairStatus, RunStatus
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.leased_jobs import JobStep
from cascade.shared.payloads import VerifyResultEvent
from cascade.shared.topics import Topic, topic_name
from cascade.shared.verify_rounds import result_key_suffix

from .fakes import NOW, PREFIX, RUN, FakeRunnerWork, decide, deps

CHECK = "first_quote_context_stored"
KEY = "customers/x/first-quote-context/v1.json"
SPEC = {"kind": "object", "key": KEY, "sha256": "ab" * 32, "schema_version": 1}
DETAIL = {"reason": f"object {KEY} is missing from the object store", "key": KEY, "attempt": 3}
ALERT = topic_name(PREFIX, Topic.WORKFLOW_ALERT)


def completed_run(uow: FakeRunnerWork, put_status: str = ObjectPutStatus.STORED) -> None:
    """Run RUN completed; its object check failed its first round; its object as given."""
    uow.runs.rows[RUN] = WorkflowRun(
        run_id=RUN, workflow_type="new_customer", status=RunStatus.COMPLETED, title="Acme Tools"
    )
    uow.checks.add(
        VerifyResult(
            run_id=RUN, check_name=CHECK, kind="object", status="fail", round=0, attempts=3,
            spec=SPEC, detail=DETAIL,
        )
    )  # fmt: skip
    uow.object_puts.rows[1] = ObjectPut(
        id=1, run_id=RUN, step_id="first_quote_context", object_key=KEY, status=put_status
    )


def verify_result(status: str, round_number: int = 0) -> Envelope:
    data = VerifyResultEvent(
        check_name=CHECK, kind="object", status=status, attempts=3, reason="r", round=round_number
    ).model_dump(mode="json")
    key = result_key_suffix(CHECK, round_number)
    return new_envelope(Topic.VERIFY_RESULT, "cascade.verifier", RUN, data, key_suffix=key)


async def proposed(uow: FakeRunnerWork) -> ProposedAction:
    """The failed round's repair, staged as a proposal; the proposal."""
    completed_run(uow)
    assert await on_verify_result(deps(), verify_result("fail"), uow) is None
    (proposal,) = uow.proposals.rows.values()
    uow.staged.clear()
    return proposal  # type: ignore[no-any-return]


async def test_a_failed_check_with_a_repair_is_proposed_to_the_approver() -> None:
    uow = FakeRunnerWork()
    proposal = await proposed(uow)
    (repair,) = uow.repairs.rows.values()
    assert (repair.status, repair.proposal_id, repair.rerun) == (
        RepairStatus.PROPOSED,
        proposal.id,
        ["first_quote_context"],
    )
    assert proposal.action_type == f"repair_check:{CHECK}:0"
    assert uow.runs.rows[RUN].status == RunStatus.COMPLETED  # the run stays as it ended


async def test_a_redelivered_failure_stages_no_second_repair() -> None:
    uow = FakeRunnerWork()
    await proposed(uow)
    assert await on_verify_result(deps(), verify_result("fail"), uow) is None
    assert len(uow.repairs.rows) == 1
    assert len(uow.proposals.rows) == 1
    assert uow.staged == []


async def test_a_result_the_check_row_contradicts_is_a_disagreement() -> None:
    uow = FakeRunnerWork()
    completed_run(uow)
    found = await on_verify_result(deps(), verify_result("pass"), uow)
    assert isinstance(found, Disagreement)
    assert uow.repairs.rows == {}


async def test_an_approved_repair_queues_its_object_again() -> None:
    uow = FakeRunnerWork()
    proposal = await proposed(uow)
    assert await on_approved(deps(), decide(proposal, "approved"), uow) is None
    (repair,) = uow.repairs.rows.values()
    assert (repair.status, repair.updated_at) == (RepairStatus.RUNNING, NOW)
    put = uow.object_puts.rows[1]
    assert (put.status, put.repair_id) == (ObjectPutStatus.QUEUED, repair.id)


async def test_an_approved_repair_without_a_finished_object_fails_with_an_alert() -> None:
    uow = FakeRunnerWork()
    proposal = await proposed(uow)
    uow.object_puts.rows[1].status = ObjectPutStatus.PUTTING
    await on_approved(deps(), decide(proposal, "approved"), uow)
    (repair,) = uow.repairs.rows.values()
    assert repair.status == RepairStatus.FAILED
    assert repair.error == "step first_quote_context has no finished object to write again"
    (alert,) = uow.staged_on(ALERT)
    assert alert.idempotency_key.endswith(f"repair:{CHECK}:0")


async def test_a_rejected_repair_is_recorded_and_nothing_runs() -> None:
    uow = FakeRunnerWork()
    proposal = await proposed(uow)
    assert await on_rejected(deps(), decide(proposal, "rejected", "not now"), uow) is None
    (repair,) = uow.repairs.rows.values()
    assert (repair.status, repair.error) == (RepairStatus.REJECTED, "rejected by mike: not now")
    assert uow.object_puts.rows[1].status == ObjectPutStatus.STORED


async def test_a_repair_decided_twice_runs_once() -> None:
    uow = FakeRunnerWork()
    proposal = await proposed(uow)
    approved = decide(proposal, "approved")
    await on_approved(deps(), approved, uow)
    uow.object_puts.rows[1].status = ObjectPutStatus.STORED
    assert await on_approved(deps(), approved, uow) is None
    assert uow.object_puts.rows[1].status == ObjectPutStatus.STORED


async def test_a_repair_decided_by_someone_else_is_a_disagreement() -> None:
    uow = FakeRunnerWork()
    proposal = await proposed(uow)
    approved = decide(proposal, "approved")
    proposal.decided_by = "mallory"
    found = await on_approved(deps(), approved, uow)
    assert isinstance(found, Disagreement)
    assert next(iter(uow.repairs.rows.values())).status == RepairStatus.PROPOSED


def claimed_put(repair_id: int) -> ClaimedObject:
    return ClaimedObject(
        job_id=1, attempt=1, lease_until=NOW + timedelta(minutes=1), run_id=RUN,
        step_id="first_quote_context", object_key=KEY, sha256="ab" * 32, body=b"{}",
        content_type="application/json", repair_id=repair_id,
    )  # fmt: skip


async def test_once_its_objects_are_stored_the_repair_is_done_and_the_check_reverified() -> None:
    uow = FakeRunnerWork()
    proposal = await proposed(uow)
    await on_approved(deps(), decide(proposal, "approved"), uow)
    (repair,) = uow.repairs.rows.values()
    uow.object_puts.rows[1].status = ObjectPutStatus.STORED
    run = uow.runs.rows[RUN]
    await object_repaired(deps(), uow, run, claimed_put(repair.id), JobStep("done"))
    assert repair.status == RepairStatus.DONE
    (check,) = uow.checks.added
    assert (check.status, check.round) == ("pending", 1)
    # The next round's result is recorded on the repair.
    check.status = "pass"
    assert await on_verify_result(deps(), verify_result("pass", 1), uow) is None
    assert repair.verified == "pass"


async def test_an_object_that_could_not_be_stored_fails_the_repair() -> None:
    uow = FakeRunnerWork()
    proposal = await proposed(uow)
    await on_approved(deps(), decide(proposal, "approved"), uow)
    (repair,) = uow.repairs.rows.values()
    run = uow.runs.rows[RUN]
    await object_repaired(deps(), uow, run, claimed_put(repair.id), JobStep("failed", "403"))
    assert repair.status == RepairStatus.FAILED
    assert repair.error == f"object {KEY} was not stored: 403"
    assert len(uow.staged_on(ALERT)) == 1
