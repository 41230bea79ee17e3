"""The contract's retry policy against the simulator over HTTP (reliability scenarios 8-11).

Spacing is read from the simulator's request log (arrival times of the PUTs), never from how
long the test took. The jitter is seeded, so each wait the policy drew is known exactly.
"""

from __future__ import annotations

import itertools
import random
from datetime import datetime
from typing import Any

import pytest

from cascade.shared.leased_jobs import RetrySchedule
from cascade.shared.payloads import NsPushResult, WorkflowAlert
from cascade.shared.topics import Topic

pytestmark = pytest.mark.integration

# Polling (50 ms), the read-back and the recording transaction come on top of each wait.
SLACK_S = 1.0
ADMIN = {"Authorization": "Bearer test-admin-token"}


def gaps(calls: list[dict[str, Any]]) -> list[float]:
    times = [call["received_at"] for call in calls]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


async def test_500_500_200_applies_once_with_the_policy_spacing(harness: Any) -> None:
    harness.start_pusher(CASCADE_NS_PUSH_BACKOFF_BASE_MS="1000")
    await harness.script(kind="error500", count=2, method="PUT")
    push_id = await harness.stage("cust-8")
    await harness.publish(push_id, "cust-8")

    row = await harness.wait_status(push_id, "applied")
    calls = await harness.calls("cust-8")
    assert [call["status"] for call in calls] == [500, 500, 204]
    policy, rng = RetrySchedule(3, 1.0, 30.0), random.Random(11)
    for attempt, gap in enumerate(gaps(calls), start=1):
        drawn = policy.delay_s(attempt, rng)
        assert drawn <= gap <= drawn + SLACK_S, f"wait {attempt}: {gap:.3f}s vs {drawn:.3f}s"
        assert gap <= policy.window_s(attempt) + SLACK_S
    [record] = await harness.sim_records("cust-8")
    assert (row["attempts"], row["netsuite_id"]) == (3, record["id"])
    customer = await harness.customer("cust-8")
    assert customer.netsuite_id == record["id"]
    assert customer.lastmodifieddate == datetime.fromisoformat(record["lastModifiedDate"])
    [result] = await harness.wait_events(Topic.NS_PUSH_RESULT, 1)
    applied = NsPushResult.model_validate(result.data)
    assert (applied.status, applied.netsuite_id, applied.attempts) == ("applied", record["id"], 3)
    assert await harness.events(Topic.WORKFLOW_ALERT) == []


async def test_three_500s_stop_at_three_with_one_alert_then_mike_retries(harness: Any) -> None:
    pusher = harness.start_pusher()
    await harness.script(kind="error500", count=5, method="PUT")
    push_id = await harness.stage("cust-9")
    await harness.publish(push_id, "cust-9")

    row = await harness.wait_status(push_id, "failed")
    assert row["attempts"] == 3
    assert row["last_error"].startswith("gave up after 3 attempt(s): HTTP 500")
    assert len(await harness.calls("cust-9")) == 3
    assert await harness.remaining_faults() == 2, "a fourth attempt would have used one"
    assert await harness.sim_records("cust-9") == []
    [alert] = await harness.wait_events(Topic.WORKFLOW_ALERT, 1)
    assert "failed after 3 attempt(s)" in WorkflowAlert.model_validate(alert.data).detail
    [failed] = await harness.wait_events(Topic.NS_PUSH_RESULT, 1)
    assert NsPushResult.model_validate(failed.data).status == "failed"
    assert (await harness.customer("cust-9")).netsuite_id is None

    await harness.clear_faults()
    api = f"http://127.0.0.1:{pusher.port}/v1/ns-pushes/{push_id}/retry"
    assert (await harness.http("POST", api)).status_code == 401
    retried = await harness.http("POST", api, headers=ADMIN)
    assert retried.status_code == 202, retried.text
    row = await harness.wait_status(push_id, "applied")
    assert row["attempts"] == 4, "three calls in the first round, one in the retry's"
    results = await harness.wait_events(Topic.NS_PUSH_RESULT, 2)
    assert results[1].idempotency_key.endswith(f":{push_id}:applied:retry1")
    again = await harness.http("POST", api, headers=ADMIN)
    assert again.status_code == 409, "only failed pushes can be retried"


async def test_a_hanging_netsuite_times_out_three_times_then_fails(harness: Any) -> None:
    harness.start_pusher()
    await harness.script(kind="hang", count=5, hang_s=30, method="PUT")
    push_id = await harness.stage("cust-hang")
    await harness.publish(push_id, "cust-hang")

    row = await harness.wait_status(push_id, "failed")
    assert row["attempts"] == 3
    assert "did not answer PUT within 1s" in row["last_error"]
    assert len(await harness.calls("cust-hang")) == 3
    assert await harness.remaining_faults() == 2
    assert len(await harness.wait_events(Topic.WORKFLOW_ALERT, 1)) == 1


async def test_429_retry_after_is_respected_within_three_attempts(harness: Any) -> None:
    harness.start_pusher()
    await harness.script(kind="rate_limit", count=1, retry_after_s=2, method="PUT")
    first = await harness.stage("cust-429a")
    await harness.publish(first, "cust-429a")
    assert (await harness.wait_status(first, "applied"))["attempts"] == 2
    [wait] = gaps(await harness.calls("cust-429a"))
    assert wait >= 2.0, f"came back after {wait:.3f}s despite Retry-After: 2"

    await harness.script(kind="rate_limit", count=5, retry_after_s=1, method="PUT")
    second = await harness.stage("cust-429b")
    await harness.publish(second, "cust-429b")
    row = await harness.wait_status(second, "failed")
    assert row["attempts"] == 3
    assert "HTTP 429" in row["last_error"]
    calls = await harness.calls("cust-429b")
    assert [call["status"] for call in calls] == [429, 429, 429]
    assert all(wait >= 1.0 for wait in gaps(calls))
    assert await harness.remaining_faults() == 2
    assert len(await harness.wait_events(Topic.WORKFLOW_ALERT, 1)) == 1


async def test_commit_then_drop_creates_nothing_new(harness: Any) -> None:
    harness.start_pusher()
    await harness.script(kind="drop_after_commit", count=1, method="PUT")
    push_id = await harness.stage("cust-drop")
    await harness.publish(push_id, "cust-drop")

    row = await harness.wait_status(push_id, "applied")
    calls = await harness.calls("cust-drop")
    assert [call["fault"] for call in calls] == ["drop_after_commit", None]
    assert calls[0]["status"] is None, "the first answer never reached ns-pusher"
    [record] = await harness.sim_records("cust-drop")
    assert row["netsuite_id"] == record["id"]
    assert row["attempts"] == 2
