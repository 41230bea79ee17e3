"""The cluster end of topic provisioning: describe, create, add partitions, alter configs.

Everything goes through aiokafka's admin client; the results are turned into the plain
values of `plan` here, so planning never sees a protocol response.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError, KafkaError, for_code
from aiokafka.protocol.metadata import MetadataRequest

from cascade.shared.settings import kafka_servers
from cascade.shared.topic_admin.plan import ClusterState, TopicState
from cascade.shared.topic_admin.spec import MANAGED_CONFIGS, TopicSpec

UNKNOWN_TOPIC = 3
TOPIC_ALREADY_EXISTS = 36
#: DescribeConfigs' config_source of a value set on the topic itself.
DYNAMIC_TOPIC_CONFIG = 1


class KafkaUnreachable(Exception):
    """No broker of the bootstrap list answered."""


class ProvisionError(Exception):
    """The cluster refused a change."""


@asynccontextmanager
async def admin_client(bootstrap: str, timeout_s: float) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client on every server of `bootstrap`; `KafkaUnreachable` if none
    answers within `timeout_s`."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=kafka_servers(bootstrap),
        request_timeout_ms=int(timeout_s * 1000),
        client_id="cascade-topic-admin",
    )
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
    except (KafkaConnectionError, TimeoutError, OSError) as exc:
        await admin.close()
        raise KafkaUnreachable(f"no Kafka broker answers at {bootstrap}: {exc!r}") from exc
    try:
        yield admin
    finally:
        await admin.close()


async def describe(admin: AIOKafkaAdminClient, names: Sequence[str]) -> ClusterState:
    """The live brokers and every topic of `names` that exists, with its configs."""
    cluster = await admin.describe_cluster()
    described = await admin.describe_topics(list(names)) if names else []
    found: dict[str, tuple[int, int]] = {}
    for topic in described:
        if topic["error_code"] == UNKNOWN_TOPIC:
            continue
        if topic["error_code"]:
            raise for_code(topic["error_code"])(f"describing topic {topic['topic']}")
        partitions = topic["partitions"]
        replicas = min((len(p["replicas"]) for p in partitions), default=0)
        found[topic["topic"]] = (len(partitions), replicas)
    configs = await _topic_configs(admin, sorted(found))
    topics = {
        name: TopicState(
            name,
            partitions,
            replicas,
            {k: v for k, (v, _) in configs.get(name, {}).items() if k in MANAGED_CONFIGS},
            {k: v for k, (v, own) in configs.get(name, {}).items() if own},
        )
        for name, (partitions, replicas) in found.items()
    }
    return ClusterState(len(cluster.get("brokers") or ()), topics)


async def _topic_configs(
    admin: AIOKafkaAdminClient, names: Sequence[str]
) -> dict[str, dict[str, tuple[str, bool]]]:
    """name -> config -> (value, set on the topic itself)."""
    if not names:
        return {}
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    out: dict[str, dict[str, tuple[str, bool]]] = {}
    for response in await admin.describe_configs(resources):
        for resource in response.to_object()["resources"]:
            if resource["error_code"]:
                raise for_code(resource["error_code"])(
                    f"describing configs of {resource['resource_name']}: "
                    f"{resource['error_message']}"
                )
            out[resource["resource_name"]] = {
                entry["config_names"]: (entry["config_value"], _own(entry))
                for entry in resource["config_entries"]
            }
    return out


def _own(entry: Mapping[str, Any]) -> bool:
    if "config_source" in entry:
        return bool(entry["config_source"] == DYNAMIC_TOPIC_CONFIG)
    return not entry.get("is_default", True)  # DescribeConfigs v0


async def create(admin: AIOKafkaAdminClient, specs: Sequence[TopicSpec], timeout_s: float) -> None:
    """Create the topics (one that appeared meanwhile is fine) and wait for their leaders."""
    if not specs:
        return
    new = [
        NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=dict(s.configs))
        for s in specs
    ]
    response = await admin.create_topics(new, timeout_ms=int(timeout_s * 1000))
    errors = [
        f"{err[0]}: {for_code(err[1]).__name__} {err[2] if len(err) > 2 else ''}".strip()
        for err in response.topic_errors
        if err[1] not in (0, TOPIC_ALREADY_EXISTS)
    ]
    if errors:
        raise ProvisionError("creating topics failed: " + "; ".join(errors))
    await wait_for_leaders(admin, [s.name for s in specs], timeout_s)


async def add_partitions(
    admin: AIOKafkaAdminClient, totals: Mapping[str, int], timeout_s: float
) -> None:
    """Grow each topic to its total partition count."""
    if not totals:
        return
    try:
        await admin.create_partitions(
            {name: NewPartitions(total) for name, total in totals.items()},
            timeout_ms=int(timeout_s * 1000),
        )
    except KafkaError as exc:
        raise ProvisionError(f"adding partitions failed: {exc}") from exc
    await wait_for_leaders(admin, list(totals), timeout_s)


async def alter_configs(
    admin: AIOKafkaAdminClient, configs: Mapping[str, Mapping[str, str]]
) -> None:
    """Set each topic's whole set of topic-level configs."""
    if not configs:
        return
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, name, dict(values))
        for name, values in configs.items()
    ]
    errors = []
    for response in await admin.alter_configs(resources):
        for resource in response.to_object()["resources"]:
            if resource["error_code"]:
                errors.append(f"{resource['resource_name']}: {resource['error_message']}")
    if errors:
        raise ProvisionError("altering topic configs failed: " + "; ".join(errors))


async def wait_for_leaders(
    admin: AIOKafkaAdminClient, names: Sequence[str], timeout_s: float
) -> None:
    """Until every live broker's metadata gives every partition of `names` a leader."""
    deadline = time.monotonic() + timeout_s
    while True:
        cluster = await admin.describe_cluster()
        ready = set(names)
        for broker in cluster.get("brokers") or ():
            ready &= await _led_on(admin, broker["node_id"], names)
        if ready >= set(names):
            return
        if time.monotonic() >= deadline:
            raise ProvisionError(f"topics without leaders after {timeout_s}s: {set(names) - ready}")
        await asyncio.sleep(0.1)


async def _led_on(admin: AIOKafkaAdminClient, node_id: int, names: Sequence[str]) -> set[str]:
    """The topics of `names` whose every partition has a leader in `node_id`'s metadata.
    Each broker of a cluster learns of a new topic on its own, and `describe_topics` asks a
    random one: a topic one broker knows may still be unknown to the next client's."""
    response = await admin._send_request_to_node(node_id, MetadataRequest(list(names)))
    return {
        t["topic"]
        for t in response.to_object()["topics"]
        if t["error_code"] == 0
        and t["partitions"]
        and all(p["leader"] >= 0 for p in t["partitions"])
    }
