"""Engine and session factories; built by a composition root, never at import time."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from cascade.shared.settings import Settings
from cascade.shared.wakeup import Bells, bells_info, install_commit_wakeups


def build_engine(settings: Settings, application_name: str) -> AsyncEngine:
    """An async engine whose pool survives a PostgreSQL restart without a ping per checkout.

    A restarted server leaves dead sockets in the pool. Instead of a round trip before every
    checkout (`pool_pre_ping`), the first statement on a dead connection raises; SQLAlchemy
    recognises the disconnect and invalidates the whole pool (every older connection is
    replaced on its next checkout), and the caller's retry (the poll loop's paused rounds,
    the consumer's redelivery, the job worker's record retries) runs on fresh connections.
    """
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        connect_args={"server_settings": {"application_name": application_name}},
    )


def build_session_factory(
    engine: AsyncEngine, bells: Bells | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit, ring the wake-ups
    `ring_after_commit` attached to them, and carry the process's `bells` (a new set when
    none is given) for `wake_after_commit`."""
    install_commit_wakeups()
    return async_sessionmaker(engine, expire_on_commit=False, info=bells_info(bells or Bells()))
