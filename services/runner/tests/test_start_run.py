"""`workflow.requested` (`start.start_run`) on the in-memory unit of work."""

from __future__ import annotations

from cascade.runner.start import start_run
from cascade.shared.db.models import WorkflowRun
from cascade.shared.db.statuses import ProposalStatus, RunStatus
from cascade.shared.topics import Topic, topic_name

from .fakes import INPUTS, PREFIX, RUN, FakeRunnerWork, deps, new_customer, requested


async def test_a_gated_run_is_recorded_and_its_proposal_staged() -> None:
    uow = FakeRunnerWork()
    assert await start_run(deps(), requested(), uow) is None
    run = uow.runs.rows[RUN]
    assert (run.status, run.title, run.started_by) == (
        RunStatus.AWAITING_APPROVAL,
        "Acme Tools",
        "api",
    )
    (proposal,) = uow.proposals.rows.values()
    assert (proposal.status, proposal.version, proposal.action_type) == (
        ProposalStatus.PENDING,
        1,
        "workflow_new_customer",
    )
    (staged,) = uow.staged_on(topic_name(PREFIX, Topic.PROPOSAL_STAGED))
    assert staged.data["proposal_id"] == proposal.id
    assert staged.data["payload_sha256"] == proposal.payload_sha256
    assert uow.topics() == [topic_name(PREFIX, Topic.PROPOSAL_STAGED)]
    assert not uow.committed  # the consumer commits, with its inbox claim


async def test_a_replay_of_a_recorded_run_changes_nothing() -> None:
    uow = FakeRunnerWork()
    existing = WorkflowRun(run_id=RUN, workflow_type="new_customer", status=RunStatus.RUNNING)
    uow.runs.rows[RUN] = existing
    assert await start_run(deps(), requested(), uow) is None
    assert uow.runs.rows[RUN] is existing
    assert existing.status == RunStatus.RUNNING
    assert uow.staged == []
    assert uow.proposals.rows == {}


async def test_a_run_below_the_risk_gate_starts_its_steps_at_once() -> None:
    uow = FakeRunnerWork()
    await start_run(deps(new_customer(approval=False)), requested(), uow)
    assert uow.runs.rows[RUN].status == RunStatus.RUNNING
    steps = uow.runs.step_rows[RUN]
    assert steps["write_d1"].status == "done"
    assert steps["write_d1"].output == {"customer_id": 7}
    assert steps["assign_programs"].status == "done"
    assert steps["write_ns"].status == "awaiting_result"
    (push,) = uow.pushes.rows.values()
    assert (push.record_type, push.external_id) == ("customer", f"cascade-customer-{RUN}")
    (ns_push,) = uow.staged_on(topic_name(PREFIX, Topic.NS_PUSH))
    assert ns_push.data["push_id"] == push.id
    assert uow.proposals.rows == {}


async def test_a_blocking_precondition_ends_the_run_blocked() -> None:
    uow = FakeRunnerWork()
    await start_run(deps(existing_by_name=[{"id": 1, "companyname": "Acme"}]), requested(), uow)
    run = uow.runs.rows[RUN]
    assert run.status == RunStatus.BLOCKED
    assert run.error == "blocked by precondition no_duplicate"
    (ended,) = uow.staged_on(topic_name(PREFIX, Topic.WORKFLOW_FAILED))
    assert ended.data["failed_rules"] == ["no_duplicate"]
    assert [e.idempotency_key for e in uow.events.added] == [ended.idempotency_key]
    assert [log.status for log in uow.run_logs.added] == [RunStatus.BLOCKED]
    assert uow.proposals.rows == {}


async def test_invalid_inputs_fail_the_run_with_each_problem() -> None:
    uow = FakeRunnerWork()
    await start_run(deps(), requested({**INPUTS, "pricing_tier": "diamond"}), uow)
    run = uow.runs.rows[RUN]
    assert run.status == RunStatus.FAILED
    assert str(run.error).startswith("invalid inputs: inputs.pricing_tier")
    (line,) = uow.run_logs.added
    assert [e["field"] for e in line.summary_json["input_errors"]] == ["inputs.pricing_tier"]
    assert uow.topics() == [topic_name(PREFIX, Topic.WORKFLOW_FAILED)]


async def test_an_unknown_workflow_type_fails_the_run() -> None:
    uow = FakeRunnerWork()
    await start_run(deps(), requested(workflow_type="gone"), uow)
    run = uow.runs.rows[RUN]
    assert (run.status, run.error) == (RunStatus.FAILED, "unknown workflow type 'gone'")
    (ended,) = uow.staged_on(topic_name(PREFIX, Topic.WORKFLOW_FAILED))
    assert ended.idempotency_key == f"gone:{RUN}"
