"""Apply the spec to a cluster: describe, plan, make the planned changes; drift is returned,
never changed. Idempotent: a second run finds every topic in sync and changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cascade.shared.contract import event_sources, load_contracts
from cascade.shared.topic_admin import kafka_io
from cascade.shared.topic_admin.plan import Change, Plan, plan_topics
from cascade.shared.topic_admin.settings import TopicSettings
from cascade.shared.topic_admin.spec import TopicSpec, topic_specs
from cascade.shared.topics import all_topic_names


def project_topics(prefix: str, contracts_dir: Path) -> list[str]:
    """Every physical topic of the project: Cascade's own, those the contracts' event
    triggers consume, and the dead-letter topic of each."""
    contracts = load_contracts(contracts_dir)
    return all_topic_names(prefix, event_sources(c.trigger for c in contracts.values()))


def project_specs(prefix: str, contracts_dir: Path, settings: TopicSettings) -> list[TopicSpec]:
    """The spec of every project topic under `prefix`."""
    return topic_specs(project_topics(prefix, contracts_dir), settings)


@dataclass(frozen=True)
class Applied:
    """What `apply_topics` found and did."""

    plan: Plan

    @property
    def drift(self) -> bool:
        """Differences were left as they are (the operator's to decide)."""
        return bool(self.plan.drift)


async def plan_for(bootstrap: str, specs: Sequence[TopicSpec], timeout_s: float) -> Plan:
    """The plan that would bring the cluster at `bootstrap` to `specs` (nothing changed)."""
    async with kafka_io.admin_client(bootstrap, timeout_s) as admin:
        return plan_topics(specs, await kafka_io.describe(admin, [s.name for s in specs]))


async def apply_topics(bootstrap: str, specs: Sequence[TopicSpec], timeout_s: float) -> Applied:
    """Create missing topics, add partitions, set configs; return the plan that was made
    (its drift untouched). New topics have leaders when this returns."""
    async with kafka_io.admin_client(bootstrap, timeout_s) as admin:
        plan = plan_topics(specs, await kafka_io.describe(admin, [s.name for s in specs]))
        by_change = {change: [a for a in plan.actions if a.change is change] for change in Change}
        await kafka_io.create(admin, [a.spec for a in by_change[Change.CREATE]], timeout_s)
        await kafka_io.add_partitions(
            admin,
            {a.spec.name: a.spec.partitions for a in by_change[Change.ADD_PARTITIONS]},
            timeout_s,
        )
        await kafka_io.alter_configs(
            admin, {a.spec.name: a.configs for a in by_change[Change.ALTER_CONFIGS]}
        )
    return Applied(plan)


async def provision(bootstrap: str, names: Sequence[str], settings: TopicSettings) -> Applied:
    """`apply_topics` for physical names declared alike by `settings` (tests, benchmarks)."""
    return await apply_topics(bootstrap, topic_specs(names, settings), settings.admin_timeout_s)
