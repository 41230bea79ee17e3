"""`ns.push.retry_requested` (the approvals UI's retry button) does what the retry API does."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from cascade.devstack.kafka_inspect import produce_raw
from cascade.devstack.waiting import eventually
from cascade.shared.db.models import ProcessedMessage
from cascade.shared.envelope import new_envelope
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.integration


async def request_retry(harness: Any, push_id: int, suffix: str) -> None:
    data = {"push_id": push_id, "requested_by": "mike"}
    envelope = new_envelope(Topic.NS_PUSH_RETRY, "cascade.approvals", harness.run_id, data, suffix)
    topic = topic_name(harness.settings.topic_prefix, Topic.NS_PUSH_RETRY)
    await produce_raw(
        harness.settings.kafka_bootstrap, topic, envelope.to_bytes(), str(harness.run_id)
    )


async def test_retry_event_sends_a_failed_push_round_again(harness: Any) -> None:
    harness.start_pusher()
    await harness.script(kind="error500", count=3, method="PUT")
    push_id = await harness.stage("cust-r1")
    await harness.publish(push_id, "cust-r1")
    assert (await harness.wait_status(push_id, "failed"))["attempts"] == 3

    await harness.clear_faults()
    await request_retry(harness, push_id, f"{push_id}:first")
    row = await harness.wait_status(push_id, "applied")
    assert row["attempts"] == 4, "three calls in the first round, one in the retry's"

    # Same partition (keyed by run): once the second is handled, so is the repeat before it.
    await request_retry(harness, push_id, f"{push_id}:first")
    await request_retry(harness, push_id, f"{push_id}:second")

    async def both_handled() -> bool:
        async with harness.factory() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(ProcessedMessage)
                .where(ProcessedMessage.consumer == "ns_pusher_retry")
            )
        return count == 2  # the first and the second key; the repeat is a duplicate

    await eventually(both_handled, within=30)
    assert len(await harness.calls("cust-r1")) == 4, "an applied push is never retried"
