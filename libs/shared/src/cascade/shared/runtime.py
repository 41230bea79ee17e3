"""What every service process owns: engine, session factory, broker, outbox relay, health."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cascade.shared.consumer import ConsumerPolicy
from cascade.shared.db.engine import build_engine, build_session_factory
from cascade.shared.messaging import broker_publisher, build_broker
from cascade.shared.outbox import OutboxRelay, RelayConfig
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

log = logging.getLogger(__name__)

BROKER_CONNECT_BUDGET_S = 120.0

BackgroundFactory = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
"""Makes a long-running task of a service (e.g. a job poller); it returns once the event is set."""


@dataclass
class ServiceRuntime:
    """The IO edges of one service process, built in its composition root."""

    name: str
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    broker: KafkaBroker
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _background: list[BackgroundFactory] = field(default_factory=list)

    @classmethod
    def build(cls, name: str, settings: Settings) -> ServiceRuntime:
        """Create (but do not connect) the engine and broker of service `name`."""
        engine = build_engine(settings, application_name=f"cascade-{name}")
        return cls(
            name=name,
            settings=settings,
            engine=engine,
            session_factory=build_session_factory(engine),
            broker=build_broker(settings, client_id=f"cascade-{name}"),
        )

    def consumer_policy(self) -> ConsumerPolicy:
        """The retry/DLQ policy every consumer of this service uses."""
        return ConsumerPolicy(
            max_attempts=self.settings.max_delivery_attempts,
            backoff_ms=self.settings.redelivery_backoff_ms,
            backoff_max_ms=self.settings.redelivery_backoff_max_ms,
            crash_at=self.settings.crash_at,
        )

    def relay(self) -> OutboxRelay:
        """The outbox relay of this process."""
        config = RelayConfig(
            poll_interval_s=self.settings.outbox_poll_ms / 1000,
            batch_size=self.settings.outbox_batch_size,
            max_attempts=self.settings.outbox_max_attempts,
            retry_base_s=self.settings.outbox_retry_base_ms / 1000,
            retry_max_s=self.settings.outbox_retry_max_ms / 1000,
            alert_topic=topic_name(self.settings.topic_prefix, Topic.WORKFLOW_ALERT),
            crash_at=self.settings.crash_at,
        )
        return OutboxRelay(self.session_factory, broker_publisher(self.broker), config)

    def add_background(self, factory: BackgroundFactory) -> None:
        """Run `factory(stop)` as a task next to the relay for the life of the process."""
        self._background.append(factory)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        """Connect, start consumers and the relay; on exit stop them in reverse order."""
        await self._start_broker()
        self._tasks.append(asyncio.create_task(self.relay().run(self._stop)))
        self._tasks.extend(asyncio.create_task(make(self._stop)) for make in self._background)
        log.info("%s: started", self.name)
        try:
            yield
        finally:
            self._stop.set()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.broker.stop()
            await self.engine.dispose()

    async def _start_broker(self) -> None:
        # The broker may still be booting (make up, compose): retry instead of dying.
        deadline = time.monotonic() + BROKER_CONNECT_BUDGET_S
        while True:
            try:
                await self.broker.start()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                log.warning("%s: Kafka not reachable yet, retrying", self.name)
                await self.broker.stop()
                await asyncio.sleep(2)

    async def healthy(self) -> dict[str, bool]:
        """Whether the database and the broker answer right now."""
        db_ok = True
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            db_ok = False
        kafka_ok = await self.broker.ping(timeout=3.0)
        return {"database": db_ok, "kafka": kafka_ok}


def health_router(runtime: ServiceRuntime) -> APIRouter:
    """`GET /healthz`: 200 when the database and Kafka answer, 503 otherwise."""
    router = APIRouter()

    @router.get("/healthz", tags=["health"])
    async def healthz() -> JSONResponse:
        checks = await runtime.healthy()
        ok = all(checks.values())
        body = {"service": runtime.name, "status": "ok" if ok else "degraded", **checks}
        return JSONResponse(body, status_code=200 if ok else 503)

    return router


def create_service_app(runtime: ServiceRuntime, title: str) -> FastAPI:
    """A FastAPI app with the runtime's lifespan and the health endpoint."""
    app = FastAPI(title=title, lifespan=runtime.lifespan)
    app.include_router(health_router(runtime))
    return app
