"""`ns.push` (`handlers.mark_push_due`) and a retry request (`retry_requests.retry_push`) on
the in-memory unit of work."""

from __future__ import annotations

import uuid

import pytest

from cascade.ns_pusher.handlers import UnknownPush, mark_push_due
from cascade.ns_pusher.retry_requests import retry_push
from cascade.shared.db.models import NsPendingPush
from cascade.shared.db.statuses import PushStatus
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.topics import Topic

from .fakes import FakePusherWork

RUN = uuid.UUID("3c9d0000-0000-4000-8000-000000000001")


def push(status: str = PushStatus.PENDING) -> NsPendingPush:
    return NsPendingPush(
        id=4, run_id=RUN, record_type="customer", external_id="cust-1", status=status
    )


def ns_push(external_id: str = "cust-1", push_id: int = 4) -> Envelope:
    data = {"push_id": push_id, "record_type": "customer", "external_id": external_id}
    return new_envelope(Topic.NS_PUSH, "cascade.runner", RUN, data, key_suffix=str(push_id))


async def test_a_staged_push_is_made_due() -> None:
    uow = FakePusherWork(push())
    await mark_push_due(uow, ns_push())
    assert uow.pushes.marked == [4]
    assert uow.staged == []


async def test_a_push_past_pending_is_left_as_it_is() -> None:
    uow = FakePusherWork(push(PushStatus.APPLIED))
    await mark_push_due(uow, ns_push())  # a redelivery after it was pushed
    assert uow.pushes.marked == []


async def test_an_event_naming_a_missing_push_is_refused() -> None:
    with pytest.raises(UnknownPush, match="push 5, which does not exist"):
        await mark_push_due(FakePusherWork(push()), ns_push(push_id=5))


@pytest.mark.parametrize("status", [PushStatus.PENDING, PushStatus.APPLIED])
async def test_an_event_naming_another_record_is_refused(status: str) -> None:
    # Marked or not, the row must hold what the event says (the rollback undoes a mark).
    with pytest.raises(UnknownPush, match="but that row holds customer eid:cust-1"):
        await mark_push_due(FakePusherWork(push(status)), ns_push("cust-2"))


def retry_asked() -> Envelope:
    data = {"push_id": 4, "requested_by": "mike"}
    return new_envelope(Topic.NS_PUSH_RETRY, "cascade.approvals", RUN, data, "4:1")


async def test_a_failed_push_is_retried_on_request() -> None:
    uow = FakePusherWork(push(PushStatus.FAILED))
    await retry_push(uow, retry_asked(), 5)
    assert uow.pushes.rows[4].status == PushStatus.PENDING


async def test_a_retry_of_a_push_that_did_not_fail_changes_nothing() -> None:
    uow = FakePusherWork(push(PushStatus.APPLIED))
    await retry_push(uow, retry_asked(), 5)
    assert uow.pushes.rows[4].status == PushStatus.APPLIED
