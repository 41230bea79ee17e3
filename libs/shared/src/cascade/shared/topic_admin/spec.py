"""The declared topics: name, partitions, replication and the topic configs Cascade owns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cascade.shared.topic_admin.settings import TopicSettings
from cascade.shared.topics import DLQ_SUFFIX

#: The topic configs a spec sets and `plan` compares; any other config of a topic is the
#: operator's and left as it is.
MANAGED_CONFIGS = ("min.insync.replicas", "retention.ms", "cleanup.policy")


@dataclass(frozen=True)
class TopicShape:
    """A topic in the terms `plan` compares, whether declared (`TopicSpec`) or described by
    the cluster (`cascade.shared.topic_admin.plan.TopicState`)."""

    name: str
    partitions: int
    replication_factor: int
    #: Values of `MANAGED_CONFIGS`.
    configs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicSpec(TopicShape):
    """One topic as it should be."""

    def describe(self) -> str:
        """`partitions=3 replication=3 min.insync.replicas=2 ...`, for a plan's lines."""
        parts = [f"partitions={self.partitions}", f"replication={self.replication_factor}"]
        return " ".join(parts + [f"{k}={v}" for k, v in sorted(self.configs.items())])


def topic_specs(names: Iterable[str], settings: TopicSettings) -> list[TopicSpec]:
    """A spec per physical topic name; dead-letter topics keep their records longer."""
    specs = []
    for name in names:
        retention = (
            settings.dlq_retention_ms if name.endswith(DLQ_SUFFIX) else settings.retention_ms
        )
        configs = {
            "min.insync.replicas": str(settings.min_insync_replicas),
            "retention.ms": str(retention),
            "cleanup.policy": settings.cleanup_policy,
        }
        specs.append(TopicSpec(name, settings.partitions, settings.replication_factor, configs))
    return specs
