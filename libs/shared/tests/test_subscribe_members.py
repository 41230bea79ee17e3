"""`subscribe` sizes a subscription's group: busy ones get `consumer_workers` members, quiet
ones one, and no member's fetch loop wakes more often than its fetch returns."""

from __future__ import annotations

from typing import Any, cast

from faststream.kafka.subscriber.usecase import (
    ConcurrentBetweenPartitionsSubscriber,
    DefaultSubscriber,
)

from cascade.shared.consumer import ConsumerPolicy, IdempotentConsumer
from cascade.shared.messaging import build_broker, subscribe
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic


async def _nothing(*_: object) -> None:
    return None


def _subscribed(quiet: bool) -> Any:
    settings = Settings(consumer_workers=3, kafka_fetch_max_wait_ms=4000)
    broker = build_broker(settings, client_id="test")
    consumer = IdempotentConsumer("probe", _nothing, cast(Any, None), ConsumerPolicy())
    subscribe(broker, settings, Topic.PROPOSAL_REJECTED, consumer, quiet=quiet)
    (sub,) = broker.subscribers
    return sub


def test_a_busy_subscription_runs_consumer_workers_members() -> None:
    sub = _subscribed(quiet=False)
    assert isinstance(sub, ConcurrentBetweenPartitionsSubscriber)
    assert sub.max_workers == 3


def test_a_quiet_subscription_runs_one_member_that_commits_after_the_handler() -> None:
    sub = _subscribed(quiet=True)
    assert type(sub) is DefaultSubscriber
    assert sub._connection_args["enable_auto_commit"] is False


def test_the_fetch_loop_wakes_no_more_often_than_a_fetch_returns() -> None:
    for quiet in (False, True):
        args = _subscribed(quiet)._connection_args
        assert args["consumer_timeout_ms"] == args["fetch_max_wait_ms"] == 4000
