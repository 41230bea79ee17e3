"""Pure parts of the run page: the one history, what failed and why, the graph's states, and
the correction form's rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cascade.approvals import fmt
from cascade.approvals.push_corrections import (
    CorrectionInvalid,
    correctable_problem,
    corrected_body,
    editable_fields,
    value_problem,
)
from cascade.approvals.push_failures import explain
from cascade.approvals.queries import RunBundle
from cascade.approvals.run_graph import node_states
from cascade.approvals.run_problems import run_problems
from cascade.approvals.timeline import run_timeline
from cascade.shared.contract import load_contracts
from cascade.shared.db.models import (
    ApprovalAudit,
    DeadLetter,
    EmailJob,
    EventRecord,
    NsPendingPush,
    ProposedAction,
    VerifyResult,
    WorkflowRun,
    WorkflowRunLog,
    WorkflowRunStep,
)

REPO = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RUN = uuid.UUID("00000000-0000-0000-0000-0000000000aa")
REFUSED = (
    "HTTP 400 Bad Request: INVALID_CONTENT: Error while accessing resource: You have entered "
    "an Invalid Field Value not-an-email for the following field: email (at email)"
)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def push(status: str = "failed", error: str | None = REFUSED, **kw: Any) -> NsPendingPush:
    return NsPendingPush(
        id=7, run_id=RUN, record_type="customer", external_id="cust-1",
        payload={"externalId": "cust-1", "companyName": "Acme", "email": "not-an-email"},
        status=status, attempts=1, last_error=error, created_at=at(3), updated_at=at(4), **kw,
    )  # fmt: skip


def partial_run(**extra: Any) -> RunBundle:
    """A run whose NetSuite push NetSuite refused: the story of issue 11."""
    run = WorkflowRun(
        run_id=RUN, workflow_type="new_customer", status="partial", source="sales_intake_form",
        inputs={}, context={"existing_by_name": [], "default_terms": 1}, requested_at=at(0),
        started_at=at(0.1), completed_at=at(5), error="step write_ns failed", title="Acme",
    )  # fmt: skip
    gate = ProposedAction(
        id=11, run_id=RUN, action_type="workflow_new_customer", approver="mike",
        status="approved", decided_by="mike", decided_at=at(2), created_at=at(0.2),
        payload={"preconditions": [
            {"name": "no_duplicate", "severity": "block", "passed": True, "message": "dup"},
            {"name": "valid_email", "severity": "warn", "passed": False, "message": "bad email"},
        ]},
    )  # fmt: skip
    steps = [
        WorkflowRunStep(run_id=RUN, step_id="write_d1", status="done", attempts=1,
                        started_at=at(2.1), finished_at=at(2.2)),
        WorkflowRunStep(run_id=RUN, step_id="write_ns", status="failed", attempts=1,
                        last_error=REFUSED, output={"push_id": 7}, started_at=at(2.3),
                        finished_at=at(4)),
    ]  # fmt: skip
    audit = [
        ApprovalAudit(id=1, proposal_id=11, run_id=RUN, decision="approved", actor="mike",
                      version=1, payload_sha256="h", reason="looks fine", created_at=at(2)),
    ]  # fmt: skip
    events = [
        EventRecord(type="workflow.alert", run_id=RUN, idempotency_key="r",
                    data={"reason": "approval_overdue", "detail": "waited"}, created_at=at(1.5)),
        EventRecord(type="workflow.partial", run_id=RUN, idempotency_key="e",
                    data={"status": "partial", "reason": "step write_ns failed"},
                    created_at=at(5)),
    ]  # fmt: skip
    log = WorkflowRunLog(run_id=RUN, status="partial", completed_at=at(5), summary_json={})
    fields: dict[str, Any] = {
        "run": run, "steps": steps, "proposals": [gate], "events": events, "pushes": [push()],
        "verify_results": [], "run_log": log, "reflexion": None, "audit": audit,
    }  # fmt: skip
    return RunBundle(**{**fields, **extra})


def test_the_history_is_one_ordered_list_of_everything() -> None:
    titles = [e.title for e in run_timeline(partial_run())]
    assert titles[0] == "Submitted"
    for expected in ("Context loaded", "Precondition no_duplicate passed",
                     "Precondition valid_email failed (warn)", "Proposal staged", "Reminded",
                     "Approved", "Step write_d1 started", "Step write_d1 done",
                     "NetSuite push #7 failed", "Step write_ns failed", "Run ended partial",
                     "Completion event: partial"):  # fmt: skip
        assert expected in titles, expected
    assert titles.index("Reminded") < titles.index("Approved") < titles.index("Step write_d1 done")
    entries = run_timeline(partial_run())
    assert [e.at for e in entries] == sorted(e.at for e in entries if e.at is not None)


def test_the_history_names_who_approved_with_the_comment() -> None:
    approved = next(e for e in run_timeline(partial_run()) if e.title == "Approved")
    assert "by mike" in approved.detail
    assert "“looks fine”" in approved.detail
    assert approved.href == "/proposals/11"
    assert approved.tone == "ok"


def test_the_history_shows_emails_checks_and_dead_letters() -> None:
    email = EmailJob(proposal_id=12, run_id=RUN, recipient="a@b.example", message_id="<m>",
                     status="failed", attempts=3, last_error="550 no", created_at=at(6),
                     updated_at=at(7))  # fmt: skip
    check = VerifyResult(run_id=RUN, check_name="customer_persisted", kind="sql", status="pass",
                         detail={"reason": "1 row"}, executed_at=at(8), created_at=at(5),
                         due_at=at(6))  # fmt: skip
    letter = DeadLetter(consumer="runner.ns_push_result", topic="ns.push.result", key=str(RUN),
                        payload=b'{"type": "ns.push.result"}', error="boom", attempts=5,
                        created_at=at(9))  # fmt: skip
    b = partial_run(emails=[email], verify_results=[check], dead_letters=[letter])
    titles = [e.title for e in run_timeline(b)]
    assert titles[-3:] == [
        "Email failed",
        "Check customer_persisted: pass",
        "Message dead-lettered",
    ]
    dead = run_timeline(b)[-1]
    assert "ns.push.result" in dead.detail
    assert "boom" in dead.detail
    assert dead.tone == "fail"


def test_a_netsuite_refusal_is_told_in_plain_words() -> None:
    failure = explain("customer", REFUSED)
    assert failure.correctable
    assert failure.field == "email"
    assert failure.sentence == (
        "NetSuite refused the customer: 400 INVALID_CONTENT on email — the address is not valid"
    )
    assert not explain("customer", "HTTP 503: down").correctable
    assert not explain("customer", "timed out after 1.0s").correctable


def test_a_partial_run_says_which_effect_failed_and_offers_the_correction() -> None:
    problems = run_problems(partial_run())
    assert len(problems) == 1, "the failed step is told once, by its push"
    only = problems[0]
    assert only.correctable
    assert only.push_id == 7
    assert "INVALID_CONTENT on email" in only.sentence
    assert "Correct email and re-push" in only.action


def test_a_corrected_and_applied_push_is_shown_as_fixed() -> None:
    correction = ProposedAction(id=20, run_id=RUN, action_type="correct_ns_push:7:1",
                                status="approved", payload={}, created_at=at(6))  # fmt: skip
    applied = push("applied", None, netsuite_id="901", applied_at=at(7))
    b = partial_run(pushes=[applied])
    b = RunBundle(**{**b.__dict__, "proposals": [*b.proposals, correction]})
    [fixed] = run_problems(b)
    assert fixed.resolved
    assert "corrected (proposal #20) and applied" in fixed.sentence
    contract = load_contracts(REPO / "contracts")["new_customer"]
    write_ns = node_states(b, contract)["step:write_ns"]
    assert write_ns.status == "failed", "the run keeps its history"
    assert write_ns.note == "push corrected, now applied"
    titles = [e.title for e in run_timeline(b)]
    assert "Push correction staged" in titles
    assert "NetSuite confirmed push #7" in titles


def test_the_graph_states_cover_all_six_lanes() -> None:
    contract = load_contracts(REPO / "contracts")["new_customer"]
    states = node_states(partial_run(), contract)
    assert states["trigger"].status == "done"
    assert states["context:existing_by_name"].status == "done"
    assert states["context:existing_by_email"].status == "pending"
    assert states["rule:no_duplicate"].status == "done"
    assert states["rule:valid_email"].status == "warned"
    assert states["hitl"].status == "done"
    assert "mike" in states["hitl"].note
    assert states["step:write_d1"].status == "done"
    assert states["step:write_ns"].status == "failed"
    assert states["step:assign_programs"].status == "pending"
    assert states["post:log_run"].status == "done"
    assert states["post:event"].status == "done"
    assert states["post:reflexion"].status == "pending"
    assert all(states[f"verify:{c.name}"].status == "pending" for c in contract.verify)


def test_unknown_statuses_never_reach_the_graph() -> None:
    contract = load_contracts(REPO / "contracts")["new_customer"]
    odd = WorkflowRunStep(run_id=RUN, step_id="write_d1", status="st-x}</style>", attempts=0)
    states = node_states(partial_run(steps=[odd]), contract)
    assert states["step:write_d1"].status == "pending"


def test_the_correction_form_puts_the_field_netsuite_named_first() -> None:
    fields = editable_fields(push())
    assert fields[0].name == "email"
    assert fields[0].input_type == "email"
    assert fields[0].named_by_netsuite
    assert fields[0].value == "not-an-email"
    assert {f.name for f in fields} == {"email", "companyName"}


def test_corrected_values_are_checked_in_plain_words() -> None:
    assert (
        value_problem("email", "still-bad") == "Enter one email address, like orders@acme.example."
    )
    assert value_problem("email", "a@b.example, c@d.example") is not None
    assert value_problem("companyName", " ") == "NetSuite needs a company name."
    assert value_problem("email", "orders@acme.example") is None
    with pytest.raises(CorrectionInvalid) as unchanged:
        corrected_body(push(), {"companyName": "Acme"})
    assert "Change at least one value" in unchanged.value.errors["email"]
    body, changes = corrected_body(push(), {"email": " orders@acme.example "})
    assert body["email"] == "orders@acme.example"
    assert body["companyName"] == "Acme"
    assert changes == [{"field": "email", "before": "not-an-email", "after": "orders@acme.example"}]


def test_only_a_permanent_refusal_is_correctable() -> None:
    assert correctable_problem(push(), RUN) is None
    assert "use Retry" in (correctable_problem(push(error="HTTP 503: down"), RUN) or "")
    assert "applied" in (correctable_problem(push("applied", None), RUN) or "")
    assert correctable_problem(push(), uuid.uuid4()) is not None


def test_time_tag_is_utc_with_a_title() -> None:
    tag = str(fmt.time_tag(at(0)))
    assert tag == (
        '<time datetime="2026-12-01T09:00:00Z" title="2026-12-01 09:00:00 UTC">'
        "2026-12-01 09:00:00 UTC</time>"
    )
    assert str(fmt.time_tag(None)) == "—"
