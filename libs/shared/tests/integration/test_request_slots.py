"""The PostgreSQL semaphore on the real database: never more holders than slots across
instances, a dead holder's slot freed by its lease, a waiter in another process woken by
the release's NOTIFY, a stale release changing nothing; the SuiteTalk transport's exchange
(a write and its read-back) in one slot taken once."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.waiting import eventually
from cascade.shared.netsuite.rest import HeldRest, SuiteTalkRest
from cascade.shared.netsuite.transport import Method, TransportFailure
from cascade.shared.request_slots import NoSlot, RequestSlots, SlotPolicy

pytestmark = pytest.mark.integration

Factory = async_sessionmaker[AsyncSession]


def policy(
    limit: int = 2, lease_s: float = 30, wait_s: float = 10, poll_s: float = 0.1
) -> SlotPolicy:
    return SlotPolicy("test:pool", limit, lease_s, wait_s, poll_s)


async def test_holders_never_exceed_the_limit_across_instances(
    session_factory: Factory, database_url: str
) -> None:
    in_flight, peak, done = 0, 0, 0

    async def request(slots: RequestSlots) -> None:
        nonlocal in_flight, peak, done
        async with slots.hold():
            in_flight += 1
            peak = max(peak, in_flight)
            async with session_factory() as session:  # a round trip stands for the request
                await session.execute(text("SELECT 1"))
            in_flight -= 1
            done += 1

    # Two instances stand for two replicas: only the table coordinates them.
    async with (
        RequestSlots(session_factory, database_url, policy()) as one,
        RequestSlots(session_factory, database_url, policy()) as two,
    ):
        await asyncio.gather(*(request(one if n % 2 else two) for n in range(24)))
    assert (done, peak) == (24, 2)
    async with session_factory() as session:
        held = await session.scalar(text("SELECT count(holder) FROM request_slots"))
    assert held == 0


async def test_a_dead_holders_slot_is_taken_once_its_lease_runs_out(
    session_factory: Factory, database_url: str
) -> None:
    async with RequestSlots(session_factory, database_url, policy(limit=1, wait_s=0.3)) as slots:
        async with slots.hold():
            pass  # provisions the pool's one row
        async with session_factory() as session, session.begin():
            # What a holder killed mid-request leaves: its row, held, never released.
            await session.execute(
                text(
                    "UPDATE request_slots SET holder = 'killed:1:x', "
                    "lease_until = now() + interval '1 second'"
                )
            )
        with pytest.raises(NoSlot, match="none came free"):
            async with slots.hold():
                pass
    patient = policy(limit=1, wait_s=10)
    async with (
        RequestSlots(session_factory, database_url, patient) as slots,
        slots.hold() as slot,
    ):
        assert slot == 1


async def test_a_release_wakes_a_waiter_of_another_instance(
    session_factory: Factory, database_url: str
) -> None:
    # The waiter polls only every 60 s and gives up after 15: only the NOTIFY reaches it.
    slow = policy(limit=1, wait_s=15, poll_s=60)
    async with (
        RequestSlots(session_factory, database_url, slow) as holder_side,
        RequestSlots(session_factory, database_url, slow) as waiter_side,
    ):
        await holder_side.listening()
        await waiter_side.listening()  # its first ring (at LISTEN) is behind it
        held = asyncio.Event()
        release = asyncio.Event()

        async def hold_until_told() -> None:
            async with holder_side.hold():
                held.set()
                await release.wait()

        holding = asyncio.create_task(hold_until_told())
        await held.wait()

        async def wait_for_slot() -> int:
            async with waiter_side.hold() as slot:
                return slot

        waiting = asyncio.create_task(wait_for_slot())

        async def parked() -> bool:
            return waiter_side.waiting == 1

        await eventually(parked, within=10)  # it tried, found none free, and waits
        release.set()
        await holding
        assert await waiting == 1


async def test_a_stale_release_leaves_the_new_holder_alone(
    session_factory: Factory, database_url: str
) -> None:
    async with RequestSlots(session_factory, database_url, policy(limit=1, wait_s=0.3)) as slots:
        with contextlib.suppress(RuntimeError):
            async with slots.hold():
                async with session_factory() as session, session.begin():
                    # The lease ran out and another process took the slot meanwhile.
                    await session.execute(text("UPDATE request_slots SET holder = 'other:2:y'"))
                raise RuntimeError("the request failed")
        async with session_factory() as session:
            holder = await session.scalar(text("SELECT holder FROM request_slots"))
        assert holder == "other:2:y"


async def test_narrowing_lowers_the_limit_only(session_factory: Factory, database_url: str) -> None:
    slots = RequestSlots(session_factory, database_url, policy(limit=3))
    slots.narrow(5)
    assert slots.limit == 3
    slots.narrow(1)
    assert slots.limit == 1


class _Bearer:
    """A fixed Authorization header: the gate, not the auth, is under test."""

    async def authorization(self, http: httpx.AsyncClient, method: Method, url: str) -> str:
        return "Bearer it"

    def rejected(self, authorization: str) -> bool:
        return False


async def test_an_exchange_holds_one_slot_over_its_requests_and_releases_it(
    session_factory: Factory, database_url: str
) -> None:
    seen: list[tuple[str, str | None]] = []

    async def netsuite(request: httpx.Request) -> httpx.Response:
        # Which holder has the pool's one slot while each request is in flight.
        async with session_factory() as session:
            holder = await session.scalar(
                text("SELECT holder FROM request_slots WHERE pool = 'test:pool'")
            )
        seen.append((request.method, holder))
        return httpx.Response(204 if request.method == "PUT" else 200)

    lease_s = 30.0
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(netsuite)) as http,
        RequestSlots(session_factory, database_url, policy(limit=1, lease_s=lease_s)) as slots,
    ):
        rest = SuiteTalkRest(http, "http://netsuite.test", _Bearer(), 5.0, gate=slots)
        async with rest.exchange(2) as held:
            assert isinstance(held, HeldRest)
            async with session_factory() as session:
                leased_s = await session.scalar(
                    text(
                        "SELECT extract(epoch FROM lease_until - now()) FROM request_slots"
                        " WHERE pool = 'test:pool'"
                    )
                )
            await held.send("PUT", rest.record_url("customer", "eid:1"), {"a": 1})
            await held.send("GET", rest.record_url("customer", "eid:1"))
            with pytest.raises(RuntimeError):
                await held.send("GET", rest.record_url("customer", "eid:1"))
        # One send on its own takes the slot anew (another holder value).
        await rest.send("GET", rest.record_url("customer", "eid:1"))
    assert [method for method, _ in seen] == ["PUT", "GET", "GET"]
    (_, first), (_, second), (_, alone) = seen
    assert first is not None
    assert first == second
    assert alone is not None
    assert alone != first
    # Leased for both requests, not one: a live holder never loses it mid-exchange.
    assert leased_s is not None
    assert float(leased_s) > 1.5 * lease_s
    async with session_factory() as session:
        held_now = await session.scalar(text("SELECT count(holder) FROM request_slots"))
    assert held_now == 0


async def test_an_exchange_with_no_room_sends_nothing(
    session_factory: Factory, database_url: str
) -> None:
    sent: list[str] = []

    async def netsuite(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        return httpx.Response(200)

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(netsuite)) as http,
        RequestSlots(session_factory, database_url, policy(limit=1, wait_s=0.2)) as slots,
    ):
        rest = SuiteTalkRest(http, "http://netsuite.test", _Bearer(), 5.0, gate=slots)
        async with slots.hold(), rest.exchange(2, "PUT") as held:
            assert isinstance(held, TransportFailure)
            assert not held.timed_out
            assert held.error.startswith("PUT to NetSuite not sent")
    assert sent == []
