"""The doorbell pollers rest on: a ring ends the rest at once, a burst of rings one round."""

from __future__ import annotations

import asyncio

from cascade.shared.polling import poll, wait_or_stop
from cascade.shared.wakeup import Wakeup


async def test_a_ring_ends_the_rest_long_before_its_timeout() -> None:
    stop, bell = asyncio.Event(), Wakeup()
    resting = asyncio.create_task(wait_or_stop(stop, 3600, bell))
    # Callbacks run in the order scheduled: the task's first step (it starts its rest)
    # before the ring, so the ring ends a rest already under way.
    asyncio.get_running_loop().call_soon(bell.ring)
    await asyncio.wait_for(resting, timeout=5)


async def test_stop_ends_the_rest_too() -> None:
    stop, bell = asyncio.Event(), Wakeup()
    resting = asyncio.create_task(wait_or_stop(stop, 3600, bell))
    stop.set()
    await asyncio.wait_for(resting, timeout=5)


async def test_the_poller_runs_a_round_per_burst_of_rings() -> None:
    stop, bell = asyncio.Event(), Wakeup()
    rounds: list[int] = []
    resting = asyncio.Event()

    async def round_() -> bool:
        rounds.append(len(rounds))
        resting.set()
        return False  # idle: rest until the bell or an hour

    poller = asyncio.create_task(poll(stop, round_, 3600, "test", wake=bell))
    await asyncio.wait_for(resting.wait(), timeout=5)
    resting.clear()
    for _ in range(5):
        bell.ring()
    await asyncio.wait_for(resting.wait(), timeout=5)
    stop.set()
    await asyncio.wait_for(poller, timeout=5)
    assert len(rounds) == 2  # the first round, then one for the five rings
