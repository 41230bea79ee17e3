"""`stack` on the three-broker cluster, for the tests of the message path and the e2e tests.

A module or conftest that imports it (`from cascade.devstack.on_cluster import stack`) runs
its tests on `cluster_stack`: the test profile's PostgreSQL and S3 server, Kafka on the
`test-cluster` profile's three brokers. Not in the plugin itself: one module cannot hold two
fixtures named `stack`.
"""

from __future__ import annotations

import pytest

from cascade.devstack.infra import StackEndpoints


@pytest.fixture(scope="session")
def stack(cluster_stack: StackEndpoints) -> StackEndpoints:
    """The servers of these tests: Kafka on the three-broker cluster."""
    return cluster_stack
