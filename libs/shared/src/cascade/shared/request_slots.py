"""A lease-based semaphore in PostgreSQL: at most `limit` holders at once across every process.

Each pool (e.g. one NetSuite account) has `limit` rows in `request_slots`. Taking a slot is
one statement: the first free row (no holder, or a lease that ran out), locked with `FOR
UPDATE SKIP LOCKED` so concurrent takers in any process never pick the same one, gets this
holder and a lease. Releasing clears the row, fenced by the holder value (fresh per taking),
and NOTIFYs `cascade_request_slots`; every process LISTENs on it and wakes its waiters. A
holder killed mid-request never releases: its lease runs out, and the waiters' poll (the
safety net behind the NOTIFY, also for a lost listener connection) takes the slot.

    async with RequestSlots(factory, database_url, policy) as slots:
        async with slots.hold():
            ...  # one request
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.db.autocommit import first_alone
from cascade.shared.polling import poll

log = logging.getLogger(__name__)

CHANNEL = "cascade_request_slots"
"""The NOTIFY channel a release announces its pool on."""

_PROVISION = text("""
INSERT INTO request_slots (pool, slot)
SELECT :pool, s FROM generate_series(1, :limit) AS s
ON CONFLICT DO NOTHING
RETURNING slot
""")

_TAKE = text("""
UPDATE request_slots AS r
SET holder = :holder, lease_until = now() + make_interval(secs => :lease_s),
    acquired_at = now()
FROM (
    SELECT pool, slot FROM request_slots
    WHERE pool = :pool AND slot <= :limit AND (holder IS NULL OR lease_until <= now())
    ORDER BY slot
    LIMIT 1
    FOR UPDATE SKIP LOCKED
) AS free
WHERE r.pool = free.pool AND r.slot = free.slot
RETURNING r.slot
""")

# The NOTIFY is sent when this statement's own (autocommit) transaction commits: a woken
# waiter always finds the row free.
_RELEASE = text(f"""
WITH freed AS (
    UPDATE request_slots SET holder = NULL, lease_until = NULL
    WHERE pool = :pool AND slot = :slot AND holder = :holder
    RETURNING pool
)
SELECT pg_notify('{CHANNEL}', pool) FROM freed
""")


class NoSlot(TimeoutError):
    """No slot could be had within the policy's `wait_s`: none came free, or the database
    that keeps them did not answer."""


@dataclass(frozen=True)
class SlotPolicy:
    """A pool's name and size, how long a slot is leased (longer than the slowest request
    it guards), how long a taker waits at most, and how often a waiter looks without a
    NOTIFY."""

    pool: str
    limit: int
    lease_s: float
    wait_s: float
    poll_s: float


def listener_dsn(database_url: str) -> str:
    """The SQLAlchemy URL as a plain libpq DSN for asyncpg (`postgresql+asyncpg://` ->
    `postgresql://`), password kept."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def new_holder() -> str:
    """Who takes a slot: this host and process (for an operator reading the table) and a
    value fresh per taking (the release's fence)."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}:{uuid.uuid4().hex}"


class _FreedSignal:
    """Many waiters, one signal: each waiter takes the current event *before* it tries, so a
    release between its failed try and its wait is never missed (a cleared shared event,
    as a single poller's `Wakeup` is, could lose it)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def current(self) -> asyncio.Event:
        return self._event

    def ring(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()


class RequestSlots:
    """The slots of one pool as this process takes them; an async context manager that
    LISTENs for releases while it is open."""

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        database_url: str,
        policy: SlotPolicy,
    ) -> None:
        self._factory = factory
        self._dsn = listener_dsn(database_url)
        self._policy = policy
        self._limit = policy.limit
        self._freed = _FreedSignal()
        self._stop = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._provisioned = 0
        self._waiting = 0

    @property
    def limit(self) -> int:
        """How many holders the pool allows at once."""
        return self._limit

    @property
    def waiting(self) -> int:
        """How many of this process's takers wait for a slot to free right now."""
        return self._waiting

    async def listening(self) -> None:
        """Return once releases by other processes reach this one (its LISTEN is on)."""
        await self._listening.wait()

    def narrow(self, limit: int) -> None:
        """Lower the limit (e.g. to what NetSuite reports); never raises it."""
        self._limit = max(1, min(self._limit, limit))

    async def __aenter__(self) -> RequestSlots:
        self._stop.clear()
        self._listener = asyncio.create_task(self._listen(), name=f"slots:{self._policy.pool}")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._stop.set()
        self._freed.ring()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener

    @contextlib.asynccontextmanager
    async def hold(self, sends: int = 1) -> AsyncIterator[int]:
        """Hold a slot for the block (its number is yielded); `NoSlot` when none could be
        had within the policy's wait. The slot is released when the block ends, also
        when it raises or is cancelled; a release that fails leaves it to its lease. A
        block that sends `sends` requests one after another leases it that many times
        the policy's lease, so a live holder never loses it."""
        holder = new_holder()
        slot = await self._take(holder, self._policy.lease_s * max(1, sends))
        try:
            yield slot
        finally:
            # Shielded: a cancelled block still frees its slot at once, not at lease end.
            await asyncio.shield(self._release(slot, holder))

    async def _take(self, holder: str, lease_s: float) -> int:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._policy.wait_s
        why = f"none came free (limit {self._limit})"
        while True:
            freed = self._freed.current()
            try:
                await self._provision()
                slot = await self._try_take(holder, lease_s)
            except Exception as exc:
                # Fail closed: without the table no request may go out; a blip of the
                # database is ridden out within the wait.
                slot, why = None, f"the slots' database failed: {type(exc).__name__}: {exc}"
            if slot is not None:
                return slot
            left = deadline - loop.time()
            if left <= 0 or self._stop.is_set():
                raise NoSlot(
                    f"no request slot of {self._policy.pool} within {self._policy.wait_s:g}s: {why}"
                )
            self._waiting += 1
            try:
                await _wait(freed, min(self._policy.poll_s, left))
            finally:
                self._waiting -= 1

    async def _provision(self) -> None:
        if self._provisioned >= self._limit:
            return
        params = {"pool": self._policy.pool, "limit": self._limit}
        await first_alone(self._factory, _PROVISION, params)
        self._provisioned = self._limit

    async def _try_take(self, holder: str, lease_s: float) -> int | None:
        params: dict[str, Any] = {
            "pool": self._policy.pool,
            "limit": self._limit,
            "holder": holder,
            "lease_s": lease_s,
        }
        row = await first_alone(self._factory, _TAKE, params)
        return None if row is None else int(row[0])

    async def _release(self, slot: int, holder: str) -> None:
        params = {"pool": self._policy.pool, "slot": slot, "holder": holder}
        try:
            await first_alone(self._factory, _RELEASE, params)
        except Exception as exc:
            log.warning(
                "request slots %s: releasing slot %d failed, its lease frees it: %s: %s",
                self._policy.pool,
                slot,
                type(exc).__name__,
                exc,
            )
        # This process's own waiters need no round trip through the server.
        self._freed.ring()

    async def _listen(self) -> None:
        """LISTEN until closed; a lost connection is reconnected after the poll loop's
        back-off, the waiters' poll covering the gap."""
        await poll(self._stop, self._listen_once, 1.0, f"request slots {self._policy.pool}")

    async def _listen_once(self) -> bool:
        conn = await asyncpg.connect(self._dsn)
        lost = asyncio.Event()
        try:
            await conn.add_listener(CHANNEL, self._notified)
            conn.add_termination_listener(lambda _conn: lost.set())
            self._listening.set()
            # A release may have come between a waiter's last try and the LISTEN.
            self._freed.ring()
            await _first_of(self._stop, lost)
        finally:
            self._listening.clear()
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)
        if lost.is_set() and not self._stop.is_set():
            raise ConnectionError("the LISTEN connection was lost")
        return True

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload == self._policy.pool:
            self._freed.ring()


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)


async def _first_of(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
