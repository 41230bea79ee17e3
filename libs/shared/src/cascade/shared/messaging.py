"""Kafka wiring with safe defaults: idempotent producer, ack after commit, bounded retries."""

from __future__ import annotations

import logging
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from cascade.shared.consumer import IdempotentConsumer, RecordView
from cascade.shared.outbox import Publish
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name


def build_broker(settings: Settings, client_id: str) -> KafkaBroker:
    """A broker whose producer waits for all in-sync replicas and never duplicates on retry."""
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        logger=logging.getLogger(f"cascade.{client_id}.kafka"),
    )


def broker_publisher(broker: KafkaBroker) -> Publish:
    """The outbox relay's publish function over a started broker."""

    async def publish(topic: str, value: bytes, key: str | None, headers: dict[str, str]) -> None:
        await broker.publish(
            value, topic=topic, key=key.encode() if key is not None else None, headers=headers
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
    )


def subscribe(
    broker: KafkaBroker, settings: Settings, topic: Topic, consumer: IdempotentConsumer
) -> None:
    """Attach `consumer` to `topic` with offsets committed only after its DB commit.

    NACK_ON_ERROR: an exception seeks back to the failed record (redelivery), success
    commits the offset. The consumer itself bounds the redeliveries and dead-letters, so
    no record can block its partition forever.
    """
    physical = topic_name(settings.topic_prefix, topic)

    @broker.subscriber(
        physical,
        group_id=f"{settings.consumer_group_prefix}.{consumer.name}",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        max_poll_records=50,
    )
    async def on_record(message: KafkaMessage) -> None:
        await consumer.process(_record_view(message))
