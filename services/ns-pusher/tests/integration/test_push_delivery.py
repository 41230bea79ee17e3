"""Delivery and identity: duplicates, competing pushers, bad credentials, a crashed pusher."""

from __future__ import annotations

from typing import Any

import pytest

from cascade.devstack.kafka_inspect import group_lag, read_all
from cascade.devstack.waiting import eventually
from cascade.shared.payloads import NsPushResult, WorkflowAlert
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.integration


async def consumed(harness: Any) -> None:
    settings = harness.settings
    group = f"{settings.consumer_group_prefix}.ns_pusher"
    topic = topic_name(settings.topic_prefix, Topic.NS_PUSH)

    async def lag_zero() -> bool:
        return await group_lag(settings.kafka_bootstrap, group, topic) == 0

    await eventually(lag_zero)


async def test_ns_push_delivered_twice_is_pushed_once(harness: Any) -> None:
    harness.start_pusher()
    push_id = await harness.stage("cust-dup")
    await harness.publish(push_id, "cust-dup")
    await harness.publish(push_id, "cust-dup")
    await harness.publish(push_id, "cust-dup", key_suffix="another-key-same-push")

    await harness.wait_status(push_id, "applied")
    await consumed(harness)
    assert len(await harness.calls("cust-dup")) == 1
    assert len(await harness.wait_events(Topic.NS_PUSH_RESULT, 1)) == 1
    assert len(await harness.sim_records("cust-dup")) == 1


async def test_a_push_made_due_by_the_consumer_is_worked_without_waiting_for_the_poll(
    harness: Any,
) -> None:
    # The pusher polls once an hour: only the ns.push consumer's commit can wake it.
    harness.start_pusher(CASCADE_NS_PUSH_POLL_MS=str(3_600_000))
    ids = {f"cust-wake-{n}": await harness.stage(f"cust-wake-{n}") for n in range(3)}
    for external_id, push_id in ids.items():
        await harness.publish(push_id, external_id)
    for push_id in ids.values():
        await harness.wait_status(push_id, "applied")


async def test_two_pushers_at_once_push_each_row_once(harness: Any) -> None:
    harness.start_pusher()
    harness.start_pusher()
    ids = {f"cust-pair-{n}": await harness.stage(f"cust-pair-{n}") for n in range(8)}
    for external_id, push_id in ids.items():
        await harness.publish(push_id, external_id)

    for push_id in ids.values():
        assert (await harness.wait_status(push_id, "applied"))["attempts"] == 1
    for external_id in ids:
        assert len(await harness.calls(external_id)) == 1, external_id
        assert len(await harness.sim_records(external_id)) == 1
    results = await harness.wait_events(Topic.NS_PUSH_RESULT, len(ids))
    pushed = sorted(NsPushResult.model_validate(r.data).push_id for r in results)
    assert pushed == sorted(ids.values())


async def test_a_wrong_secret_fails_at_once_with_a_clear_message_and_an_alert(
    harness: Any,
) -> None:
    pusher = harness.start_pusher(CASCADE_NETSUITE_TOKEN_SECRET="not-the-token-secret")
    push_id = await harness.stage("cust-401")
    await harness.publish(push_id, "cust-401")

    row = await harness.wait_status(push_id, "failed")
    assert row["attempts"] == 1
    assert "HTTP 401" in row["last_error"]
    assert "NetSuite rejected the credentials" in row["last_error"]
    assert "INVALID_LOGIN" in row["last_error"]
    [call] = await harness.calls("cust-401")
    assert call["note"] == "login failed: signature does not match"
    [alert] = await harness.wait_events(Topic.WORKFLOW_ALERT, 1)
    assert "INVALID_LOGIN" in WorkflowAlert.model_validate(alert.data).detail
    [result] = await harness.wait_events(Topic.NS_PUSH_RESULT, 1)
    assert NsPushResult.model_validate(result.data).error == row["last_error"]
    log = pusher.log_path.read_text()
    assert "not-the-token-secret" not in log
    assert "cs-it" not in log


async def test_a_validation_error_is_final_with_netsuite_detail(harness: Any) -> None:
    harness.start_pusher()
    push_id = await harness.stage("cust-400", {"externalId": "cust-400", "email": "x@y.example"})
    await harness.publish(push_id, "cust-400")

    row = await harness.wait_status(push_id, "failed")
    assert row["attempts"] == 1
    assert "HTTP 400" in row["last_error"]
    expected = "USER_ERROR: Please enter value(s) for: Company Name (at companyName)"
    assert expected in row["last_error"]
    [result] = await harness.wait_events(Topic.NS_PUSH_RESULT, 1)
    assert expected in (NsPushResult.model_validate(result.data).error or "")


async def test_a_pusher_killed_after_netsuite_answered_is_replaced_via_its_lease(
    harness: Any,
) -> None:
    doomed = harness.start_pusher(CASCADE_CRASH_AT="ns_pusher_after_netsuite")
    push_id = await harness.stage("cust-crash")
    await harness.publish(push_id, "cust-crash")
    assert doomed.wait_exit(timeout=60) == -9
    row = await harness.push_row(push_id)
    assert (row["status"], row["attempts"]) == ("in_flight", 1)
    assert len(await harness.sim_records("cust-crash")) == 1, "NetSuite committed before the crash"

    harness.start_pusher()
    row = await harness.wait_status(push_id, "applied")
    assert row["attempts"] == 2
    assert len(await harness.calls("cust-crash")) == 2
    [record] = await harness.sim_records("cust-crash")
    assert row["netsuite_id"] == record["id"]


async def test_a_pusher_killed_on_the_last_attempt_is_never_called_again(harness: Any) -> None:
    doomed = harness.start_pusher(
        CASCADE_CRASH_AT="ns_pusher_after_netsuite", CASCADE_NS_PUSH_MAX_ATTEMPTS="1"
    )
    push_id = await harness.stage("cust-last")
    await harness.publish(push_id, "cust-last")
    assert doomed.wait_exit(timeout=60) == -9

    harness.start_pusher(CASCADE_NS_PUSH_MAX_ATTEMPTS="1")
    row = await harness.wait_status(push_id, "failed")
    assert row["attempts"] == 1
    assert "answer is unknown" in row["last_error"]
    assert len(await harness.calls("cust-last")) == 1, "the policy allowed one call"
    assert len(await harness.wait_events(Topic.WORKFLOW_ALERT, 1)) == 1


async def test_ns_push_for_an_unknown_push_is_dead_lettered(harness: Any) -> None:
    harness.start_pusher()
    await harness.publish(424242, "cust-ghost")

    async def dead_lettered() -> bool:
        name = topic_name(harness.settings.topic_prefix, Topic.NS_PUSH) + ".dlq"
        return len(await read_all(harness.settings.kafka_bootstrap, name)) == 1

    await eventually(dead_lettered)
    await consumed(harness)
