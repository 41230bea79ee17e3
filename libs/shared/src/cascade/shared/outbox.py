"""Transactional outbox: handlers stage messages in their transaction; a relay publishes them."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import Span
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.backoff import backoff_window_s
from cascade.shared.crash import crash_point
from cascade.shared.db.driver import driver_connection
from cascade.shared.db.messaging_models import OutboxMessage
from cascade.shared.envelope import CLOUDEVENTS_CONTENT_TYPE, Envelope
from cascade.shared.outbox_failures import (
    BrokerUnavailable,
    Charge,
    Outcome,
    charge,
    is_permanent,
)
from cascade.shared.outbox_sql import (
    CHARGE_PARK,
    CHARGE_RETRY,
    CLAIM,
    STAGE,
    OutboxRow,
    claimed_rows,
    mark_sent_and_commit,
)
from cascade.shared.polling import poll
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name
from cascade.shared.tracing import end_span, record_headers, start_producer_span, traceparent_header
from cascade.shared.wakeup import OUTBOX, factory_bells, wake_after_commit

__all__ = [
    "CLOUDEVENTS_CONTENT_TYPE",
    "OutboxRecord",
    "OutboxRelay",
    "Publish",
    "RelayConfig",
    "outbox_record",
    "stage",
    "stage_raw",
]

log = logging.getLogger(__name__)


Publish = Callable[[str, bytes, str | None, dict[str, str]], Awaitable[Awaitable[object]]]
"""Hand one record (topic, value, key, headers) to the producer; returns its ack, which
completes once the broker acked it. Raises at once for a record the producer refuses."""


@dataclass(frozen=True)
class OutboxRecord:
    """An outbox row to stage: what the relay hands to the producer."""

    topic: str
    key: str | None
    payload: bytes
    headers: dict[str, str]


def outbox_record(topic: str, envelope: Envelope) -> OutboxRecord:
    """`envelope` as the outbox row that publishes it on `topic`, keyed by its run; its
    headers keep the `traceparent` of the work staging it, which the relay continues."""
    headers = traceparent_header(
        {"content-type": CLOUDEVENTS_CONTENT_TYPE, "ce_type": envelope.type}
    )
    return OutboxRecord(topic, str(envelope.run_id), envelope.to_bytes(), headers)


def stage(session: AsyncSession, topic: str, envelope: Envelope) -> None:
    """Add `envelope` to the outbox inside the caller's transaction, keyed by its run; the
    process's relay is woken by the commit."""
    record = outbox_record(topic, envelope)
    stage_raw(session, record.topic, record.payload, record.key, record.headers)


def stage_raw(
    session: AsyncSession, topic: str, payload: bytes, key: str | None, headers: dict[str, str]
) -> OutboxMessage:
    """Add an arbitrary record (e.g. a dead letter's original bytes) to the outbox; the row
    (its id is known once the session flushes)."""
    wake_after_commit(session, OUTBOX)
    row = OutboxMessage(topic=topic, key=key, payload=payload, headers=headers)
    session.add(row)
    return row


@dataclass(frozen=True)
class RelayConfig:
    """How often and how much the relay publishes, how a failing row is retried and parked,
    where parked rows are announced, and where the relay may be told to crash."""

    poll_interval_s: float
    batch_size: int
    max_attempts: int
    retry_base_s: float
    retry_max_s: float
    alert_topic: str | None
    crash_at: str | None = None
    publish_timeout_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RelayConfig:
        """The relay of a service: `CASCADE_OUTBOX_*` (the defaults live in the settings
        alone), parked rows announced on the prefix's `workflow.alert`."""
        return cls(
            poll_interval_s=settings.outbox_poll_ms / 1000,
            batch_size=settings.outbox_batch_size,
            max_attempts=settings.outbox_max_attempts,
            retry_base_s=settings.outbox_retry_base_ms / 1000,
            retry_max_s=settings.outbox_retry_max_ms / 1000,
            alert_topic=topic_name(settings.topic_prefix, Topic.WORKFLOW_ALERT),
            crash_at=settings.crash_at,
        )


class OutboxRelay:
    """Publishes unsent outbox rows in id order, then marks them sent.

    Rows are locked with SKIP LOCKED so several relays never publish the same row at
    once; a relay that dies after the broker acked but before the mark commits publishes
    the row again on restart, which consumers absorb through their inbox.

    A key's rows (a run's events) are published one after another, keys in parallel, and
    never past an earlier unsent row of the same key: a row that fails is charged an
    attempt and retried after a back-off, or parked (`failed_at`) when the failure is
    permanent or its attempts are used up; the key's later rows then wait for an operator,
    while every other key flows.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        publish: Publish,
        config: RelayConfig,
    ) -> None:
        self._factory = session_factory
        self._publish = publish
        self._config = config
        # Consecutive rounds that held rows back behind another relay's in-flight row.
        self._held_rounds = 0

    async def publish_batch(self) -> int:
        """Publish one batch; returns how many rows were tried (sent or charged)."""
        async with driver_connection(self._factory) as driver:
            await driver.execute("BEGIN")
            rows, held = claimed_rows(await driver.fetch(CLAIM, self._config.batch_size))
            self._held_rounds = self._held_rounds + 1 if held else 0
            if not rows:
                await driver.execute("COMMIT")
                return 0
            outcomes = await self._send(rows)
            crash_point(self._config.crash_at, "relay_after_publish")
            sent = [r.id for r in rows if r.id in outcomes and outcomes[r.id] is None]
            failed = [(r, e) for r in rows if (e := outcomes.get(r.id)) is not None]
            if failed and not sent and not any(is_permanent(e) for _, e in failed):
                raise BrokerUnavailable(f"{len(failed)} rows failed") from failed[0][1]
            alerted = False
            for row, exc in failed:
                counted = charge(row, exc, self._config)
                alerted = await _apply_charge(driver, row, counted) or alerted
            if sent:
                await driver.execute(mark_sent_and_commit(sent))
            else:
                await driver.execute("COMMIT")
        if alerted:
            # The alert is a row of the outbox like any other: this relay publishes it next.
            factory_bells(self._factory)[OUTBOX].ring()
        return len(sent) + len(failed)

    async def _rest_s(self) -> float:
        """How long to rest after a round with nothing to send. Rows held back behind
        another relay's in-flight row (a run's earlier event, published by the process that
        staged it, whose mark commits a moment later) are tried again within milliseconds,
        backing off while that relay stays stuck: nobody rings for them, and the safety-net
        poll would hold a run's next hop for seconds."""
        if self._held_rounds:
            return backoff_window_s(self._held_rounds, 0.005, self._config.poll_interval_s)
        return self._config.poll_interval_s

    async def _send(self, rows: list[OutboxRow]) -> dict[int, Outcome]:
        """Hand every row to the producer, then await the acks, within the publish timeout;
        each key's rows in order, keys concurrently; a key stops at its first failure (its
        later rows stay unsent, uncharged)."""
        outcomes: dict[int, Outcome] = {}
        chains: dict[object, list[OutboxRow]] = {}
        for row in rows:
            chains.setdefault(row.key if row.key is not None else ("row", row.id), []).append(row)

        async def send_chain(chain: list[OutboxRow]) -> None:
            # No round trip per record: the producer batches what is handed to it and keeps
            # one partition's records in order (idempotent, one batch in flight each).
            # Each record's `send` span lasts until its ack and names itself the parent of
            # the consumers' spans (the record's `traceparent` header).
            acks: list[tuple[OutboxRow, Awaitable[object], Span]] = []
            refused: tuple[OutboxRow, Exception] | None = None
            for row in chain:
                span = start_producer_span(row.topic, row.key, row.headers)
                headers = record_headers(row.headers, span)
                try:
                    ack = await self._publish(row.topic, row.payload, row.key, headers)
                except Exception as exc:
                    # Refused before it was sent (too large, ...): the key stops here.
                    end_span(span, exc)
                    refused = (row, exc)
                    break
                acks.append((row, ack, span))
            try:
                for row, ack, span in acks:
                    try:
                        await ack
                    except Exception as exc:
                        end_span(span, exc)
                        outcomes[row.id] = exc
                        return
                    end_span(span)
                    outcomes[row.id] = None
            finally:
                # Cancelled at the publish timeout, or stopped at a failed ack: the spans
                # still waiting end without an outcome of their own.
                for row, _ack, span in acks:
                    if row.id not in outcomes:
                        end_span(span)
            if refused is not None:
                outcomes[refused[0].id] = refused[1]

        tasks = [asyncio.create_task(send_chain(chain)) for chain in chains.values()]
        _done, pending = await asyncio.wait(tasks, timeout=self._config.publish_timeout_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        # Bounded, so a dead broker never pins the row locks forever: the row each stuck
        # chain was waiting on timed out (a transient failure).
        for chain in chains.values():
            waiting = next((r for r in chain if r.id not in outcomes), None)
            if waiting is not None and not any(outcomes.get(r.id) for r in chain):
                outcomes[waiting.id] = TimeoutError(
                    f"no ack within {self._config.publish_timeout_s}s"
                )
        return outcomes

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; errors are logged and retried, never fatal. Woken by
        every commit of this process that staged a row (`stage`); the poll interval is the
        safety net for rows nobody rang for: another process's, or a back-off come due."""
        wake = factory_bells(self._factory)[OUTBOX]

        async def round_() -> bool:
            # Only a full batch says more may be waiting. After a short one the next round
            # would find nothing (an empty claim transaction per burst): a row committed
            # meanwhile by this process rang the bell, which ends the rest at once.
            return await self.publish_batch() >= self._config.batch_size

        await poll(
            stop,
            round_,
            self._config.poll_interval_s,
            "outbox relay",
            wake=wake,
            idle_for=self._rest_s,
        )


async def _apply_charge(driver: Any, row: OutboxRow, counted: Charge) -> bool:
    """Write a failed publish's count into its row (in the relay's transaction); True when
    an alert about it was staged."""
    if counted.retry_in_s is not None:
        await driver.execute(
            CHARGE_RETRY, row.id, counted.attempts, counted.last_error, counted.retry_in_s
        )
        return False
    await driver.execute(CHARGE_PARK, row.id, counted.attempts, counted.last_error)
    if counted.alert is None:
        return False
    topic, payload, headers = counted.alert
    await driver.execute(STAGE, topic, None, payload, json.dumps(headers))
    return True
