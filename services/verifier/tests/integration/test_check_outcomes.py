"""What a check ends as: pass, fail after retrying to its deadline, timeout, broken, skipped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete

from cascade.shared.db.models import Customer, VerifyResult
from cascade.shared.payloads import WorkflowAlert
from cascade.shared.topics import Topic
from cascade.verifier.events import VerifyResultEvent

from .harness import VerifyHarness
from .specs import sql_spec

pytestmark = pytest.mark.integration


def results_by_check(envelopes: list[Any]) -> dict[str, VerifyResultEvent]:
    events = [VerifyResultEvent.model_validate(e.data) for e in envelopes]
    return {event.check_name: event for event in events}


async def test_a_customer_deleted_before_the_5s_check_fails_with_a_result_and_an_alert(
    harness: VerifyHarness,
) -> None:
    harness.start_verifier()
    kept = await harness.customer("Kept Co")
    doomed = await harness.customer("Doomed Co")
    # The contract's 5 s window, unscaled; the deadline 2 s later so the test ends soon.
    await harness.stage(
        "customer_persisted", sql_spec(harness.settings, "customer_persisted", doomed), 5, 2
    )
    await harness.stage(
        "kept_persisted", sql_spec(harness.settings, "customer_persisted", kept), 5, 2
    )
    await harness.end_run()
    async with harness.factory() as session, session.begin():
        await session.execute(delete(Customer).where(Customer.id == doomed.id))

    failed = await harness.wait_final("customer_persisted")
    passed = await harness.wait_final("kept_persisted")

    assert failed["status"] == "fail"
    assert failed["attempts"] >= 2, "retried until the deadline before failing for good"
    assert failed["executed_at"] >= failed["deadline_at"]
    assert failed["detail"]["rows"] == 0
    assert failed["detail"]["reason"] == "0 row(s) returned, expected rows"
    assert (passed["status"], passed["attempts"]) == ("pass", 1)
    results = results_by_check(await harness.wait_events(Topic.VERIFY_RESULT, 2))
    assert results["customer_persisted"].status == "fail"
    assert results["customer_persisted"].attempts == failed["attempts"]
    assert results["kept_persisted"].status == "pass"
    [alert] = await harness.wait_events(Topic.WORKFLOW_ALERT, 1)
    payload = WorkflowAlert.model_validate(alert.data)
    assert alert.run_id == harness.run_id
    assert (payload.reason, payload.context["check_name"]) == ("verify_fail", "customer_persisted")


async def test_a_check_sleeping_past_the_statement_timeout_ends_as_timeout(
    harness: VerifyHarness,
) -> None:
    harness.start_verifier(CASCADE_VERIFY_STATEMENT_TIMEOUT_MS="300")
    spec = {
        "kind": "sql",
        "sql": "SELECT 1 AS one FROM pg_sleep(3)",
        "params": {},
        "expect": "rows",
    }
    await harness.stage("slow_check", spec, 0, 1.5)
    await harness.end_run()

    row = await harness.wait_final("slow_check")

    assert row["status"] == "timeout"
    assert row["detail"]["timed_out"] is True
    assert row["detail"]["sqlstate"] == "57014"
    # Cancelled by the server's statement_timeout (57014 and its message), not waited out.
    assert "statement timeout" in row["detail"]["error"], row["detail"]
    [result] = await harness.wait_events(Topic.VERIFY_RESULT, 1)
    assert VerifyResultEvent.model_validate(result.data).status == "timeout"
    [alert] = await harness.wait_events(Topic.WORKFLOW_ALERT, 1)
    assert WorkflowAlert.model_validate(alert.data).reason == "verify_timeout"


async def test_a_check_that_tries_to_write_fails_at_once_and_writes_nothing(
    harness: VerifyHarness,
) -> None:
    harness.start_verifier()
    await harness.customer("Survivor Co")
    spec = {"kind": "sql", "sql": "DELETE FROM customers RETURNING id", "params": {}}
    await harness.stage("writing_check", {**spec, "expect": "no_rows"}, 0, 60)
    await harness.end_run()

    row = await harness.wait_final("writing_check")

    assert (row["status"], row["attempts"]) == ("fail", 1), "broken: no retry to the deadline"
    assert row["detail"]["sqlstate"] == "25006"
    assert [c.companyname for c in await harness.customers()] == ["Survivor Co"]


async def test_a_skipped_check_is_reported_once_and_never_run(harness: VerifyHarness) -> None:
    harness.start_verifier()
    async with harness.factory() as session, session.begin():
        session.add(
            VerifyResult(
                run_id=harness.run_id,
                check_name="ns_customer_reflects",
                kind="sql",
                status="skipped",
                spec={"kind": "sql", "skipped_because": "'unbound parameters: netsuite_id'"},
                due_at=datetime.now(UTC),
            )
        )
    await harness.end_run(status="partial")
    await harness.end_run(status="partial")

    [result] = await harness.wait_events(Topic.VERIFY_RESULT, 1)
    event = VerifyResultEvent.model_validate(result.data)
    assert (event.status, event.check_name) == ("skipped", "ns_customer_reflects")
    assert "netsuite_id" in event.reason
    row = await harness.check("ns_customer_reflects")
    assert (row["status"], row["attempts"]) == ("skipped", 0)
    assert await harness.events(Topic.WORKFLOW_ALERT) == []
