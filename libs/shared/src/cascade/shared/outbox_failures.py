"""What a failed outbox publish means: a broker outage, a row to retry later, or a row to park.

Kept apart from the relay loop so the rule (permanent or transient, charge or park, alert)
reads in one place.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from aiokafka.errors import (
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import func

from cascade.shared.backoff import backoff_window_s
from cascade.shared.db.messaging_models import OutboxMessage
from cascade.shared.envelope import CLOUDEVENTS_CONTENT_TYPE, new_envelope
from cascade.shared.payloads import WorkflowAlert
from cascade.shared.topics import Topic

if TYPE_CHECKING:
    from cascade.shared.outbox import RelayConfig

log = logging.getLogger("cascade.shared.outbox")


class BrokerUnavailable(Exception):
    """Every row of a batch failed with a transient error: the broker, not the rows, is at
    fault, so no row is charged an attempt and the relay's poll loop backs off."""


Outcome = BaseException | None
"""What one row's publish came to: None when the broker acked it."""


# Failures that no retry can cure: the record itself is unacceptable to the broker (too
# large for the producer or for `max.message.bytes`, an invalid or forbidden topic), or the
# row cannot even be encoded. Timeouts, lost connections and leader moves are transient.
_PERMANENT: tuple[type[BaseException], ...] = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
    TopicAuthorizationFailedError,
    TypeError,
    ValueError,
)
ALERT_HEADER = "x-cascade-outbox-alert"


def is_permanent(exc: BaseException) -> bool:
    """Whether publishing the same row again is certain to fail the same way."""
    return isinstance(exc, _PERMANENT) and not isinstance(exc, TimeoutError)


def charge(
    session: AsyncSession, row: OutboxMessage, exc: BaseException, config: RelayConfig
) -> None:
    """Count a failed publish in its row: retry it after a back-off, or park it and alert."""
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"[:4000]
    if not is_permanent(exc) and row.attempts < config.max_attempts:
        wait = backoff_window_s(row.attempts, config.retry_base_s, config.retry_max_s)
        row.next_attempt_at = func.now() + timedelta(seconds=wait)
        log.warning(
            "outbox relay: row %d to %s failed (attempt %d), retrying in %.1fs: %s",
            row.id,
            row.topic,
            row.attempts,
            wait,
            row.last_error,
        )
        return
    row.failed_at = func.now()
    log.error(
        "outbox relay: row %d to %s (key %s) parked after %d attempt(s); later rows of its "
        "key wait for an operator: %s",
        row.id,
        row.topic,
        row.key,
        row.attempts,
        row.last_error,
    )
    _stage_alert(session, row, config.alert_topic)


def _stage_alert(session: AsyncSession, row: OutboxMessage, alert_topic: str | None) -> None:
    if alert_topic is None or ALERT_HEADER in row.headers:
        return  # never alert about an alert: a broken alert topic would loop
    alert = WorkflowAlert(
        severity="critical",
        reason="outbox_row_parked",
        detail=f"outbox row {row.id} to {row.topic} cannot be published: {row.last_error}",
        context={"outbox_id": row.id, "topic": row.topic, "key": row.key},
    )
    envelope = new_envelope(
        Topic.WORKFLOW_ALERT,
        "cascade.outbox",
        _run_id_of(row.key),
        alert.model_dump(mode="json"),
        key_suffix=f"outbox:{row.id}",
    )
    # No key: the alert must not queue behind the very row it is about.
    headers = {
        "content-type": CLOUDEVENTS_CONTENT_TYPE,
        "ce_type": envelope.type,
        ALERT_HEADER: str(row.id),
    }
    session.add(
        OutboxMessage(topic=alert_topic, key=None, payload=envelope.to_bytes(), headers=headers)
    )


def _run_id_of(key: str | None) -> uuid.UUID:
    # Envelopes are keyed by their run; a raw row (a dead letter) may carry any key.
    try:
        return uuid.UUID(key or "")
    except ValueError:
        return uuid.UUID(int=0)
