"""The fast subset of the fault suite (runs in `make test`): a few minutes on two cores.

Each scenario runs the real stack on its own servers, drives load, injects one kind of
fault, drains, and asserts that the checker found no violation. A scenario that fails only
because of a named defect of issue 10 is a strict xfail: remove the mark when the fix lands.

The NetSuite 500 burst and the SMTP outage run in the long suite (test_long.py): their
invariants keep fast variants here in `make test`, on the real servers, a service each
(ns-pusher's test_retry_policy: 500, 500, 200 applies once; approvals' test_email_jobs: an
email approved while SMTP is down is sent once when it is back; the browser's
test_email_outage: a failed send, then Resend delivers it once).
"""

from __future__ import annotations

import pytest

from tests.faults.collect import new_run_ids
from tests.faults.harness import FaultStack
from tests.faults.injectors import publish_forged, publish_poison
from tests.faults.scenario import Scenario, failure_text, run_scenario
from tests.faults.timeline import hold

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.timeout(600)]


async def test_runner_killed_mid_load_loses_and_duplicates_nothing(
    fault_stack: FaultStack,
) -> None:
    async def kill_runner(sc: Scenario) -> None:
        await sc.load.wait_submitted(6)  # mid-load: 6 of 10 runs in
        await sc.stack.kill9("runner")
        sc.faults["kill9_runner"] += 1
        await hold(2)  # the outage
        await sc.stack.restart("runner")

    report = await run_scenario(fault_stack, runs=10, rate=2.0, during=kill_runner)
    assert report.ok, failure_text(fault_stack, report)
    assert report.counts["runs_completed"] == 10
    assert report.counts["emails_sent"] == 10


# In the long suite for now: its own three-node cluster costs ~3-4 min of make test's budget.
@pytest.mark.faults_long
async def test_a_broker_killed_mid_load_loses_and_duplicates_nothing(
    cluster_fault_stack: FaultStack,
) -> None:
    """Three brokers, RF 3, min ISR 2, producers acks=all + idempotence: kill -9 the broker
    that coordinates every consumer group while runs flow; it stays down through the drain.
    Leaders move, groups find their new coordinator, and the checker finds every run
    completed exactly once (one email, one NetSuite record each)."""

    async def kill_broker(sc: Scenario) -> None:
        await sc.load.wait_submitted(6)  # mid-load: 6 of 20 runs in
        await sc.stack.kill_broker(await sc.stack.coordinator_node())
        sc.faults["kill9_broker"] += 1

    report = await run_scenario(cluster_fault_stack, runs=20, rate=2.0, during=kill_broker)
    assert report.ok, failure_text(cluster_fault_stack, report)
    assert report.counts["fault_kill9_broker"] == 1
    assert report.counts["runs_completed"] == 20
    assert report.counts["emails_sent"] == 20


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
