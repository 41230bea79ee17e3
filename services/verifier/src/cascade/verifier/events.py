"""What the verifier publishes: `verify.result` for every final result, `workflow.alert`
for a `fail` or `timeout`. Keys are fixed per run and check, so a repeat dedupes. No IO."""

from __future__ import annotations

import uuid

from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.payloads import VerifyResultEvent, WorkflowAlert
from cascade.shared.topics import Topic

SOURCE = "cascade.verifier"


def result_envelope(run_id: uuid.UUID, event: VerifyResultEvent) -> Envelope:
    """`verify.result`, keyed `verify.result:<run_id>:<check_name>`."""
    data = event.model_dump(mode="json")
    return new_envelope(Topic.VERIFY_RESULT, SOURCE, run_id, data, event.check_name)


def alert_envelope(run_id: uuid.UUID, event: VerifyResultEvent) -> Envelope:
    """`workflow.alert` for a check that failed or could not be decided in time."""
    what = "failed" if event.status == "fail" else "could not be decided in time"
    alert = WorkflowAlert(
        severity="error" if event.status == "fail" else "warning",
        reason=f"verify_{event.status}",
        detail=f"verify check {event.check_name} {what} after {event.attempts} "
        f"attempt(s): {event.reason}",
        context={
            "check_name": event.check_name,
            "kind": event.kind,
            "status": event.status,
            "attempts": event.attempts,
            "deadline_at": event.deadline_at.isoformat() if event.deadline_at else None,
        },
    )
    data = alert.model_dump(mode="json")
    return new_envelope(Topic.WORKFLOW_ALERT, SOURCE, run_id, data, f"verify:{event.check_name}")
