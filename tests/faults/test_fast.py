"""The fast subset of the fault suite (runs in `make test`): a few minutes on two cores.

Each scenario runs the real stack on its own servers, drives load, injects one kind of
fault, drains, and asserts that the checker found no violation. A scenario that fails only
because of a named defect of issue 10 is a strict xfail: remove the mark when the fix lands.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.faults.collect import new_run_ids
from tests.faults.harness import FaultStack
from tests.faults.injectors import publish_forged, publish_poison
from tests.faults.scenario import Scenario, failure_text, run_scenario

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.timeout(600)]


async def test_runner_killed_mid_load_loses_and_duplicates_nothing(
    fault_stack: FaultStack,
) -> None:
    async def kill_runner(sc: Scenario) -> None:
        await asyncio.sleep(3)
        await sc.stack.kill9("runner")
        sc.faults["kill9_runner"] += 1
        await asyncio.sleep(2)
        await sc.stack.restart("runner")

    report = await run_scenario(fault_stack, runs=10, rate=2.0, during=kill_runner)
    assert report.ok, failure_text(fault_stack, report)
    assert report.counts["runs_completed"] == 10
    assert report.counts["emails_sent"] == 10


async def test_netsuite_500_burst_is_retried_to_one_record_per_run(
    fault_stack: FaultStack,
) -> None:
    async def burst(sc: Scenario) -> None:
        await sc.stack.netsuite_fault("error500", 4)
        sc.faults["netsuite_500"] += 4

    report = await run_scenario(fault_stack, runs=6, rate=2.0, before=burst)
    assert report.ok, failure_text(fault_stack, report)
    assert report.counts["runs_completed"] == 6
    assert report.counts["netsuite_records"] == 6


async def test_poison_records_are_dead_lettered_and_jam_nothing(fault_stack: FaultStack) -> None:
    async def poison(sc: Scenario) -> None:
        sc.injected += await publish_poison(sc.stack)
        sc.faults["poison_batch"] += 1

    report = await run_scenario(fault_stack, runs=4, rate=2.0, before=poison, drain_within=45)
    assert report.ok, failure_text(fault_stack, report)
    assert report.counts["runs_completed"] == 4


async def test_forged_events_change_nothing(fault_stack: FaultStack) -> None:
    async def forge(sc: Scenario) -> None:
        targets = sorted(sc.load.decoys) + new_run_ids(1)
        sc.injected += await publish_forged(sc.stack, targets)
        sc.faults["forged_batch"] += 1

    report = await run_scenario(
        fault_stack, runs=3, rate=2.0, before=forge, decoys=2, drain_within=45
    )
    assert report.ok, failure_text(fault_stack, report)


async def test_smtp_outage_sends_every_approved_email_once(fault_stack: FaultStack) -> None:
    async def outage(sc: Scenario) -> None:
        sc.stack.smtp_down()
        sc.faults["smtp_down"] += 1

    async def back_later(sc: Scenario) -> None:
        await asyncio.sleep(12)  # the outage spans the approvals of every email
        sc.stack.smtp_up()

    report = await run_scenario(
        fault_stack, runs=4, rate=2.0, before=outage, during=back_later, drain_within=120
    )
    assert report.ok, failure_text(fault_stack, report)
    assert report.counts["emails_sent"] == 4
