"""The outbox relay's statements, sent on the driver (asyncpg) connection directly.

A relay round is the hop every event of a run takes, in every service, so its round trips
are paid about nine times per run. Through the ORM a round was five (BEGIN, the claim, the
check for rows held by another relay, the mark, COMMIT) plus SQLAlchemy's per-call compile
and object loading; here it is three: `BEGIN`, one claim that also says, per row, the first
unsent row of its key that this claim did not take, and the mark sent with the `COMMIT` in
one simple query (its ids are the claim's integers, pasted as numbers).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CLAIM = """
WITH claimed AS MATERIALIZED (
    SELECT o.id, o.topic, o.key, o.payload, o.headers::text AS headers, o.attempts
    FROM outbox AS o
    WHERE o.sent_at IS NULL
      AND o.failed_at IS NULL
      AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= now())
      AND NOT EXISTS (
          SELECT 1 FROM outbox AS e
          WHERE e.key = o.key AND e.id < o.id AND e.sent_at IS NULL
            AND (e.failed_at IS NOT NULL OR e.next_attempt_at > now())
      )
    ORDER BY o.id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
SELECT c.id, c.topic, c.key, c.payload, c.headers, c.attempts,
       (SELECT min(f.id) FROM outbox AS f
        WHERE f.sent_at IS NULL AND f.key = c.key
          AND f.id NOT IN (SELECT id FROM claimed)) AS first_foreign
FROM claimed AS c
ORDER BY c.id
"""
"""Lock up to `$1` publishable rows in id order (never one behind an earlier row of its key
that failed or waits for a retry); `first_foreign` is the earliest unsent row of the same
key that is not ours: locked by another relay right now, so ours after it must wait."""

CHARGE_RETRY = """
UPDATE outbox SET attempts = $2, last_error = $3,
    next_attempt_at = now() + make_interval(secs => $4)
WHERE id = $1
"""

CHARGE_PARK = "UPDATE outbox SET attempts = $2, last_error = $3, failed_at = now() WHERE id = $1"

STAGE = "INSERT INTO outbox (topic, key, payload, headers) VALUES ($1, $2, $3, $4::text::jsonb)"
"""A row staged by the relay itself (an alert about a parked row); headers as JSON text."""


@dataclass(frozen=True)
class OutboxRow:
    """A claimed row: what the producer needs, and the attempts it was charged so far."""

    id: int
    topic: str
    key: str | None
    payload: bytes
    headers: Mapping[str, str]
    attempts: int


def claimed_rows(records: Sequence[Mapping[str, Any]]) -> tuple[list[OutboxRow], int]:
    """The claim's records as rows, without those behind another relay's in-flight row of
    their key; and how many were held back so."""
    kept: list[OutboxRow] = []
    for record in records:
        first_foreign = record["first_foreign"]
        if first_foreign is not None and first_foreign < record["id"]:
            continue
        kept.append(
            OutboxRow(
                id=record["id"],
                topic=record["topic"],
                key=record["key"],
                payload=bytes(record["payload"]),
                headers=json.loads(record["headers"]),
                attempts=record["attempts"],
            )
        )
    return kept, len(records) - len(kept)


def mark_sent_and_commit(ids: Sequence[int]) -> str:
    """One simple query: the rows the broker acked marked sent (at the moment of the mark:
    now() would be the round's start), then COMMIT."""
    listed = ", ".join(str(int(i)) for i in ids)
    return f"UPDATE outbox SET sent_at = clock_timestamp() WHERE id IN ({listed}); COMMIT"
