"""The events of a decided check: keys fixed per run and check, alerts for fail and timeout."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from cascade.shared.payloads import WorkflowAlert
from cascade.verifier.events import VerifyResultEvent, alert_envelope, result_envelope

RUN = uuid.uuid4()
AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def event(status: str) -> VerifyResultEvent:
    return VerifyResultEvent.model_validate(
        {
            "check_name": "customer_persisted",
            "kind": "sql",
            "status": status,
            "attempts": 3,
            "reason": "0 row(s) returned, expected rows",
            "executed_at": AT,
            "detail": {"rows": 0},
        }
    )


def test_the_result_is_keyed_by_run_and_check() -> None:
    envelope = result_envelope(RUN, event("fail"))
    assert envelope.type == "verify.result"
    assert envelope.idempotency_key == f"verify.result:{RUN}:customer_persisted"
    assert VerifyResultEvent.model_validate(envelope.data).status == "fail"


def test_a_failure_alert_says_what_failed_and_why() -> None:
    envelope = alert_envelope(RUN, event("fail"))
    alert = WorkflowAlert.model_validate(envelope.data)
    assert envelope.idempotency_key == f"workflow.alert:{RUN}:verify:customer_persisted"
    assert (alert.severity, alert.reason) == ("error", "verify_fail")
    assert "customer_persisted failed after 3 attempt(s)" in alert.detail
    assert alert.context["check_name"] == "customer_persisted"


def test_a_timeout_alert_is_a_warning() -> None:
    alert = WorkflowAlert.model_validate(alert_envelope(RUN, event("timeout")).data)
    assert (alert.severity, alert.reason) == ("warning", "verify_timeout")
    assert "could not be decided in time" in alert.detail


def test_a_later_round_is_a_new_event_not_a_duplicate_of_the_first() -> None:
    later = event("fail").model_copy(update={"round": 2})
    assert result_envelope(RUN, later).idempotency_key == (
        f"verify.result:{RUN}:customer_persisted:r2"
    )
    assert alert_envelope(RUN, later).idempotency_key == (
        f"workflow.alert:{RUN}:verify:customer_persisted:r2"
    )
    assert VerifyResultEvent.model_validate(result_envelope(RUN, later).data).round == 2
