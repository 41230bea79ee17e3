"""`cascade admin topics` against the test profile's real cluster: create, re-apply changes
nothing, drift is reported (and what apply can fix, fixed)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from cascade.devstack.infra import StackEndpoints
from cascade.devstack.kafka_inspect import delete_topics
from cascade.devstack.paths import repo_root
from cascade.devstack.waiting import eventually
from cascade.shared.settings import kafka_servers
from cascade.shared.topic_admin import cli, kafka_io
from cascade.shared.topic_admin.plan import Change
from cascade.shared.topic_admin.provision import apply_topics, plan_for, project_topics
from cascade.shared.topic_admin.spec import topic_specs

pytestmark = pytest.mark.integration


async def _out_of_band(bootstrap: str, grow: dict[str, int], configs: dict[str, str]) -> None:
    """What an operator's hand (or another tool) does to the cluster behind our back; done
    once every topic grown shows its partitions and every config its new value (brokers learn
    of both a moment apart: a plan read before that saw no config drift to put back)."""
    altered = {t: tuple(kv.split("=", 1)) for t, kv in configs.items()}
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_servers(bootstrap))
    await admin.start()
    try:
        if grow:
            await admin.create_partitions({t: NewPartitions(n) for t, n in grow.items()})
        for topic, (key, value) in altered.items():
            await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic, {key: value})]
            )
    finally:
        await admin.close()

    async def grown() -> bool:
        async with kafka_io.admin_client(bootstrap, 30) as admin:
            cluster = await kafka_io.describe(admin, [*grow, *altered])
        return all(cluster.topics[t].partitions == n for t, n in grow.items()) and all(
            cluster.topics[t].configs.get(key) == value for t, (key, value) in altered.items()
        )

    for _ in range(3):  # three reads in a row, from whichever brokers the clients pick
        await eventually(grown, within=30)


async def test_apply_creates_then_changes_nothing_then_reports_drift(
    stack: StackEndpoints,
) -> None:
    declared = stack.topic_settings()
    prefix = f"ta{uuid.uuid4().hex[:8]}."
    main, dlq = f"{prefix}intake.requested", f"{prefix}intake.requested.dlq"
    specs = topic_specs([main, dlq], declared)
    try:
        first = await apply_topics(stack.kafka_bootstrap, specs, 30)
        assert [a.change for a in first.plan.actions] == [Change.CREATE, Change.CREATE]
        async with kafka_io.admin_client(stack.kafka_bootstrap, 30) as admin:
            cluster = await kafka_io.describe(admin, [main, dlq])
        created = cluster.topics[main]
        assert (created.partitions, created.replication_factor) == (
            declared.partitions,
            declared.replication_factor,
        )
        assert created.configs["min.insync.replicas"] == str(declared.min_insync_replicas)
        assert cluster.topics[dlq].configs["retention.ms"] == str(declared.dlq_retention_ms)

        again = await apply_topics(stack.kafka_bootstrap, specs, 30)
        assert again.plan.clean
        assert again.plan.in_sync == (main, dlq)

        await _out_of_band(stack.kafka_bootstrap, {main: 5}, {dlq: "retention.ms=1000"})
        drifted = await apply_topics(stack.kafka_bootstrap, specs, 30)
        assert [(d.topic, d.field, d.actual) for d in drifted.plan.drift] == [
            (main, "partitions", "5")
        ]
        assert [(a.spec.name, a.change) for a in drifted.plan.actions] == [
            (dlq, Change.ALTER_CONFIGS)
        ]
        # The config was put back; the partitions stay, reported again on every run.
        after = await plan_for(stack.kafka_bootstrap, specs, 30)
        assert after.actions == ()
        assert [d.topic for d in after.drift] == [main]
    finally:
        await delete_topics(stack.kafka_bootstrap, [main, dlq])


def test_cli_exit_codes(stack: StackEndpoints, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = f"tc{uuid.uuid4().hex[:8]}."
    for key, value in stack.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CASCADE_CONTRACTS_DIR", str(repo_root() / "contracts"))
    names = project_topics(prefix, repo_root() / "contracts")
    try:
        assert cli.main(["topics", "plan", "--prefix", prefix]) == cli.DRIFT  # all missing
        assert cli.main(["topics", "apply", "--prefix", prefix]) == cli.OK
        assert cli.main(["topics", "apply", "--prefix", prefix]) == cli.OK
        assert cli.main(["topics", "plan", "--prefix", prefix]) == cli.OK
        asyncio.run(_out_of_band(stack.kafka_bootstrap, {names[0]: 4}, {}))
        assert cli.main(["topics", "plan", "--prefix", prefix]) == cli.DRIFT
        assert cli.main(["topics", "apply", "--prefix", prefix]) == cli.DRIFT
        unreachable = ["topics", "plan", "--prefix", prefix, "--bootstrap", "127.0.0.1:9"]
        assert cli.main(unreachable) == cli.UNREACHABLE
    finally:
        asyncio.run(delete_topics(stack.kafka_bootstrap, names))
