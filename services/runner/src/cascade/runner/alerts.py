"""`workflow.alert`: something needs a human; staged through the outbox like every event."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Literal

from cascade.shared.db.uow import AbstractUnitOfWork
from cascade.shared.envelope import new_envelope
from cascade.shared.payloads import WorkflowAlert
from cascade.shared.topics import Topic, topic_name

Severity = Literal["info", "warning", "error", "critical"]


def stage_alert(
    uow: AbstractUnitOfWork,
    topic_prefix: str,
    run_id: uuid.UUID,
    what: str,
    reason: str,
    detail: str,
    severity: Severity = "error",
    context: Mapping[str, Any] | None = None,
) -> None:
    """Stage one alert; `what` keys it so a replay of the same failure alerts once."""
    data = WorkflowAlert(
        severity=severity, reason=reason, detail=detail, context=dict(context or {})
    ).model_dump(mode="json")
    envelope = new_envelope(Topic.WORKFLOW_ALERT, "cascade.runner", run_id, data, key_suffix=what)
    uow.stage(topic_name(topic_prefix, Topic.WORKFLOW_ALERT), envelope)
