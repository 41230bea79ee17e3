"""Engine and session factories; built by a composition root, never at import time."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from cascade.shared.settings import Settings
from cascade.shared.wakeup import install_commit_wakeups


def build_engine(settings: Settings, application_name: str) -> AsyncEngine:
    """An async engine whose pooled connections survive a PostgreSQL restart."""
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        # A restarted server leaves dead sockets in the pool; ping before use.
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": application_name}},
    )


def build_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit, and ring the wake-ups
    `ring_after_commit` attached to them."""
    install_commit_wakeups()
    return async_sessionmaker(engine, expire_on_commit=False)
