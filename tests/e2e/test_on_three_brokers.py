"""The e2e tests' Kafka is a three-broker cluster, its topics declared as production's."""

from __future__ import annotations

import pytest

from cascade.devstack.infra import StackEndpoints
from cascade.devstack.pytest_plugin import kafka_is_the_devstacks
from cascade.shared.settings import Settings
from cascade.shared.topic_admin import kafka_io
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.e2e


async def test_the_e2e_tests_run_on_three_brokers_at_rf3_min_isr2(
    base_stack: StackEndpoints, stack: StackEndpoints, settings: Settings
) -> None:
    if not kafka_is_the_devstacks(base_stack):
        pytest.skip("an external or container Kafka: used as given, not the local cluster")
    name = topic_name(settings.topic_prefix, Topic.WORKFLOW_REQUESTED)
    async with kafka_io.admin_client(stack.kafka_bootstrap, 30) as admin:
        cluster = await kafka_io.describe(admin, [name])
    assert len(stack.kafka_bootstrap.split(",")) == 3
    assert cluster.brokers == 3
    assert cluster.topics[name].replication_factor == 3
    assert cluster.topics[name].configs["min.insync.replicas"] == "2"
