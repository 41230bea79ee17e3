"""The real chain: runner, ns-pusher against the simulator, and the verifier, on the wire.

The test plays only the approvals service (a `proposal.approved` as it publishes it). The
verify windows are scaled down (15 minutes become 4.5 s); the checks are the contract's.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cascade.devstack.wire import (
    decide_on_wire,
    events_of,
    request_run,
    wait_outbox_sent,
    wait_status,
)
from cascade.shared.db.models import Customer
from cascade.shared.payloads import VerifyResultEvent
from cascade.shared.topics import Topic

from .harness import VerifyHarness

pytestmark = pytest.mark.integration
SCALE = {"CASCADE_VERIFY_WINDOW_SCALE": "0.005"}
CHECKS = (
    "customer_persisted",
    "ns_customer_reflects",
    "ns_customer_matches",
    "first_quote_context_stored",
)
INPUTS = {
    "company_name": "Verified Widgets, Inc.",
    "contact_email": "ops@verified-widgets.example",
    "billing_address": "1 Main St",
    "pricing_tier": "gold",
}


async def test_after_a_happy_run_every_check_passes(harness: VerifyHarness) -> None:
    settings, factory = harness.settings, harness.factory
    netsuite = harness.netsuite_env()
    harness.start_service("runner", SCALE)
    harness.start_service("ns_pusher", {**netsuite, "CASCADE_NS_PUSH_POLL_MS": "50"})
    harness.start_verifier(**SCALE)

    run_id = await request_run(settings, INPUTS)
    harness.run_id = run_id
    await wait_status(factory, run_id, "awaiting_approval")
    await decide_on_wire(factory, settings, run_id, approve=True)
    await wait_status(factory, run_id, "completed")

    for name in CHECKS:
        row = await harness.wait_final(name, within=30)
        assert row["status"] == "pass", (name, row["detail"])
        assert row["attempts"] == 1, name
    async with factory() as session:
        customer = (await session.scalars(select(Customer))).one()
    matched = (await harness.check("ns_customer_matches"))["detail"]
    assert matched["netsuite"]["id"] == customer.netsuite_id
    assert matched["mirror"]["companyname"] == "Verified Widgets, Inc."
    await wait_outbox_sent(factory)
    results = await events_of(settings, (Topic.VERIFY_RESULT,), run_id)
    assert sorted(VerifyResultEvent.model_validate(r.data).check_name for r in results) == sorted(
        CHECKS
    )
    assert all(r.data["status"] == "pass" for r in results)
    assert await events_of(settings, (Topic.WORKFLOW_ALERT,), run_id) == []
