"""Time is data: checks due while no verifier ran, a verifier killed mid-check, the sweep."""

from __future__ import annotations

import pytest

from cascade.shared.topics import Topic

from .harness import VerifyHarness
from .specs import http_spec, sql_spec

pytestmark = pytest.mark.integration


async def stage_pair(harness: VerifyHarness, due_in: float) -> str:
    """A customer in the mirror and in NetSuite, with a sql and an http check about it."""
    harness.start_sim()
    customer = await harness.customer("Restart Co")
    assert customer.external_id is not None
    await harness.in_netsuite(customer)
    spec = sql_spec(harness.settings, "customer_persisted", customer)
    await harness.stage("customer_persisted", spec, due_in, 60)
    await harness.stage("in_netsuite", http_spec(customer.external_id), due_in, 60)
    return customer.external_id


async def test_a_check_due_while_the_verifier_was_stopped_runs_once_after_it_starts(
    harness: VerifyHarness,
) -> None:
    verifier = harness.start_verifier()
    verifier.stop()
    # Due a second before staging: due while no verifier runs, with nothing to wait for.
    external_id = await stage_pair(harness, due_in=-1)
    await harness.end_run()
    assert (await harness.check("customer_persisted"))["attempts"] == 0, "nobody ran it"

    harness.start_verifier()

    for name in ("customer_persisted", "in_netsuite"):
        row = await harness.wait_final(name)
        assert (row["status"], row["attempts"]) == ("pass", 1), name
    assert len(await harness.published(Topic.VERIFY_RESULT)) == 2, "each result published once"
    assert await harness.sim_reads(external_id) == 1


async def test_a_verifier_killed_after_its_claim_is_replaced_once_the_lease_ends(
    harness: VerifyHarness,
) -> None:
    # A lease never shorter than twice (statement timeout + NetSuite timeout + slot wait)
    # plus 5 s: 9 s.
    short = {
        "CASCADE_VERIFY_LEASE_S": "1",
        "CASCADE_VERIFY_STATEMENT_TIMEOUT_MS": "500",
        "CASCADE_NETSUITE_TIMEOUT_S": "1",
        "CASCADE_NETSUITE_SLOT_WAIT_S": "0.5",
    }
    doomed = harness.start_verifier(CASCADE_CRASH_AT="verifier_after_claim", **short)
    customer = await harness.customer("Crash Co")
    await harness.stage(
        "customer_persisted", sql_spec(harness.settings, "customer_persisted", customer), 0, 60
    )
    await harness.end_run()
    assert doomed.wait_exit(timeout=30) == -9
    claimed = await harness.check("customer_persisted")
    assert (claimed["status"], claimed["attempts"]) == ("running", 1)

    harness.start_verifier(**short)

    row = await harness.wait_final("customer_persisted", within=30)
    assert (row["status"], row["attempts"]) == ("pass", 2)
    assert row["executed_at"] >= claimed["lease_until"], "not before the lease ran out"
    assert len(await harness.wait_events(Topic.VERIFY_RESULT, 1)) == 1


async def test_the_cron_sweep_alone_runs_overdue_checks_once(harness: VerifyHarness) -> None:
    external_id = await stage_pair(harness, due_in=-60)
    await harness.end_run()

    # The seed's mode: no continuous poller, a sweep every two seconds (sixth field).
    verifier = harness.start_verifier(
        CASCADE_VERIFY_POLLER_ENABLED="false", CASCADE_VERIFY_SWEEP_CRON="* * * * * */2"
    )

    for name in ("customer_persisted", "in_netsuite"):
        row = await harness.wait_final(name, within=20)
        assert (row["status"], row["attempts"]) == ("pass", 1), name
    # A marker due now: the sweep that runs it comes after the one that ran the pair, and
    # it found the pair decided, so by the marker's result a re-run would have shown.
    marker = await harness.customer("Marker Co")
    await harness.stage("marker", sql_spec(harness.settings, "customer_persisted", marker), -60, 60)
    assert (await harness.wait_final("marker", within=20))["status"] == "pass"
    assert len(await harness.published(Topic.VERIFY_RESULT)) == 3, "the pair's once, the marker's"
    assert await harness.sim_reads(external_id) == 1
    assert "sweep ran 2 overdue check(s)" in verifier.log_path.read_text()
