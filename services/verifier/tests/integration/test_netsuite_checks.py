"""`http` checks against the simulator: NetSuite must have the record and agree with the mirror."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text, update

from cascade.shared.db.models import Customer
from cascade.shared.payloads import WorkflowAlert
from cascade.shared.topics import Topic

from .harness import CREDENTIALS, VerifyHarness
from .specs import http_spec

pytestmark = pytest.mark.integration


async def test_netsuite_missing_or_disagreeing_with_the_mirror_fails(
    harness: VerifyHarness,
) -> None:
    harness.start_sim()
    agreeing = await harness.customer("Agreeing Co")
    await harness.in_netsuite(agreeing)
    drifted = await harness.customer("Drifted Co")
    await harness.in_netsuite(drifted)
    async with harness.factory() as session, session.begin():
        await session.execute(
            update(Customer).where(Customer.id == drifted.id).values(netsuite_id="999999")
        )
    never_pushed = await harness.customer("Never Pushed Co")
    harness.start_verifier()
    for name, customer in (("agree", agreeing), ("drift", drifted), ("missing", never_pushed)):
        await harness.stage(name, http_spec(str(customer.external_id)), 0, 1)
    await harness.end_run()

    assert (await harness.wait_final("agree"))["status"] == "pass"
    drift = await harness.wait_final("drift")
    missing = await harness.wait_final("missing")

    assert drift["status"] == "fail"
    assert drift["detail"]["mismatches"] == [
        f"mirror netsuite_id='999999' but NetSuite id={drift['detail']['netsuite']['id']!r}"
    ]
    assert missing["status"] == "fail"
    assert missing["detail"]["http_status"] == 404
    assert "NONEXISTENT_ID" in missing["detail"]["error"]
    alerts = await harness.wait_events(Topic.WORKFLOW_ALERT, 2)
    failed = {WorkflowAlert.model_validate(a.data).context["check_name"] for a in alerts}
    assert failed == {"drift", "missing"}
    # Each NetSuite read took a request slot of the account's pool (and gave it back).
    async with harness.factory() as session:
        taken = await session.execute(
            text("SELECT count(acquired_at), count(holder) FROM request_slots WHERE pool = :pool"),
            {"pool": f"netsuite:{CREDENTIALS['CASCADE_NETSUITE_ACCOUNT_ID']}"},
        )
    used, held = taken.one()
    assert (used >= 1, held) == (True, 0)


async def test_a_netsuite_that_hangs_past_the_deadline_ends_as_timeout(
    harness: VerifyHarness,
) -> None:
    harness.start_sim()
    customer = await harness.customer("Hanging Co")
    await harness.in_netsuite(customer)
    async with httpx.AsyncClient(timeout=10) as http:
        fault = {"kind": "hang", "count": 20, "method": "GET", "hang_s": 5}
        (await http.post(harness.sim_url + "/_sim/faults", json=fault)).raise_for_status()
    # Its start-up read of governanceLimits is a GET too: it would take one of the hangs
    # and hold the checker back for a timeout of the 1.5 s deadline.
    harness.start_verifier(
        CASCADE_NETSUITE_TIMEOUT_S="0.5", CASCADE_NETSUITE_GOVERNANCE_LIMITS="false"
    )
    await harness.stage("in_netsuite", http_spec(str(customer.external_id)), 0, 1.5)
    await harness.end_run()

    row = await harness.wait_final("in_netsuite")

    assert row["status"] == "timeout"
    assert row["attempts"] >= 2
    assert row["detail"]["timed_out"] is True
    assert "did not answer GET within 0.5s" in row["detail"]["reason"]
    [alert] = await harness.wait_events(Topic.WORKFLOW_ALERT, 1)
    assert WorkflowAlert.model_validate(alert.data).reason == "verify_timeout"
