"""Fixtures of the verifier's integration tests (the harness itself is in harness.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.pytest_plugin import StartService
from cascade.shared.settings import Settings

from .harness import VerifyHarness


@pytest.fixture
def harness(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
    tmp_path: Path,
) -> VerifyHarness:
    """This test's harness (its own database, topics and simulator data)."""
    return VerifyHarness(settings, session_factory, start_service, tmp_path / "netsuite-sim")
