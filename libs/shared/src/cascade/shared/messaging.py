"""Kafka wiring with safe defaults: idempotent producer, ack after commit, bounded retries."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.exceptions import NackMessage
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from cascade.shared.consumer import IdempotentConsumer, RecordView, Redeliver
from cascade.shared.outbox import Publish
from cascade.shared.settings import Settings, kafka_servers
from cascade.shared.topics import Topic, topic_name


def build_broker(settings: Settings, client_id: str) -> KafkaBroker:
    """A broker whose producer waits for all in-sync replicas and never duplicates on retry;
    it bootstraps from any node of the cluster."""
    return KafkaBroker(
        kafka_servers(settings.kafka_bootstrap),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        logger=logging.getLogger(f"cascade.{client_id}.kafka"),
    )


#: How long (s) a partition's records not yet handled hold back the next fetch of the
#: member's other partitions. aiokafka's default (0.1 s) lets a fetch go out without a
#: partition whose records are still being handled, and no fetch includes it again until that
#: one returns: up to `kafka_fetch_max_wait_ms` when the other partitions stay quiet. That
#: was the 2-5 s stall of submit->staged. A member handles one record at a time anyway, so it
#: fetches again once its buffer is drained (one round trip); past `max.poll.interval.ms`
#: (300 s) the group has dropped a member that slow.
WHOLE_FETCH_BACKOFF_S = 300.0


def fetch_whole_assignment(broker: KafkaBroker) -> None:
    """Make every started subscriber's aiokafka consumers fetch all their partitions at once.

    aiokafka exposes the prefetch back-off only on its (internal) Fetcher, built in
    `AIOKafkaConsumer.start`, so it is set here after `broker.start()`; a missing attribute
    (another aiokafka) fails the start instead of silently bringing the stall back.
    """
    for sub in broker.subscribers:
        members = list(getattr(sub, "consumer_subgroup", None) or [])
        single = getattr(sub, "consumer", None)
        if single is not None and single not in members:
            members.append(single)
        for member in members:
            fetcher = getattr(member, "_fetcher", None)
            if fetcher is None or not hasattr(fetcher, "_prefetch_backoff"):
                raise RuntimeError("aiokafka's Fetcher has no _prefetch_backoff to set")
            fetcher._prefetch_backoff = WHOLE_FETCH_BACKOFF_S


def broker_publisher(broker: KafkaBroker) -> Publish:
    """The outbox relay's publish function over a started broker: the record is handed to
    the producer and its ack returned unawaited, so a batch needs no round trip per record."""

    async def publish(
        topic: str, value: bytes, key: str | None, headers: dict[str, str]
    ) -> Awaitable[object]:
        return await broker.publish(
            value,
            topic=topic,
            key=key.encode() if key is not None else None,
            headers=headers,
            no_confirm=True,
        )

    return publish


def _record_view(message: Any) -> RecordView:
    record = message.raw_message
    key = record.key.decode("utf-8", "replace") if isinstance(record.key, bytes) else None
    return RecordView(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=key,
        value=record.value if isinstance(record.value, bytes) else b"",
        headers=tuple((name, value or b"") for name, value in record.headers or ()),
    )


async def tolerant_parser(
    record: ConsumerRecord[Any, Any],
    default: Callable[[ConsumerRecord[Any, Any]], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    """FastStream's parser after making the record's headers safe to read.

    FastStream decodes every header value as strict UTF-8 before our code runs, so one
    producer's binary header would raise there, uncounted, on every redelivery. Headers are
    informational to us: undecodable bytes are replaced, missing values become empty.
    """
    record.headers = tuple(
        (name, (value or b"").decode("utf-8", "replace").encode()) for name, value in record.headers
    )
    return await default(record)


async def raw_body(message: StreamMessage[Any]) -> Any:
    """A decoder that never parses: the consumer parses the bytes itself, with bounds.

    FastStream's own decoder runs `json.loads` (by content-type) before the handler, where a
    deeply nested record raised RecursionError that nothing counted and nothing dead-lettered.
    """
    return message.body


def subscribe(
    broker: KafkaBroker,
    settings: Settings,
    topic: Topic | str,
    consumer: IdempotentConsumer,
    *,
    quiet: bool = False,
) -> None:
    """Attach `consumer` to `topic` with offsets committed only after its DB commit.

    `topic` is one of Cascade's own or, for an event trigger, an outside system's (a
    contract's `trigger.sources`); either way it is prefixed like every topic.

    NACK_ON_ERROR: an exception seeks back to the failed record (redelivery), success
    commits the offset. The consumer itself bounds the redeliveries and dead-letters, so
    no record can block its partition forever. The record reaches the consumer as raw
    bytes (`tolerant_parser`, `raw_body`): nothing in FastStream parses it first.

    Concurrency is between partitions: `consumer_workers` group members (FastStream's
    `max_workers` with a manual-commit policy), each with its own aiokafka consumer working
    its partitions one record at a time. A member commits only its own positions, which
    never pass a record it has not finished, so a slow record holds back only its own
    partition (a run's records share one: the key is the run).

    A `quiet` subscription (records at the rate of people's decisions or of failures, or
    nearly all of them filtered out by the consumer's `accepts`) gets one member: it works
    every partition the same way, one record at a time, and an idle member is not free — a
    heartbeat every 3 s and an empty fetch per `kafka_fetch_max_wait_ms`, in this process
    and in the broker.

    `consumer_timeout_ms` is how often aiokafka's fetch loop wakes with nothing to do (200 ms
    by default, 5 wake-ups a second per member: two thirds of an idle member's CPU). Every
    event the loop acts on (a fetch answered, records consumed, a seek, a rebalance, a
    metadata refresh) wakes it at once, so the timer is only a safety net; an in-flight
    fetch ends within `kafka_fetch_max_wait_ms` anyway, and that is the bound used.
    """
    physical = topic_name(settings.topic_prefix, topic)

    @broker.subscriber(
        physical,
        group_id=f"{settings.consumer_group_prefix}.{consumer.name}",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_workers=1 if quiet else settings.consumer_workers,
        auto_offset_reset="earliest",
        max_poll_records=50,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        consumer_timeout_ms=settings.kafka_fetch_max_wait_ms,
        parser=tolerant_parser,
        decoder=raw_body,
    )
    async def on_record(message: KafkaMessage) -> None:
        try:
            await consumer.process(_record_view(message))
        except Redeliver as exc:
            # Counted, logged and paused by the consumer already: nack (seek back) without
            # FastStream logging the same traceback again on every redelivery.
            raise NackMessage() from exc
