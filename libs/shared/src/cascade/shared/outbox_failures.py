"""What a failed outbox publish means: a broker outage, a row to retry later, or a row to park.

Kept apart from the relay loop so the rule (permanent or transient, charge or park, alert)
reads in one place.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiokafka.errors import (
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
)

from cascade.shared import alerts
from cascade.shared.backoff import backoff_window_s
from cascade.shared.envelope import CLOUDEVENTS_CONTENT_TYPE
from cascade.shared.outbox_sql import OutboxRow
from cascade.shared.payloads import WorkflowAlert

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


@dataclass(frozen=True)
class Charge:
    """A failed publish counted in its row: retried after `retry_in_s`, or parked (None)
    with `alert` (topic, payload, headers) to stage when alerts are configured."""

    attempts: int
    last_error: str
    retry_in_s: float | None
    alert: tuple[str, bytes, dict[str, str]] | None = None


def charge(row: OutboxRow, exc: BaseException, config: RelayConfig) -> Charge:
    """Count a failed publish of `row`: retry it after a back-off, or park it and alert."""
    attempts = row.attempts + 1
    last_error = f"{type(exc).__name__}: {exc}"[:4000]
    if not is_permanent(exc) and attempts < config.max_attempts:
        wait = backoff_window_s(attempts, config.retry_base_s, config.retry_max_s)
        log.warning(
            "outbox relay: row %d to %s failed (attempt %d), retrying in %.1fs: %s",
            row.id,
            row.topic,
            attempts,
            wait,
            last_error,
        )
        return Charge(attempts, last_error, wait)
    log.error(
        "outbox relay: row %d to %s (key %s) parked after %d attempt(s); later rows of its "
        "key wait for an operator: %s",
        row.id,
        row.topic,
        row.key,
        attempts,
        last_error,
    )
    return Charge(attempts, last_error, None, _alert(row, last_error, config.alert_topic))


def _alert(
    row: OutboxRow, last_error: str, alert_topic: str | None
) -> tuple[str, bytes, dict[str, str]] | None:
    if alert_topic is None or ALERT_HEADER in row.headers:
        return None  # never alert about an alert: a broken alert topic would loop
    alert = WorkflowAlert(
        severity="critical",
        reason="outbox_row_parked",
        detail=f"outbox row {row.id} to {row.topic} cannot be published: {last_error}",
        context={"outbox_id": row.id, "topic": row.topic, "key": row.key},
    )
    envelope = alerts.envelope("cascade.outbox", _run_id_of(row.key), f"outbox:{row.id}", alert)
    # No key: the alert must not queue behind the very row it is about.
    headers = {
        "content-type": CLOUDEVENTS_CONTENT_TYPE,
        "ce_type": envelope.type,
        ALERT_HEADER: str(row.id),
    }
    return alert_topic, envelope.to_bytes(), headers


def _run_id_of(key: str | None) -> uuid.UUID:
    # Envelopes are keyed by their run; a raw row (a dead letter) may carry any key.
    try:
        return uuid.UUID(key or "")
    except ValueError:
        return uuid.UUID(int=0)
