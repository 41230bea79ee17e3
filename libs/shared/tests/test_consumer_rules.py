"""Unit tests of the message path's rules: back-off, what is permanent, and the consumer's
pause when not even the attempt can be recorded. No IO: the 'database' refuses in memory."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, MessageSizeTooLargeError

from cascade.shared.consumer import ConsumerPolicy, IdempotentConsumer, RecordView, Redeliver
from cascade.shared.envelope import new_envelope
from cascade.shared.outbox_failures import is_permanent


def test_redelivery_pause_doubles_and_is_capped() -> None:
    policy = ConsumerPolicy(backoff_ms=200, backoff_max_ms=1000)
    assert [policy.pause_s(n) for n in range(1, 6)] == [0.2, 0.4, 0.8, 1.0, 1.0]


def test_only_failures_no_retry_can_cure_are_permanent_for_the_relay() -> None:
    assert is_permanent(MessageSizeTooLargeError())
    assert is_permanent(TypeError("header value is not str"))
    assert not is_permanent(KafkaTimeoutError())
    assert not is_permanent(KafkaConnectionError())
    assert not is_permanent(TimeoutError())
    assert not is_permanent(ConnectionRefusedError())


def refusing_factory() -> Any:
    raise ConnectionRefusedError("[Errno 111] Connect call failed")


async def test_unrecordable_failures_pause_longer_each_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = ConsumerPolicy(backoff_ms=1, backoff_max_ms=4)
    consumer = IdempotentConsumer("unit", _never_called, refusing_factory, policy)  # type: ignore[arg-type]
    value = new_envelope("workflow.requested", "test", uuid.uuid4(), {}).to_bytes()
    record = RecordView("t", 0, 7, None, value)
    with caplog.at_level(logging.WARNING, logger="cascade.shared.consumer"):
        for _ in range(4):
            with pytest.raises(Redeliver):
                await consumer.process(record)
    pauses = [r.args[-1] for r in caplog.records if isinstance(r.args, tuple)]
    assert pauses == [0.001, 0.002, 0.004, 0.004]
    assert all("not processed and not counted" in r.getMessage() for r in caplog.records)


async def _never_called(*_args: Any) -> None:
    raise AssertionError("the handler must not run without a database")
