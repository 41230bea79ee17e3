"""Unit tests of the repeat limit on log lines and of the pollers' back-off: no IO."""

from __future__ import annotations

import asyncio
import logging

import pytest

from cascade.shared.log_limits import RepeatFilter
from cascade.shared.polling import poll


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(message: str, *args: object, level: int = logging.WARNING) -> logging.LogRecord:
    return logging.LogRecord("cascade.test", level, __file__, 1, message, args, None)


def test_identical_lines_inside_the_window_are_suppressed_then_counted() -> None:
    clock = Clock()
    repeat = RepeatFilter(window_s=10, clock=clock)
    passed = [repeat.filter(record("db down: %s", "refused")) for _ in range(100)]
    assert passed == [True] + [False] * 99
    clock.now = 10.0
    again = record("db down: %s", "refused")
    assert repeat.filter(again)
    assert again.getMessage() == "db down: refused (99 similar suppressed)"
    assert not repeat.filter(record("db down: %s", "refused")), "a new window began"


def test_different_lines_levels_and_exceptions_are_not_suppressed() -> None:
    repeat = RepeatFilter(window_s=10, clock=Clock())
    assert repeat.filter(record("a"))
    assert repeat.filter(record("b"))
    assert repeat.filter(record("a", level=logging.ERROR))
    with_exc = record("a")
    with_exc.exc_info = (KeyError, KeyError("x"), None)
    assert repeat.filter(with_exc)


def test_memory_stays_bounded_by_max_keys() -> None:
    repeat = RepeatFilter(window_s=10, clock=Clock(), max_keys=10)
    for i in range(1000):
        assert repeat.filter(record(f"line {i}"))
    assert len(repeat._seen) == 10


async def test_a_failing_poll_round_backs_off_exponentially_and_logs_one_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    rounds = 0

    async def failing() -> bool:
        nonlocal rounds
        rounds += 1
        if rounds == 6:
            stop.set()
        raise ConnectionRefusedError("database unreachable")

    with caplog.at_level(logging.WARNING, logger="cascade.shared.polling"):
        await poll(stop, failing, 0.0, "test poller", error_pause_s=0.001, error_pause_max_s=0.004)
    pauses = [r.args[2] for r in caplog.records if isinstance(r.args, tuple)]
    assert pauses == [0.001, 0.002, 0.004, 0.004, 0.004, 0.004]
    assert [r.exc_info is not None for r in caplog.records] == [True] + [False] * 5
