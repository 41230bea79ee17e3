"""`workflow.alert`: something needs a human. One way to make one, from any service.

An alert is keyed by what it is about (`what`), so a replay of the same failure alerts
once; it goes out through the outbox like every event.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.payloads import WorkflowAlert
from cascade.shared.topics import Topic, topic_name


class Staging(Protocol):
    """A unit of work that stages events in its outbox."""

    def stage(self, topic: str, envelope: Envelope) -> None:
        """Add `envelope` to the outbox, published on `topic` once the transaction commits."""
        ...


def envelope(source: str, run_id: uuid.UUID, what: str, alert: WorkflowAlert) -> Envelope:
    """The `workflow.alert` event of `alert`, from `source`, about `what` of run `run_id`."""
    data = alert.model_dump(mode="json")
    return new_envelope(Topic.WORKFLOW_ALERT, source, run_id, data, key_suffix=what)


def stage(
    uow: Staging,
    topic_prefix: str,
    source: str,
    run_id: uuid.UUID,
    what: str,
    alert: WorkflowAlert,
) -> None:
    """Stage `alert` in this transaction's outbox."""
    uow.stage(topic_name(topic_prefix, Topic.WORKFLOW_ALERT), envelope(source, run_id, what, alert))
