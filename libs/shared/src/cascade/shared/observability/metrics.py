"""The Prometheus metrics of one service process, on a registry of its own.

Two kinds: instruments updated where the thing happens (NetSuite calls: latency, status
codes, 429s), and families read at scrape time (`ScrapeCollector`): the database's state
(`db_gauges`) and the Kafka consumers' lag. A scrape awaits `refresh` with a short timeout,
then renders the registry; a reading that fails or times out is reported as such
(`cascade_metrics_reading_up` 0) instead of failing the scrape.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from cascade.shared.observability.db_gauges import EVERY_SERVICE, Reading
from cascade.shared.observability.kafka_lag import LAG_FAMILY

log = logging.getLogger(__name__)

#: NetSuite answers in tens of milliseconds to seconds; the timeout is 10 s by default.
NETSUITE_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: A scrape reads the database and Kafka for at most this long (Prometheus' own timeout
#: is 10 s by default); a statement runs at most `STATEMENT_TIMEOUT_MS`.
SCRAPE_TIMEOUT_S = 3.0
STATEMENT_TIMEOUT_MS = 2000

LagRead = Callable[[], Awaitable[list[Metric]]]
READING_UP = "cascade_metrics_reading_up"


class ScrapeCollector(Collector):
    """Families read at scrape time: `refresh` reads them (async, bounded), `collect` (what
    the registry calls while rendering) yields what the last refresh read."""

    def __init__(
        self, engine: AsyncEngine, readings: Sequence[Reading], lag: LagRead | None
    ) -> None:
        self._engine = engine
        self._readings = list(readings)
        self._lag = lag
        self._latest: list[Metric] = []
        self._lock = asyncio.Lock()

    def add(self, readings: Iterable[Reading]) -> None:
        """Read these too, once each."""
        known = {r.name for r in self._readings}
        self._readings.extend(r for r in readings if r.name not in known)

    @property
    def names(self) -> set[str]:
        """Every family name the readings expose (the dashboard test checks against it)."""
        lag = {LAG_FAMILY} if self._lag is not None else set()
        return {READING_UP, *lag, *(name for r in self._readings for name in r.names)}

    async def refresh(self, timeout_s: float = SCRAPE_TIMEOUT_S) -> None:
        """Read every family now; concurrent scrapes share one read at a time."""
        async with self._lock:
            up = GaugeMetricFamily(
                READING_UP,
                "1 when the scrape-time reading answered, 0 when it failed or timed out.",
                labels=["reading"],
            )
            families: list[Metric] = []
            database = await self._read_database(timeout_s)
            for reading in self._readings:
                got = database.get(reading.name)
                up.add_metric([reading.name], 0.0 if got is None else 1.0)
                families.extend(got or [])
            if self._lag is not None:
                lag = await _bounded(self._lag(), timeout_s, "consumer lag")
                up.add_metric(["consumer_lag"], 0.0 if lag is None else 1.0)
                families.extend(lag or [])
            self._latest = [*families, up]

    async def _read_database(self, timeout_s: float) -> dict[str, list[Metric]]:
        read: dict[str, list[Metric]] = {}
        if not self._readings:
            return read

        async def all_readings() -> None:
            # One connection, one read-only transaction; each reading in a savepoint, so a
            # failed one (a table another migration has not made yet) spares the others.
            async with self._engine.connect() as conn, conn.begin():
                await conn.execute(text("SET TRANSACTION READ ONLY"))
                await conn.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
                for reading in self._readings:
                    try:
                        async with conn.begin_nested():
                            read[reading.name] = await reading.read(conn)
                    except Exception as exc:
                        log.warning("metrics reading %s failed: %s", reading.name, exc)

        await _bounded(all_readings(), timeout_s, "database readings")
        return read

    def collect(self) -> Iterable[Metric]:
        """What the last refresh read."""
        return list(self._latest)


T = TypeVar("T")


async def _bounded(work: Awaitable[T], timeout_s: float, what: str) -> T | None:
    try:
        async with asyncio.timeout(timeout_s):
            return await work
    except Exception as exc:
        log.warning("metrics: %s not read: %s", what, type(exc).__name__)
        return None


@dataclass
class ServiceMetrics:
    """The registry of one service process and its instruments."""

    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry())
    scrape: ScrapeCollector | None = None

    def __post_init__(self) -> None:
        self.netsuite_seconds = Histogram(
            "cascade_netsuite_request_seconds",
            "NetSuite REST requests: time to the answer, by method and outcome (the status "
            "code, or timeout/error when none came).",
            ["method", "outcome"],
            buckets=NETSUITE_BUCKETS,
            registry=self.registry,
        )
        self.netsuite_throttled = Counter(
            "cascade_netsuite_throttled",
            "NetSuite answers 429 (concurrency or rate limit reached).",
            registry=self.registry,
        )

    def watch(self, engine: AsyncEngine, lag: LagRead | None) -> None:
        """Read the database (the outbox and dead letters; `add_readings` for more) and the
        consumer lag at every scrape."""
        if self.scrape is None:
            self.scrape = ScrapeCollector(engine, EVERY_SERVICE, lag)
            self.registry.register(self.scrape)

    def add_readings(self, *readings: Reading) -> None:
        """A service's own readings (of the tables it owns), next to those every service has."""
        if self.scrape is None:
            raise RuntimeError("watch() first: the readings need an engine")
        self.scrape.add(readings)

    def family_names(self) -> set[str]:
        """The name of every family a scrape of this process can show."""
        own = {
            family.name
            for collector in (self.netsuite_seconds, self.netsuite_throttled)
            for family in collector.describe()
        }
        return own | (self.scrape.names if self.scrape is not None else set())

    def netsuite_call(self, method: str, outcome: int | str, seconds: float) -> None:
        """Record one NetSuite request: its status code (or `timeout`/`error`) and time."""
        self.netsuite_seconds.labels(method, str(outcome)).observe(seconds)
        if outcome == 429:
            self.netsuite_throttled.inc()

    async def render(self) -> bytes:
        """The text exposition format, scrape-time families read just now."""
        if self.scrape is not None:
            await self.scrape.refresh()
        return generate_latest(self.registry)
