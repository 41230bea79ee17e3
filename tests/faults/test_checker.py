"""The checker over hand-made data: a clean run passes, and each broken invariant is named.

Pure: no stack, no IO. Each violating case starts from the clean data and breaks one thing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from tests.faults.checker import (
    Answer,
    BundleRow,
    CustomerRow,
    EmailSendRow,
    Injected,
    Mail,
    Observed,
    ProposalRow,
    WireEvent,
    check,
)

RUN_A, RUN_B, DECOY = "run-a", "run-b", "run-decoy"
POISON = Injected("deep_nesting", "workflow.requested", b'{"a":' * 5 + b"1" + b"}" * 5)
FORGED = Injected("forged_proposal.approved", "proposal.approved", b"{forged}", DECOY)


def clean() -> Observed:
    """Two completed runs with their effects, one decoy left waiting, one poison DLQ'd."""
    return Observed(
        answers=[
            Answer("k-a", None, error="ConnectError"),
            Answer("k-a", 202, RUN_A),
            Answer("k-b", 202, RUN_B),
            Answer("k-b", 200, RUN_B),  # a replay: same run
            Answer("k-d", 202, DECOY),
            Answer("k-bad", 422),
        ],
        intake_keys={"k-a": RUN_A, "k-b": RUN_B, "k-d": DECOY},
        runs={RUN_A: "completed", RUN_B: "completed", DECOY: "awaiting_approval"},
        ledger=[(RUN_A, "workflow.completed", "ka"), (RUN_B, "workflow.completed", "kb")],
        wire=[
            WireEvent("workflow.completed", RUN_A, "ka"),
            WireEvent("workflow.completed", RUN_A, "ka"),  # a relay republished: raw dup
            WireEvent("workflow.completed", RUN_B, "kb"),
        ],
        customers=[CustomerRow(1, RUN_A, "ext-a", "10"), CustomerRow(2, RUN_B, "ext-b", "11")],
        programs=[(1, 1), (1, 2), (2, 1)],
        ns_records=[("10", "ext-a"), ("11", "ext-b")],
        proposals=[
            ProposalRow(1, RUN_A, "workflow_new_customer", "approved"),
            ProposalRow(2, RUN_A, "propose_email_to_customer", "approved"),
            ProposalRow(3, RUN_B, "workflow_new_customer", "approved"),
            ProposalRow(4, RUN_B, "propose_email_to_customer", "approved"),
            ProposalRow(5, DECOY, "workflow_new_customer", "pending"),
        ],
        email_sends=[EmailSendRow(2, "<cascade-proposal-2-v1@x>"), EmailSendRow(4, "m4")],
        bundles=[
            BundleRow(RUN_A, "customers/ext-a/first-quote-context/v1.json", "stored", "h1", "h1"),
            BundleRow(RUN_B, "customers/ext-b/first-quote-context/v1.json", "stored", "h2", "h2"),
        ],
        mails=[Mail("<cascade-proposal-2-v1@x>"), Mail("<cascade-proposal-4-v1@x>")],
        lag={"runner.workflow_requested workflow.requested": 0},
        dlq=[(POISON.topic, POISON.payload), (FORGED.topic, FORGED.payload)],
        verify=[(RUN_A, "in_netsuite", "pass"), (RUN_B, "in_netsuite", "fail")],
        poisoned=[POISON],
        forged=[FORGED],
        decoys={DECOY},
    )


def test_clean_data_passes_with_counts() -> None:
    report = check(clean())
    assert report.ok, report.summary()
    assert report.counts["runs_accepted"] == 3
    assert report.counts["runs_refused"] == 1
    assert report.counts["raw_duplicates_on_wire"] == 1
    assert report.counts["duplicate_effects"] == 0
    assert report.counts["lost"] == 0
    assert report.counts["emails_sent"] == 2
    assert report.counts["emails_sent_twice"] == 0
    assert report.counts["bundles_stored"] == 2


def _lost(o: Observed) -> None:
    del o.runs[RUN_B]
    o.ledger.pop()
    o.wire.pop()
    o.customers.pop()


def _stuck(o: Observed) -> None:
    o.runs[RUN_B] = "running"
    o.ledger.pop()
    o.wire.pop()


def _two_terminal_events(o: Observed) -> None:
    o.wire.append(WireEvent("workflow.failed", RUN_A, "other-key"))


def _no_ledger(o: Observed) -> None:
    o.ledger.pop(0)


def _ledger_twice(o: Observed) -> None:
    o.ledger.append((RUN_A, "workflow.failed", "k2"))


def _duplicate_customer(o: Observed) -> None:
    o.customers.append(CustomerRow(3, RUN_A, "ext-a2", None))


def _duplicate_ns(o: Observed) -> None:
    o.ns_records.append(("12", "ext-a"))


def _missing_ns(o: Observed) -> None:
    o.ns_records.pop()


def _missing_bundle(o: Observed) -> None:
    o.bundles.pop()


def _bundle_not_in_store(o: Observed) -> None:
    o.bundles[0] = BundleRow(RUN_A, o.bundles[0].key, "stored", "h1", None)


def _bundle_bytes_differ(o: Observed) -> None:
    o.bundles[0] = BundleRow(RUN_A, o.bundles[0].key, "stored", "h1", "other")


def _bundle_for_a_decoy(o: Observed) -> None:
    o.bundles.append(BundleRow(DECOY, "customers/d/first-quote-context/v1.json", "queued", "h"))


def _duplicate_program(o: Observed) -> None:
    o.programs.append((1, 1))


def _email_twice(o: Observed) -> None:
    o.mails.append(Mail("<cascade-proposal-2-v1@x>"))


def _email_lost(o: Observed) -> None:
    o.mails.pop()
    o.email_sends.pop()


def _email_unapproved(o: Observed) -> None:
    o.proposals[3] = ProposalRow(4, RUN_B, "propose_email_to_customer", "pending")


def _outbox(o: Observed) -> None:
    o.outbox_unsent = 2


def _lag(o: Observed) -> None:
    o.lag["runner.workflow_requested workflow.requested"] = 7


def _unexpected_dlq(o: Observed) -> None:
    o.dlq.append(("ns.push", b"a real record"))


def _poison_kept(o: Observed) -> None:
    o.dlq.remove((POISON.topic, POISON.payload))


def _verify_pending(o: Observed) -> None:
    o.verify.append((RUN_A, "programs", "pending"))


def _forged_failed_decoy(o: Observed) -> None:
    o.runs[DECOY] = "failed"
    o.ledger.append((DECOY, "workflow.failed", "kd"))
    o.wire.append(WireEvent("workflow.failed", DECOY, "kd"))


def _forged_netsuite_id(o: Observed) -> None:
    o.customers[0] = CustomerRow(1, RUN_A, "ext-a", "FORGED-999")


def _forged_new_run(o: Observed) -> None:
    o.forged.append(Injected("forged_ns.push.result", "ns.push.result", b"x", "ghost"))
    o.runs["ghost"] = "requested"


def _idempotency(o: Observed) -> None:
    o.answers.append(Answer("k-a", 200, "another-run"))


def _undecided_proposal(o: Observed) -> None:
    o.proposals[1] = ProposalRow(2, RUN_A, "propose_email_to_customer", "pending")
    o.mails.pop(0)
    o.email_sends.pop(0)


BREAKS: dict[str, tuple[Callable[[Observed], None], str]] = {
    "lost": (_lost, "lost"),
    "stuck": (_stuck, "stuck"),
    "two terminal events": (_two_terminal_events, "terminal_wire"),
    "no ledger row": (_no_ledger, "terminal_ledger"),
    "two ledger rows": (_ledger_twice, "terminal_ledger"),
    "duplicate customer": (_duplicate_customer, "duplicate_customer"),
    "duplicate NetSuite record": (_duplicate_ns, "duplicate_netsuite_record"),
    "missing NetSuite record": (_missing_ns, "missing_netsuite_record"),
    "duplicate program": (_duplicate_program, "duplicate_program"),
    "email sent twice": (_email_twice, "email_sent_twice"),
    "approved email lost": (_email_lost, "email_not_sent"),
    "email sent unapproved": (_email_unapproved, "email_sent_unapproved"),
    "outbox not drained": (_outbox, "outbox_not_drained"),
    "consumer lag": (_lag, "consumer_lag"),
    "unexpected dead letter": (_unexpected_dlq, "unexpected_dead_letter"),
    "poison not dead-lettered": (_poison_kept, "poison_not_dead_lettered"),
    "verify undecided": (_verify_pending, "verify_undecided"),
    "forged event failed a decoy": (_forged_failed_decoy, "forged_changed_run"),
    "forged NetSuite id": (_forged_netsuite_id, "forged_netsuite_id"),
    "forged event created a run": (_forged_new_run, "forged_created_run"),
    "one key two runs": (_idempotency, "idempotency_broken"),
    "proposal left pending": (_undecided_proposal, "proposal_undecided"),
    "completed run without a bundle": (_missing_bundle, "missing_bundle"),
    "bundle missing from the store": (_bundle_not_in_store, "bundle_not_in_store"),
    "bundle bytes differ": (_bundle_bytes_differ, "bundle_bytes_differ"),
    "bundle for a run never approved": (_bundle_for_a_decoy, "unexpected_bundle"),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_each_broken_invariant_is_reported(name: str) -> None:
    breaker, code = BREAKS[name]
    data = copy.deepcopy(clean())
    breaker(data)
    report = check(data)
    assert not report.ok
    assert code in report.codes(), report.summary()


def test_counts_report_duplicates_and_emails_sent_twice() -> None:
    data = clean()
    _duplicate_customer(data)
    _email_twice(data)
    report = check(data)
    assert report.counts["duplicate_effects"] == 1
    assert report.counts["emails_sent_twice"] == 1


def test_an_email_that_failed_visibly_is_not_lost() -> None:
    data = clean()
    data.mails.pop()
    data.email_sends[1] = EmailSendRow(4, "m4", status="failed")
    report = check(data)
    assert report.ok, report.summary()
    assert report.counts["emails_failed_visibly"] == 1
