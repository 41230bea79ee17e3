"""The loop every poller shares: run a round, rest when idle, never die of one bad round."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from cascade.shared.backoff import backoff_window_s
from cascade.shared.wakeup import Wakeup

log = logging.getLogger(__name__)


async def wait_or_stop(stop: asyncio.Event, seconds: float, wake: Wakeup | None = None) -> None:
    """Sleep `seconds`, waking early when `stop` is set or `wake` rings."""
    if wake is None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        return
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def poll(
    stop: asyncio.Event,
    round_: Callable[[], Awaitable[int | bool]],
    idle_s: float,
    name: str,
    error_pause_s: float = 1.0,
    error_pause_max_s: float = 15.0,
    wake: Wakeup | None = None,
    idle_for: Callable[[], Awaitable[float]] | None = None,
) -> None:
    """Call `round_` until `stop` is set; rest `idle_s` after a round that found no work
    (or `await idle_for()` seconds: e.g. until the next due time, bounded by `idle_s`).

    A round that raises is logged and paused, never fatal: the work it left behind is still
    in its rows (due times, leases) and the next round picks it up. Consecutive failures
    (an outage) double the pause up to `error_pause_max_s`; the traceback is logged once per
    outage, later failures one line each. With `wake`, an idle rest ends as soon as it rings
    (`idle_s` is then only the safety net).
    """
    failures = 0
    while not stop.is_set():
        if wake is not None:
            wake.clear()
        try:
            worked = await round_()
            rest = idle_s if worked or idle_for is None else await idle_for()
        except Exception as exc:
            failures += 1
            pause = backoff_window_s(failures, error_pause_s, error_pause_max_s)
            log.warning(
                "%s: round failed (%d in a row), retrying in %.1fs: %s: %s",
                name,
                failures,
                pause,
                type(exc).__name__,
                exc,
                exc_info=exc if failures == 1 else None,
            )
            await wait_or_stop(stop, pause)
            continue
        failures = 0
        if not worked:
            await wait_or_stop(stop, rest, wake)
