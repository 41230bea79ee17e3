"""The idempotent consumer: inbox claim + handler in one transaction, bounded retries, DLQ."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.backoff import backoff_window_s
from cascade.shared.crash import crash_point
from cascade.shared.db.messaging_models import DeadLetter, DeliveryAttempt
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope
from cascade.shared.inbox import claim
from cascade.shared.observability.logs import bound_run
from cascade.shared.outbox import stage_raw
from cascade.shared.topics import dlq_name
from cascade.shared.tracing import (
    MESSAGE_ID,
    consumer_attributes,
    continued_span,
    header_traceparent,
)

log = logging.getLogger(__name__)

Handler = Callable[[Envelope, UnitOfWork], Awaitable[None]]
"""A use case: the envelope and an open unit of work; it must not commit or publish."""

W = TypeVar("W")


def use_case_handler(
    work: Callable[[UnitOfWork], W], use_case: Callable[[W, Envelope], Awaitable[None]]
) -> Handler:
    """The handler that runs `use_case` in the consumer's transaction, handed the service's
    unit of work over it (`work(uow)`, e.g. a `BoundUnitOfWork`), so a test can hand the
    same use case a fake."""

    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        await use_case(work(uow), envelope)

    return handle


Accepts = Callable[[Envelope], bool]
"""Whether a handler acts on an envelope at all, decided from the envelope alone (no IO):
one it passes by needs no transaction, no inbox claim, no commit. A pydantic
ValidationError raised here dead-letters the record like one raised by the handler."""


class RejectMessage(Exception):
    """Raised by a handler for a message that can never be processed (e.g. invalid input):
    it is dead-lettered at once with this reason instead of being retried."""


@dataclass(frozen=True)
class RecordView:
    """The parts of a Kafka record the consumer needs, independent of the client library."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def ref(self) -> str:
        """Where the record sits in the log: stable across redeliveries of it."""
        return f"{self.topic}:{self.partition}:{self.offset}"


Decode = Callable[[RecordView], Envelope]
"""How a record's bytes become an envelope: Cascade's own (`Envelope.from_bytes`), or an
outside system's event mapped to one (`cascade.intake.event_records`). Pure: whatever it
raises it raises again, so the record is dead-lettered at once with the reason."""


@dataclass(frozen=True)
class ConsumerPolicy:
    """How many times a record is tried before it is dead-lettered, and the pause between:
    doubling from `backoff_ms`, capped at `backoff_max_ms` (the project's one back-off rule)."""

    max_attempts: int = 5
    backoff_ms: int = 200
    backoff_max_ms: int = 30_000
    crash_at: str | None = None

    def pause_s(self, attempt: int) -> float:
        """The pause before redelivering after failed attempt number `attempt`."""
        return backoff_window_s(attempt, self.backoff_ms / 1000, self.backoff_max_ms / 1000)


class Redeliver(Exception):
    """The record failed, its attempt is counted (or could not be) and the pause is over:
    the subscriber must seek back so it is delivered again."""


PERMANENT_HANDLER_ERRORS: tuple[type[Exception], ...] = (RejectMessage, ValidationError)
"""Handler errors that no retry can cure: a handler's own refusal, and a payload (`data`)
that fails its schema (`cascade.shared.payloads` models raise pydantic's ValidationError)."""


class IdempotentConsumer:
    """Runs a handler at most once per idempotency key, effect and claim committed together.

    Every failure between "bytes arrived" and "handler done" ends in one of three ways:
    dead-lettered at once (malformed bytes, a permanent handler error), counted and
    redelivered after a pause (dead-lettered at the limit), or — when even the count cannot
    be written because the database is unreachable — redelivered after a pause that grows
    with each consecutive such failure, so an outage never turns into a hot loop.
    """

    def __init__(
        self,
        name: str,
        handler: Handler,
        session_factory: async_sessionmaker[AsyncSession],
        policy: ConsumerPolicy,
        accepts: Accepts | None = None,
        decode: Decode | None = None,
    ) -> None:
        self.name = name
        self._handler = handler
        self._accepts = accepts
        self._decode = decode
        self._factory = session_factory
        self._policy = policy
        # Consecutive failures whose attempt could not be recorded (database unreachable).
        self._unrecorded = 0

    async def process(self, record: RecordView) -> None:
        """Process one record; raises Redeliver only when it must be delivered again."""
        try:
            await self._process(record)
        except Redeliver:
            raise
        except Exception as exc:
            # The bookkeeping itself failed (typically the database is down): nothing could be
            # counted, so the pause grows in memory instead and the record comes back later.
            self._unrecorded += 1
            pause = self._policy.pause_s(self._unrecorded)
            log.warning(
                "%s: %s not processed and not counted (%s); redelivering in %.2fs",
                self.name,
                record.ref,
                _describe(exc)[:300],
                pause,
            )
            await asyncio.sleep(pause)
            raise Redeliver(record.ref) from exc
        self._unrecorded = 0

    async def _process(self, record: RecordView) -> None:
        try:
            envelope = self._decode(record) if self._decode else Envelope.from_bytes(record.value)
        except MemoryError as exc:
            # Perhaps only this moment's memory pressure: counted like any handler failure.
            await self._after_failure(record, exc)
            return
        except RejectMessage as exc:
            log.error("%s: %s rejected, dead-lettered: %s", self.name, record.ref, exc)
            await self._dead_letter(record, f"rejected: {exc}", attempts=1)
            return
        except Exception as exc:
            # Parsing is a pure function of the bytes: whatever it raised (ValueError,
            # ValidationError, a depth limit, ...) it raises again. Dead-letter on attempt one.
            await self._dead_letter(record, f"malformed envelope: {_describe(exc)}", attempts=1)
            return
        try:
            if self._accepts is not None and not self._accepts(envelope):
                # Nothing to do and nothing done: no claim is needed to do nothing once (a
                # gate's approval passing by the email sender, say: a commit per run saved),
                # and no span either: a run's trace shows the work, not who passed it by.
                return
        except Exception as exc:
            await self._failed(record, exc)
            return
        # The `process` span continues the producer's (the record's `traceparent`), so what
        # the handler stages and inserts carries the run's trace on.
        with continued_span(
            f"process {record.topic}",
            header_traceparent(record.headers),
            kind=SpanKind.CONSUMER,
            attributes={
                **consumer_attributes(
                    record.topic, record.partition, record.offset, record.key, self.name
                ),
                MESSAGE_ID: str(envelope.id),
            },
        ):
            await self._handle(record, envelope)

    async def _handle(self, record: RecordView, envelope: Envelope) -> None:
        try:
            await self._apply(envelope)
        except Exception as exc:
            await self._failed(record, exc)
            return
        crash_point(self._policy.crash_at, f"{self.name}_after_commit")

    async def _failed(self, record: RecordView, exc: Exception) -> None:
        # A refusal or an invalid payload would fail the same way again: dead-lettered at
        # once. Anything else may pass next time: counted and redelivered.
        if isinstance(exc, PERMANENT_HANDLER_ERRORS):
            await self._refuse(record, exc)
        else:
            await self._after_failure(record, exc)

    async def _refuse(self, record: RecordView, exc: Exception) -> None:
        reason = "rejected" if isinstance(exc, RejectMessage) else "invalid payload"
        log.error("%s: %s %s, dead-lettered: %s", self.name, record.ref, reason, exc)
        await self._dead_letter(record, f"{reason}: {_describe(exc)}", attempts=1)

    async def _apply(self, envelope: Envelope) -> None:
        kind = envelope.data.get("workflow_type")
        with bound_run(envelope.run_id, kind if isinstance(kind, str) else None):
            async with UnitOfWork(self._factory) as uow:
                if not await claim(uow.session, self.name, envelope.idempotency_key):
                    log.info("%s: duplicate %s skipped", self.name, envelope.idempotency_key)
                    return
                await self._handler(envelope, uow)
                await uow.commit()

    async def _after_failure(self, record: RecordView, exc: BaseException) -> None:
        attempts = await self._count_attempt(record, exc)
        self._unrecorded = 0
        if attempts >= self._policy.max_attempts:
            log.error("%s: %s failed %d times, dead-lettered", self.name, record.ref, attempts)
            await self._dead_letter(record, _describe(exc), attempts)
            return
        pause = self._policy.pause_s(attempts)
        # The traceback once per record, then one line per attempt.
        log.warning(
            "%s: %s failed (attempt %d), redelivering in %.2fs: %s",
            self.name,
            record.ref,
            attempts,
            pause,
            _describe(exc)[:500],
            exc_info=exc if attempts == 1 else None,
        )
        await asyncio.sleep(pause)
        raise Redeliver(record.ref) from exc

    async def _count_attempt(self, record: RecordView, exc: BaseException) -> int:
        # Its own transaction: the handler's transaction was rolled back with its error.
        stmt = (
            insert(DeliveryAttempt)
            .values(
                consumer=self.name, message_ref=record.ref, attempts=1, last_error=_describe(exc)
            )
            .on_conflict_do_update(
                index_elements=["consumer", "message_ref"],
                set_={
                    "attempts": DeliveryAttempt.attempts + 1,
                    "last_error": _describe(exc),
                    "updated_at": func.now(),
                },
            )
            .returning(DeliveryAttempt.attempts)
        )
        async with UnitOfWork(self._factory) as uow:
            attempts = (await uow.session.execute(stmt)).scalar_one()
            await uow.commit()
        return int(attempts)

    async def _dead_letter(self, record: RecordView, error: str, attempts: int) -> None:
        # The record's own headers travel with it (a binary-mode CloudEvent's attributes are
        # its ce_* headers), kept in the row too so that a redrive re-publishes them.
        own = {n: v.decode("utf-8", "replace").replace("\x00", "") for n, v in record.headers}
        async with UnitOfWork(self._factory) as uow:
            inserted = await uow.session.execute(
                insert(DeadLetter)
                .values(
                    consumer=self.name,
                    message_ref=record.ref,
                    topic=record.topic,
                    key=record.key,
                    payload=record.value,
                    headers=own,
                    error=error,
                    attempts=attempts,
                )
                .on_conflict_do_nothing()
                .returning(DeadLetter.id)
            )
            if inserted.first() is not None:
                # Then the reason.
                headers = {
                    **own,
                    "x-cascade-error": error[:2000],
                    "x-cascade-consumer": self.name,
                    "x-cascade-origin": record.ref,
                }
                stage_raw(uow.session, dlq_name(record.topic), record.value, record.key, headers)
            await uow.commit()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:4000]
