"""The runner's alerts (`cascade.shared.alerts`), told by reason and detail."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Literal

from cascade.shared import alerts
from cascade.shared.payloads import WorkflowAlert

Severity = Literal["info", "warning", "error", "critical"]


def stage_alert(
    uow: alerts.Staging,
    topic_prefix: str,
    run_id: uuid.UUID,
    what: str,
    reason: str,
    detail: str,
    severity: Severity = "error",
    context: Mapping[str, Any] | None = None,
) -> None:
    """Stage one alert; `what` keys it so a replay of the same failure alerts once."""
    alert = WorkflowAlert(
        severity=severity, reason=reason, detail=detail, context=dict(context or {})
    )
    alerts.stage(uow, topic_prefix, "cascade.runner", run_id, what, alert)
