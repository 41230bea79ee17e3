"""Consumer lag of this process's Kafka group members, read at scrape time.

Lag is, per assigned partition, the partition's high watermark (what the last fetch saw)
minus the group's committed offset (records are committed after their transaction, so the
committed offset is what was processed). Each process reports the partitions it holds; the
group's lag is the sum over its members, wherever they run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faststream.kafka import KafkaBroker
from prometheus_client.core import GaugeMetricFamily, Metric

LAG_FAMILY = "cascade_consumer_lag"
LAG_LABELS = ("group", "topic", "partition")


def _members(subscriber: Any) -> list[Any]:
    # Several group members per subscription (`consumer_workers`), or one consumer.
    members = list(getattr(subscriber, "consumer_subgroup", None) or [])
    single = getattr(subscriber, "consumer", None)
    if single is not None and single not in members:
        members.append(single)
    return members


async def partition_lags(broker: KafkaBroker) -> dict[tuple[str, str, int], int]:
    """(group, topic, partition) -> lag, for every partition this process is assigned."""
    lags: dict[tuple[str, str, int], int] = {}
    for subscriber in broker.subscribers:
        group = str(getattr(subscriber, "group_id", None) or "")
        for member in _members(subscriber):
            for tp in sorted(member.assignment(), key=lambda p: (p.topic, p.partition)):
                high = member.highwater(tp)
                if high is None:
                    continue  # no fetch answered yet: unknown, not zero
                done = await member.committed(tp)
                if done is None:
                    done = await member.position(tp)
                lags[(group, tp.topic, tp.partition)] = max(int(high) - int(done), 0)
    return lags


def lag_families(lags: dict[tuple[str, str, int], int]) -> list[Metric]:
    """The lag gauge of these partitions."""
    family = GaugeMetricFamily(
        LAG_FAMILY,
        "Records not yet processed, by consumer group and partition (high watermark minus "
        "the committed offset).",
        labels=list(LAG_LABELS),
    )
    for (group, topic, partition), lag in sorted(lags.items()):
        family.add_metric([group, topic, str(partition)], float(lag))
    return [family]


def lag_reader(broker: KafkaBroker) -> Callable[[], Awaitable[list[Metric]]]:
    """The scrape-time read of this broker's consumer lag."""

    async def read() -> list[Metric]:
        return lag_families(await partition_lags(broker))

    return read
