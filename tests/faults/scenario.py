"""One fault scenario: decoys, load, faults while it runs, then drain and check.

Shared by the pytest scenarios and the soak script, so both judge a run the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from cascade.devstack.waiting import eventually
from tests.faults.checker import Injected, Report
from tests.faults.collect import _connect, drain
from tests.faults.harness import FaultStack
from tests.faults.load import LoadClient

During = Callable[["Scenario"], Awaitable[None]]


@dataclass
class Scenario:
    """The state of one scenario: the stack, the client, what was injected and done."""

    stack: FaultStack
    load: LoadClient
    injected: list[Injected] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)


async def awaiting(stack: FaultStack, run_ids: set[str]) -> bool:
    """Do all of `run_ids` wait for Mike?"""
    conn = await _connect(stack)
    try:
        rows = await conn.fetch(
            "SELECT run_id::text AS id FROM workflow_runs WHERE status = 'awaiting_approval'"
        )
    finally:
        await conn.close()
    return run_ids <= {r["id"] for r in rows}


async def run_scenario(
    stack: FaultStack,
    *,
    runs: int,
    rate: float,
    during: During | None = None,
    before: During | None = None,
    decoys: int = 0,
    drain_within: float = 180.0,
) -> Report:
    """Submit `decoys` runs never approved (and wait until they wait for Mike), run
    `before`, then `runs` at `rate`/s with Mike approving everything, `during` alongside
    the load; then drain and check."""
    sc = Scenario(stack, LoadClient(stack))
    for i in range(decoys):
        await sc.load.submit(10_000 + i, decoy=True)
    if decoys:

        async def decoys_waiting() -> bool:
            return await awaiting(stack, sc.load.decoys)

        await eventually(decoys_waiting, within=90)
    if before is not None:
        await before(sc)
    approver = asyncio.create_task(sc.load.approve_forever())
    try:
        work: list[Awaitable[None]] = [sc.load.submit_many(runs, rate)]
        if during is not None:
            work.append(during(sc))
        await asyncio.gather(*work)
    finally:
        approver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await approver
    return await drain(stack, sc.load, sc.injected, sc.faults, within=drain_within)


def failure_text(stack: FaultStack, report: Report) -> str:
    """The report and the end of every log, for an assertion message."""
    return report.summary() + "\n" + "\n".join(stack.log_tails(8))
