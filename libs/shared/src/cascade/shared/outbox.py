"""Transactional outbox: handlers stage messages in their transaction; a relay publishes them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import func

from cascade.shared.crash import crash_point
from cascade.shared.db.messaging_models import OutboxMessage
from cascade.shared.envelope import Envelope
from cascade.shared.polling import poll

log = logging.getLogger(__name__)

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"

Publish = Callable[[str, bytes, str | None, dict[str, str]], Awaitable[None]]
"""Publish one record (topic, value, key, headers) and return once the broker acked it."""


def stage(session: AsyncSession, topic: str, envelope: Envelope) -> None:
    """Add `envelope` to the outbox inside the caller's transaction, keyed by its run."""
    session.add(
        OutboxMessage(
            topic=topic,
            key=str(envelope.run_id),
            payload=envelope.to_bytes(),
            headers={"content-type": CLOUDEVENTS_CONTENT_TYPE, "ce_type": envelope.type},
        )
    )


def stage_raw(
    session: AsyncSession, topic: str, payload: bytes, key: str | None, headers: dict[str, str]
) -> None:
    """Add an arbitrary record (e.g. a dead letter's original bytes) to the outbox."""
    session.add(OutboxMessage(topic=topic, key=key, payload=payload, headers=headers))


@dataclass(frozen=True)
class RelayConfig:
    """How often and how much the relay publishes, and where it may be told to crash."""

    poll_interval_s: float = 0.1
    batch_size: int = 200
    publish_timeout_s: float = 30.0
    crash_at: str | None = None


class OutboxRelay:
    """Publishes unsent outbox rows in id order, then marks them sent.

    Rows are locked with SKIP LOCKED so several relays never publish the same row at
    once; a relay that dies after the broker acked but before the mark commits publishes
    the row again on restart, which consumers absorb through their inbox.
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

    async def publish_batch(self) -> int:
        """Publish one batch; returns how many rows were sent."""
        async with self._factory() as session, session.begin():
            rows = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.sent_at.is_(None))
                    .order_by(OutboxMessage.id)
                    .limit(self._config.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            # Sends are enqueued in id order; the idempotent producer keeps that order
            # per partition while the acks are awaited together.
            # Bounded, so a dead broker never pins the row locks forever.
            await asyncio.wait_for(
                asyncio.gather(
                    *(self._publish(r.topic, r.payload, r.key, dict(r.headers)) for r in rows)
                ),
                timeout=self._config.publish_timeout_s,
            )
            crash_point(self._config.crash_at, "relay_after_publish")
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([r.id for r in rows]))
                .values(sent_at=func.now())
            )
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; errors are logged and retried, never fatal."""
        await poll(stop, self.publish_batch, self._config.poll_interval_s, "outbox relay")
