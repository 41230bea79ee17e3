"""What it takes to bring a cluster to the spec: a pure diff of declared and described state.

Three changes are made by `apply`: create a missing topic, add partitions, set the managed
configs. Two differences are reported as drift and never made: fewer partitions than the
topic has (Kafka cannot remove any) and another replication factor (that is a partition
reassignment, which moves data between brokers and is the operator's to schedule). A topic
that needs more replicas than the cluster has brokers is drift too: creating it would fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from cascade.shared.topic_admin.spec import MANAGED_CONFIGS, TopicShape, TopicSpec


@dataclass(frozen=True)
class TopicState(TopicShape):
    """One existing topic as the cluster describes it: `replication_factor` is the fewest
    replicas any of its partitions has, `configs` the managed configs' effective values (a
    topic's own or the broker's default)."""

    #: Every config set on the topic itself: an alteration sends them all again, since
    #: Kafka's AlterConfigs replaces a topic's whole set.
    overrides: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ClusterState:
    """What `plan_topics` needs of a cluster: its live brokers and the spec's topics in it."""

    brokers: int
    topics: Mapping[str, TopicState]


class Change(StrEnum):
    CREATE = "create"
    ADD_PARTITIONS = "add-partitions"
    ALTER_CONFIGS = "alter-configs"


@dataclass(frozen=True)
class Action:
    """One change `apply` makes."""

    change: Change
    spec: TopicSpec
    #: What changes, for people.
    detail: str
    #: ALTER_CONFIGS: the topic's whole set of configs to send.
    configs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Drift:
    """A difference `apply` does not make: reported, for the operator to decide."""

    topic: str
    field: str
    wanted: str
    actual: str
    why: str


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...] = ()
    drift: tuple[Drift, ...] = ()
    #: Topics that already match their spec.
    in_sync: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        """The cluster matches the spec: nothing to do, nothing drifted."""
        return not self.actions and not self.drift

    def lines(self) -> list[str]:
        """The plan for people, one line per action or drift, then a summary."""
        out = [f"{a.change:<15} {a.spec.name}  {a.detail}" for a in self.actions]
        out += [
            f"{'drift':<15} {d.topic}  {d.field}: wanted {d.wanted}, actual {d.actual} ({d.why})"
            for d in self.drift
        ]
        out.append(
            f"{len(self.in_sync)} in sync, {len(self.actions)} to change, "
            f"{len(self.drift)} drifted (not changed by apply)"
        )
        return out


REPLICATION_WHY = (
    "changing replication is a partition reassignment (kafka-reassign-partitions.sh); "
    "apply does not move data"
)
SHRINK_WHY = "Kafka cannot remove partitions; a smaller spec needs a new topic"
BROKERS_WHY = "the cluster has fewer live brokers than replicas; the topic cannot be created"


def plan_topics(specs: Sequence[TopicSpec], cluster: ClusterState) -> Plan:
    """The actions and drift that separate `cluster` from `specs`."""
    actions: list[Action] = []
    drift: list[Drift] = []
    in_sync: list[str] = []
    for spec in specs:
        state = cluster.topics.get(spec.name)
        if state is None:
            if spec.replication_factor > cluster.brokers:
                drift.append(
                    Drift(
                        spec.name,
                        "replication_factor",
                        str(spec.replication_factor),
                        f"{cluster.brokers} brokers",
                        BROKERS_WHY,
                    )
                )
            else:
                actions.append(Action(Change.CREATE, spec, spec.describe()))
            continue
        found = list(_diff(spec, state))
        if not found:
            in_sync.append(spec.name)
        for item in found:
            if isinstance(item, Action):
                actions.append(item)
            else:
                drift.append(item)
    return Plan(tuple(actions), tuple(drift), tuple(in_sync))


def _diff(spec: TopicSpec, state: TopicState) -> Iterable[Action | Drift]:
    if spec.partitions > state.partitions:
        yield Action(
            Change.ADD_PARTITIONS,
            spec,
            f"{state.partitions} -> {spec.partitions} (new records of a key may go to "
            "another partition than its earlier ones)",
        )
    elif spec.partitions < state.partitions:
        yield Drift(
            spec.name, "partitions", str(spec.partitions), str(state.partitions), SHRINK_WHY
        )
    if spec.replication_factor != state.replication_factor:
        yield Drift(
            spec.name,
            "replication_factor",
            str(spec.replication_factor),
            str(state.replication_factor),
            REPLICATION_WHY,
        )
    changed = {
        key: (state.configs.get(key), value)
        for key, value in spec.configs.items()
        if key in MANAGED_CONFIGS and state.configs.get(key) != value
    }
    if changed:
        detail = ", ".join(f"{k}: {old} -> {new}" for k, (old, new) in sorted(changed.items()))
        configs = {**state.overrides, **{k: new for k, (_, new) in changed.items()}}
        yield Action(Change.ALTER_CONFIGS, spec, detail, configs)
