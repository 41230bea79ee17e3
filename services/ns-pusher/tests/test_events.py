"""The events ns-pusher stages: stable keys per push, outcome and round; tolerant payloads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from cascade.ns_pusher.domain import ClaimedPush
from cascade.ns_pusher.events import alert_envelope, result_envelope
from cascade.ns_pusher.responses import Applied
from cascade.shared.leased_jobs import JobStep
from cascade.shared.payloads import NsPushResult, WorkflowAlert

RUN = uuid.UUID("00000000-0000-0000-0000-000000000001")
MODIFIED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def claimed(attempt: int = 1, round_no: int = 0) -> ClaimedPush:
    return ClaimedPush(
        job_id=9,
        run_id=RUN,
        record_type="customer",
        external_id="cascade-customer-1",
        payload={},
        attempt=attempt,
        round=round_no,
        lease_until=MODIFIED,
        exhausted=False,
    )


def test_applied_result_carries_netsuite_id_and_a_stable_key() -> None:
    applied = Applied("647", MODIFIED, 200)
    envelope = result_envelope(claimed(2), JobStep("done"), applied)
    assert envelope.idempotency_key == f"ns.push.result:{RUN}:9:applied"
    result = NsPushResult.model_validate(envelope.data)
    assert (result.status, result.netsuite_id, result.attempts) == ("applied", "647", 2)
    assert result.last_modified == MODIFIED
    again = result_envelope(claimed(2), JobStep("done"), applied)
    assert again.idempotency_key == envelope.idempotency_key, "re-recording dedupes"


def test_failed_result_and_alert_after_a_manual_retry_are_new_facts() -> None:
    decision = JobStep("failed", "gave up after 3 attempt(s): HTTP 500")
    first = result_envelope(claimed(3), decision, None)
    later = result_envelope(claimed(3, round_no=1), decision, None)
    assert first.idempotency_key == f"ns.push.result:{RUN}:9:failed"
    assert later.idempotency_key == f"ns.push.result:{RUN}:9:failed:retry1"
    assert NsPushResult.model_validate(first.data).error == decision.error


def test_alert_names_the_push_and_how_to_retry_it() -> None:
    decision = JobStep("failed", "HTTP 401 Unauthorized: INVALID_LOGIN")
    envelope = alert_envelope(claimed(1), decision, 401)
    alert = WorkflowAlert.model_validate(envelope.data)
    assert envelope.type == "workflow.alert"
    assert envelope.idempotency_key == f"workflow.alert:{RUN}:ns_push:9:failed"
    assert alert.severity == "error"
    assert "INVALID_LOGIN" in alert.detail
    assert alert.context["retry"] == "POST /v1/ns-pushes/9/retry"
    assert alert.context["policy"] == "alert_on_final_failure"
