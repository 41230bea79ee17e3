"""Fixtures of the fault suite: one dedicated stack per scenario, torn down after it.

Scenarios marked `faults_long` run only when selected (`pytest -m faults_long tests/faults`,
`make test-faults-long`); `make test` runs the fast subset (marker `faults`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.faults.harness import FaultStack


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


@pytest.fixture
async def fault_stack(tmp_path: Path) -> AsyncIterator[FaultStack]:
    """A whole Cascade on the fault servers (own database and topics), all real processes."""
    stack = FaultStack(tmp_path)
    try:
        await stack.start()
    except Exception:
        print("\n".join(stack.log_tails(40)))
        await stack.stop()
        raise
    yield stack
    await stack.stop()
