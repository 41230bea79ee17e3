"""The fault suite's one wait on the clock, for where time itself is the input: how long an
outage lasts, the pace of the load, a client's back-off, the rest between two looks at
something that rings no bell. Waiting for a *condition* uses a barrier instead (the load's
progress, a process's exit, `eventually` on the rows)."""

from __future__ import annotations

import asyncio


async def hold(seconds: float) -> None:
    """Let `seconds` pass (none when not positive)."""
    # No barrier fits: the length of the wait is what the scenario means (an outage of 5 s).
    await asyncio.sleep(max(0.0, seconds))
