"""The loop every poller shares: run a round, rest when idle, never die of one bad round."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, waking early when `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def poll(
    stop: asyncio.Event,
    round_: Callable[[], Awaitable[int | bool]],
    idle_s: float,
    name: str,
    error_pause_s: float = 1.0,
) -> None:
    """Call `round_` until `stop` is set; rest `idle_s` after a round that found no work.

    A round that raises is logged and paused, never fatal: the work it left behind is still
    in its rows (due times, leases) and the next round picks it up.
    """
    while not stop.is_set():
        try:
            worked = await round_()
        except Exception:
            log.exception("%s: round failed; retrying", name)
            await wait_or_stop(stop, error_pause_s)
            continue
        if not worked:
            await wait_or_stop(stop, idle_s)
