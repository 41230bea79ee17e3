"""What every service process owns: engine, session factory, broker, outbox relay, health."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cascade.shared.asyncapi import asyncapi_router
from cascade.shared.consumer import ConsumerPolicy
from cascade.shared.db.engine import build_engine, build_session_factory
from cascade.shared.messaging import broker_publisher, build_broker, fetch_whole_assignment
from cascade.shared.observability.endpoint import metrics_router
from cascade.shared.observability.kafka_lag import lag_reader
from cascade.shared.observability.metrics import ServiceMetrics
from cascade.shared.outbox import OutboxRelay, RelayConfig
from cascade.shared.settings import Settings
from cascade.shared.wakeup import Bells, factory_bells

log = logging.getLogger(__name__)

BROKER_CONNECT_BUDGET_S = 120.0

BackgroundFactory = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
"""Makes a long-running task of a service (e.g. a job poller); it returns once the event is set."""

RUNNING = "running"


def _task_name(factory: BackgroundFactory) -> str:
    # e.g. "StepExecutor.run", "pollers.run": enough to tell a service's tasks apart.
    name = getattr(factory, "__qualname__", None) or type(factory).__name__
    return name.replace("<locals>.", "")


@dataclass
class ServiceRuntime:
    """The IO edges of one service process, built in its composition root."""

    name: str
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    broker: KafkaBroker
    on_fatal: Callable[[], None] | None = None
    """Called once when a task dies; `serve` sets it to stop the server and exit non-zero."""
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)
    """This process's Prometheus registry (`GET /metrics`); a service adds the readings of
    the tables it owns with `metrics.watch`."""
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _background: list[tuple[str, BackgroundFactory]] = field(default_factory=list)
    _dead: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, name: str, settings: Settings) -> ServiceRuntime:
        """Create (but do not connect) the engine and broker of service `name`."""
        engine = build_engine(settings, application_name=f"cascade-{name}")
        runtime = cls(
            name=name,
            settings=settings,
            engine=engine,
            session_factory=build_session_factory(engine),
            broker=build_broker(settings, client_id=f"cascade-{name}"),
        )
        runtime.metrics.watch(engine, lag_reader(runtime.broker))
        return runtime

    @property
    def bells(self) -> Bells:
        """This process's doorbells (carried by its session factory): a commit that made
        work due rings the one its worker rests on."""
        return factory_bells(self.session_factory)

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
        config = RelayConfig.from_settings(self.settings)
        return OutboxRelay(self.session_factory, broker_publisher(self.broker), config)

    def add_background(self, factory: BackgroundFactory, name: str | None = None) -> None:
        """Run `factory(stop)` as a task next to the relay for the life of the process;
        /healthz reports it under `name` (by default the factory's name)."""
        self._background.append((name or _task_name(factory), factory))

    @property
    def dead_tasks(self) -> dict[str, str]:
        """Tasks that ended before the process was told to stop, with why."""
        return dict(self._dead)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        """Connect, start consumers and the relay; on exit stop them in reverse order."""
        await self._start_broker()
        self._start_task("outbox relay", self.relay().run)
        for name, make in self._background:
            self._start_task(name, make)
        log.info("%s: started", self.name)
        try:
            yield
        finally:
            self._stop.set()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
            await self.broker.stop()
            await self.engine.dispose()

    def _start_task(self, name: str, make: BackgroundFactory) -> None:
        if name in self._tasks:
            name = f"{name} #{len(self._tasks) + 1}"
        task = asyncio.create_task(make(self._stop), name=f"{self.name}: {name}")
        task.add_done_callback(lambda done: self._task_ended(name, done))
        self._tasks[name] = task

    def _task_ended(self, name: str, task: asyncio.Task[None]) -> None:
        # Every task runs for the life of the process: ending before `stop` is a death,
        # whether it raised, returned or was cancelled. The process exits (via `on_fatal`)
        # so its supervisor restarts it whole, rather than limping on without the task.
        if self._stop.is_set():
            return
        error = None if task.cancelled() else task.exception()
        reason = "cancelled" if task.cancelled() else "returned" if error is None else "raised"
        self._dead[name] = f"dead: {reason}" + (
            f": {type(error).__name__}: {error}" if error else ""
        )
        log.critical(
            "%s: task %r died (%s); the service is unhealthy and stops",
            self.name,
            name,
            self._dead[name],
            exc_info=error,
        )
        if self.on_fatal is not None:
            self.on_fatal()

    def task_states(self) -> dict[str, str]:
        """Each background task (relay, pollers) by name: running, or dead and why."""
        return {name: self._dead.get(name, RUNNING) for name in self._tasks}

    def subscriber_states(self) -> dict[str, str]:
        """Each Kafka subscriber by consumer group: running while its consume loop lives."""
        states: dict[str, str] = {}
        for sub in self.broker.subscribers:
            tasks: list[asyncio.Task[Any]] = list(getattr(sub, "tasks", []))
            alive = bool(getattr(sub, "running", False)) and any(not t.done() for t in tasks)
            name = str(getattr(sub, "group_id", None) or sub)
            states[name] = RUNNING if alive else "stopped"
        return states

    async def _start_broker(self) -> None:
        # The broker may still be booting (make up, compose): retry instead of dying.
        deadline = time.monotonic() + BROKER_CONNECT_BUDGET_S
        while True:
            try:
                await self.broker.start()
                fetch_whole_assignment(self.broker)
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

    async def health(self) -> tuple[bool, dict[str, Any]]:
        """Whether the service is healthy, and the body /healthz answers with."""
        checks = await self.healthy()
        tasks = self.task_states()
        subscribers = self.subscriber_states()
        ok = (
            all(checks.values())
            and all(state == RUNNING for state in tasks.values())
            and all(state == RUNNING for state in subscribers.values())
        )
        body = {
            "service": self.name,
            "status": "ok" if ok else "degraded",
            **checks,
            "tasks": tasks,
            "subscribers": subscribers,
        }
        return ok, body


async def service_runtime(request: Request) -> ServiceRuntime:
    """The runtime of the app serving `request` (`app.state.runtime`, set by the app
    factory): a FastAPI dependency, so the routers themselves hold no state. Async only so
    that FastAPI calls it on the event loop, not in its thread pool (as with the other
    `app.state` readers)."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(service_runtime)]

health_router = APIRouter()


# 200 when the database and Kafka answer and every task and subscriber runs, 503 otherwise;
# the body names each task and subscriber with its state. (A comment, not a docstring:
# FastAPI would publish a docstring in the OpenAPI document.)
@health_router.get("/healthz", tags=["health"])
async def healthz(runtime: RuntimeDep) -> JSONResponse:
    ok, body = await runtime.health()
    return JSONResponse(body, status_code=200 if ok else 503)


def create_service_app(runtime: ServiceRuntime, title: str) -> FastAPI:
    """A FastAPI app with the runtime's lifespan, the health and metrics endpoints and the
    AsyncAPI document (`GET /asyncapi.json`); `app.state.runtime` is what the routes read
    (`RuntimeDep`) and lets `serve` stop the process when a task dies."""
    app = FastAPI(title=title, lifespan=runtime.lifespan)
    app.state.runtime = runtime
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(asyncapi_router)
    return app
