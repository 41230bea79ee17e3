"""Fixtures of the fault suite: one dedicated stack per scenario, torn down after it.

Scenarios marked `faults_long` run only when selected (`pytest -m faults_long tests/faults`,
`make test-faults-long`); `make test` runs the fast subset (marker `faults`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.faults.harness import FAULT_CLUSTER, FAULTS, FaultStack, Servers


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the fault suite on one xdist worker (it kills and pauses its own servers, which
    a second worker would be using); skip the long scenarios unless asked for."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("faults"))
    if "faults_long" in (config.getoption("markexpr", "") or ""):
        return
    skip = pytest.mark.skip(reason="long fault scenario: run with -m faults_long")
    for item in items:
        if item.get_closest_marker("faults_long") is not None:
            item.add_marker(skip)


@asynccontextmanager
async def running_stack(workdir: Path, servers: Servers = FAULTS) -> AsyncIterator[FaultStack]:
    """A whole Cascade on the fault servers (own database and topics), all real processes;
    its logs' tails printed when it does not start."""
    stack = FaultStack(workdir, servers=servers)
    try:
        await stack.start()
    except Exception:
        print("\n".join(stack.log_tails(40)))
        await stack.stop()
        raise
    try:
        yield stack
    finally:
        await stack.stop()


@pytest.fixture
async def fault_stack(tmp_path: Path) -> AsyncIterator[FaultStack]:
    """A stack of the test's own: a scenario faults it and checks all of it."""
    async with running_stack(tmp_path) as stack:
        yield stack


@pytest.fixture
async def cluster_fault_stack(tmp_path: Path) -> AsyncIterator[FaultStack]:
    """A stack of the test's own on a three-broker Kafka cluster (RF 3, min ISR 2), the
    fault servers' PostgreSQL and S3 server: a scenario kills one broker."""
    async with running_stack(tmp_path, FAULT_CLUSTER) as stack:
        yield stack


@pytest.fixture(scope="module")
async def module_fault_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FaultStack]:
    """One stack for a module's tests that inject no fault and judge only tables their own
    requests write (the OpenAPI fuzzers): a stack start saved per test after the first."""
    async with running_stack(tmp_path_factory.mktemp("stack")) as stack:
        yield stack
