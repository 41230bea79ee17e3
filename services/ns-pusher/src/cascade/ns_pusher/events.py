"""The envelopes ns-pusher publishes: `ns.push.result` and `workflow.alert`. No IO.

Idempotency keys are fixed per push, outcome and round of attempts
(`ns.push.result:<run_id>:<push_id>:applied`, `...:failed`, `...:failed:retry1`), so a
re-recorded outcome dedupes at the consumer while a manual retry's outcome is news.
"""

from __future__ import annotations

from cascade.ns_pusher.domain import ClaimedPush
from cascade.ns_pusher.responses import Applied
from cascade.shared import alerts
from cascade.shared.db.statuses import PushStatus
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.leased_jobs import JobStep
from cascade.shared.payloads import NsPushResult, WorkflowAlert
from cascade.shared.topics import Topic

SOURCE = "ns-pusher"
ALERT_REASON = "ns_push_failed"


def _suffix(push: ClaimedPush, outcome: str) -> str:
    retry = f":retry{push.round}" if push.round else ""
    return f"{push.push_id}:{outcome}{retry}"


def result_envelope(push: ClaimedPush, decision: JobStep, applied: Applied | None) -> Envelope:
    """`ns.push.result` for a push that reached `applied` or `failed`."""
    status = PushStatus.APPLIED if applied is not None else PushStatus.FAILED
    payload = NsPushResult(
        push_id=push.push_id,
        record_type=push.record_type,
        external_id=push.external_id,
        status=status,
        netsuite_id=applied.netsuite_id if applied else None,
        last_modified=applied.last_modified if applied else None,
        attempts=push.attempt,
        error=decision.error if applied is None else None,
    )
    data = payload.model_dump(mode="json")
    return new_envelope(Topic.NS_PUSH_RESULT, SOURCE, push.run_id, data, _suffix(push, status))


def alert_envelope(push: ClaimedPush, decision: JobStep, http_status: int | None) -> Envelope:
    """`workflow.alert` for a push the policy gave up on (the contract's alert_on_final_failure)."""
    detail = (
        f"NetSuite push {push.push_id} ({push.record_type} {push.external_id}) failed after "
        f"{push.attempt} attempt(s): {decision.error}"
    )
    alert = WorkflowAlert(
        severity="error",
        reason=ALERT_REASON,
        detail=detail,
        context={
            "push_id": push.push_id,
            "record_type": push.record_type,
            "external_id": push.external_id,
            "attempts": push.attempt,
            "http_status": http_status,
            "policy": "alert_on_final_failure",
            "retry": f"POST /v1/ns-pushes/{push.push_id}/retry",
        },
    )
    return alerts.envelope(SOURCE, push.run_id, f"ns_push:{_suffix(push, 'failed')}", alert)
