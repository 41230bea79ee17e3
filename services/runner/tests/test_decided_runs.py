"""Mike's decision on a gated run (`decisions.py`), an ignored event (`ignoring.py`) and an
expired proposal (`expiry.expire`), on the in-memory unit of work."""

from __future__ import annotations

from cascade.runner.agreement import Disagreement
from cascade.runner.decisions import on_approved, on_rejected
from cascade.runner.expiry import expire
from cascade.runner.ignoring import ignore_disagreement
from cascade.shared.db.statuses import ProposalStatus, RunStatus
from cascade.shared.topics import Topic, topic_name

from .fakes import NOW, PREFIX, RUN, FakeRunnerWork, awaiting_approval, decide, deps

FAILED = topic_name(PREFIX, Topic.WORKFLOW_FAILED)


async def test_an_approval_starts_the_fan_out_in_the_same_transaction() -> None:
    uow, runner = FakeRunnerWork(), deps()
    proposal = await awaiting_approval(uow, runner)
    assert await on_approved(runner, decide(proposal, "approved"), uow) is None
    run = uow.runs.rows[RUN]
    assert (run.status, run.started_at) == (RunStatus.RUNNING, NOW)
    steps = uow.runs.step_rows[RUN]
    assert {k: s.status for k, s in steps.items()} == {
        "write_d1": "done",
        "write_ns": "awaiting_result",
        "assign_programs": "done",
        "welcome_email": "waiting_needs",
        "first_quote_context": "waiting_needs",
    }
    assert uow.topics() == [topic_name(PREFIX, Topic.NS_PUSH)]
    assert runner.context.loads == 2  # type: ignore[attr-defined]  # the blocking rules again


async def test_a_replayed_approval_changes_nothing() -> None:
    uow, runner = FakeRunnerWork(), deps()
    proposal = await awaiting_approval(uow, runner)
    approved = decide(proposal, "approved")
    await on_approved(runner, approved, uow)
    staged, steps = list(uow.staged), dict(uow.runs.step_rows[RUN])
    assert await on_approved(runner, approved, uow) is None
    assert uow.staged == staged
    assert uow.runs.step_rows[RUN] == steps


async def test_an_approval_the_proposal_row_contradicts_is_a_disagreement() -> None:
    uow, runner = FakeRunnerWork(), deps()
    proposal = await awaiting_approval(uow, runner)
    forged = decide(proposal, "approved")
    proposal.status = ProposalStatus.PENDING  # the database never saw that approval
    found = await on_approved(runner, forged, uow)
    assert isinstance(found, Disagreement)
    assert "is pending in the database" in found.detail
    assert uow.runs.rows[RUN].status == RunStatus.AWAITING_APPROVAL
    assert uow.staged == []


async def test_a_stored_payload_that_lost_its_hash_fails_the_run() -> None:
    uow, runner = FakeRunnerWork(), deps()
    proposal = await awaiting_approval(uow, runner)
    approved = decide(proposal, "approved")
    proposal.payload = {**proposal.payload, "credit_limit": "999999"}
    assert await on_approved(runner, approved, uow) is None
    run = uow.runs.rows[RUN]
    assert (run.status, run.error) == (
        RunStatus.FAILED,
        "the stored payload no longer matches its hash",
    )
    assert uow.topics() == [FAILED]
    assert RUN not in uow.runs.step_rows


async def test_a_duplicate_created_while_waiting_blocks_the_run_at_approval() -> None:
    uow, runner = FakeRunnerWork(), deps()
    proposal = await awaiting_approval(uow, runner)
    runner.context.values["existing_by_email"] = [{"id": 9, "companyname": "Acme"}]  # type: ignore[attr-defined]
    await on_approved(runner, decide(proposal, "approved"), uow)
    run = uow.runs.rows[RUN]
    assert run.status == RunStatus.BLOCKED
    assert run.error == "blocked at approval by precondition no_duplicate"
    (ended,) = uow.staged_on(FAILED)
    assert ended.data["failed_rules"] == ["no_duplicate"]


async def test_a_rejection_ends_the_run_with_who_and_why_from_the_row() -> None:
    uow, runner = FakeRunnerWork(), deps()
    proposal = await awaiting_approval(uow, runner)
    assert await on_rejected(runner, decide(proposal, "rejected", "dup"), uow) is None
    run = uow.runs.rows[RUN]
    assert (run.status, run.error) == (RunStatus.REJECTED, "rejected by mike: dup")
    assert uow.topics() == [FAILED]
    assert [line.status for line in uow.run_logs.added] == [RunStatus.REJECTED]


async def test_a_replayed_rejection_changes_nothing() -> None:
    uow, runner = FakeRunnerWork(), deps()
    proposal = await awaiting_approval(uow, runner)
    rejected = decide(proposal, "rejected")
    await on_rejected(runner, rejected, uow)
    uow.staged.clear()
    assert await on_rejected(runner, rejected, uow) is None
    assert uow.staged == []
    assert len(uow.run_logs.added) == 1


async def test_an_ignored_event_frees_its_key_and_alerts_once() -> None:
    uow = FakeRunnerWork()
    proposal = await awaiting_approval(uow, deps())
    forged = decide(proposal, "approved")
    uow.inbox.claimed.add(("runner.proposal_approved", forged.idempotency_key))
    why = Disagreement("proposal 1 is pending in the database, not approved")
    for _ in range(2):  # the same record, redelivered
        await ignore_disagreement(
            uow, PREFIX, "runner.proposal_approved", "proposal.approved", forged, why
        )
    assert ("runner.proposal_approved", forged.idempotency_key) not in uow.inbox.claimed
    (alert,) = uow.staged_on(topic_name(PREFIX, Topic.WORKFLOW_ALERT))
    assert alert.data["reason"] == "event_disagrees_with_database"
    assert alert.data["context"]["idempotency_key"] == forged.idempotency_key


async def test_an_overdue_proposal_expires_with_its_run_and_an_alert() -> None:
    uow, runner = FakeRunnerWork(), deps()
    proposal = await awaiting_approval(uow, runner)
    await expire(runner, uow, proposal.id, RUN)
    assert (proposal.status, proposal.decided_at) == (ProposalStatus.EXPIRED, NOW)
    assert uow.runs.rows[RUN].status == RunStatus.EXPIRED
    assert uow.topics() == [FAILED, topic_name(PREFIX, Topic.WORKFLOW_ALERT)]
    assert uow.committed


async def test_a_proposal_decided_before_the_sweep_does_not_expire() -> None:
    uow, runner = FakeRunnerWork(), deps()
    proposal = await awaiting_approval(uow, runner)
    proposal.status = ProposalStatus.APPROVED
    await expire(runner, uow, proposal.id, RUN)
    assert uow.runs.rows[RUN].status == RunStatus.AWAITING_APPROVAL
    assert uow.staged == []
    assert not uow.committed
