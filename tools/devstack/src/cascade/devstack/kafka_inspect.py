"""Read-side Kafka helpers for tests and diagnostics: produce raw, read all, measure lag."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


async def produce_raw(
    bootstrap: str,
    topic: str,
    value: bytes,
    key: str | None,
    headers: dict[str, bytes] | None = None,
) -> None:
    """Publish one record exactly as given (duplicates, garbage and odd headers included)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(
            topic,
            value,
            key=key.encode() if key else None,
            headers=list((headers or {}).items()) or None,
        )
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes]]:
    """Every record currently in `topic` (key, value), without joining any group."""
    return [(r.key, r.value) for r in await read_records(bootstrap, topic)]


async def read_records(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record currently in `topic`, headers and all, without joining any group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await _partitions(bootstrap, topic)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        for tp in partitions:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                records.extend(batch.get(tp, []))
        return records
    finally:
        await consumer.stop()


async def group_lag(bootstrap: str, group: str, topic: str) -> int:
    """Records in `topic` not yet committed by consumer group `group`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        partitions = await _partitions(bootstrap, topic)
        ends = await consumer.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
        lag = 0
        for tp in partitions:
            meta = committed.get(tp)
            done = meta.offset if meta is not None and meta.offset >= 0 else 0
            lag += ends[tp] - done
        return lag
    finally:
        await consumer.stop()
        await admin.close()


async def _partitions(bootstrap: str, topic: str) -> list[TopicPartition]:
    # The admin client asks the broker directly; a consumer's metadata cache may be stale.
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(TopicPartition(topic, p["partition"]) for d in described for p in d["partitions"])


async def delete_topics(bootstrap: str, names: list[str]) -> None:
    """Delete topics (missing ones are fine): tests clean up so the broker's open files
    stay bounded however many tests run."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(names, timeout_ms=30000)
    finally:
        await admin.close()
