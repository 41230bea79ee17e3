"""What the verifier publishes: `verify.result` for every final result, `workflow.alert`
for a `fail` or `timeout`. Keys are fixed per run, check and round, so a repeat dedupes
and a re-verification (the next round) is a new event. No IO."""

from __future__ import annotations

import uuid

from cascade.shared import alerts
from cascade.shared.db.statuses import CheckStatus
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.payloads import VerifyResultEvent, WorkflowAlert
from cascade.shared.topics import Topic
from cascade.shared.verify_rounds import result_key_suffix

SOURCE = "cascade.verifier"


def result_envelope(run_id: uuid.UUID, event: VerifyResultEvent) -> Envelope:
    """`verify.result`, keyed `verify.result:<run_id>:<check_name>` (`...:r<round>` after
    the first round)."""
    data = event.model_dump(mode="json")
    suffix = result_key_suffix(event.check_name, event.round)
    return new_envelope(Topic.VERIFY_RESULT, SOURCE, run_id, data, suffix)


ALERT_CONTEXT = {"check_name", "kind", "status", "attempts", "deadline_at", "round"}
"""The fields of the result an operator's alert carries (the detail stays on the result)."""


def alert_envelope(run_id: uuid.UUID, event: VerifyResultEvent) -> Envelope:
    """`workflow.alert` for a check that failed or could not be decided in time."""
    what = "failed" if event.status == CheckStatus.FAIL else "could not be decided in time"
    alert = WorkflowAlert(
        severity="error" if event.status == CheckStatus.FAIL else "warning",
        reason=f"verify_{event.status}",
        detail=f"verify check {event.check_name} {what} after {event.attempts} "
        f"attempt(s): {event.reason}",
        context=event.model_dump(mode="json", include=ALERT_CONTEXT),
    )
    suffix = result_key_suffix(event.check_name, event.round)
    return alerts.envelope(SOURCE, run_id, f"verify:{suffix}", alert)
