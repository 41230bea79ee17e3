"""A harness for ns-pusher against the real broker, database and simulator process.

The test plays the runner: it writes the mirror's customer and the `ns_pending_pushes` row,
then puts `ns.push` on the wire, exactly as the runner's outbox would.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import produce_raw
from cascade.devstack.netsuite_sim import (
    client_env,
    m2m_env,
    new_m2m_private_key,
    start_simulator,
)
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.service_process import ServiceProcess
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import topic_events, wait_topic_events
from cascade.shared.db.models import Customer, NsPendingPush
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.payloads import NsPush
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

ADMIN_TOKEN = "test-admin-token"
CREDENTIALS = {
    "CASCADE_NETSUITE_ACCOUNT_ID": "TSTDRV7654321",
    "CASCADE_NETSUITE_CONSUMER_KEY": "ck-it",
    "CASCADE_NETSUITE_CONSUMER_SECRET": "cs-it",
    "CASCADE_NETSUITE_TOKEN_ID": "tk-it",
    "CASCADE_NETSUITE_TOKEN_SECRET": "ts-it",
}
# OAuth 2.0 M2M too: the simulator knows the public key; a pusher uses it only when started
# with CASCADE_NETSUITE_AUTH=oauth2 (TBA stays the settings' default).
M2M_KEY = new_m2m_private_key()
M2M = {k: v for k, v in m2m_env(M2M_KEY, "m2m-client-it").items() if k != "CASCADE_NETSUITE_AUTH"}
CREDENTIALS |= M2M
# The contract's policy scaled down (base 300 ms) so a failing push takes about a second;
# the lease then comes to 8 s (never below twice the timeout and the wait for a request slot,
# plus 5 s).
PUSHER_ENV = {
    "CASCADE_NETSUITE_TIMEOUT_S": "1.0",
    "CASCADE_NETSUITE_SLOT_WAIT_S": "0.5",
    "CASCADE_NS_PUSH_LEASE_S": "3",
    "CASCADE_NS_PUSH_BACKOFF_BASE_MS": "300",
    "CASCADE_NS_PUSH_POLL_MS": "50",
    "CASCADE_NS_PUSH_JITTER_SEED": "11",
    "CASCADE_ADMIN_TOKEN": ADMIN_TOKEN,
}


@dataclass
class PushHarness:
    """Starts the simulator and pushers, stages pushes, reads what came out."""

    settings: Settings
    factory: async_sessionmaker[AsyncSession]
    start_service: StartService
    data_dir: Path
    sim: ServiceProcess | None = None
    run_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def start_sim(self) -> ServiceProcess:
        self.sim = start_simulator(self.start_service, self.data_dir, CREDENTIALS)
        return self.sim

    def start_pusher(self, **env: str) -> ServiceProcess:
        netsuite = client_env(self.sim or self.start_sim(), CREDENTIALS)
        return self.start_service("ns_pusher", {**netsuite, **PUSHER_ENV, **env})

    def start_pushers(self, count: int, **env: str) -> list[ServiceProcess]:
        """`count` replicas with the same settings, started side by side."""
        netsuite = client_env(self.sim or self.start_sim(), CREDENTIALS)
        spec = {**netsuite, **PUSHER_ENV, **env}
        return self.start_service.many([("ns_pusher", spec)] * count)

    @property
    def sim_url(self) -> str:
        assert self.sim is not None, "start the simulator first"
        return f"http://127.0.0.1:{self.sim.port}"

    async def http(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.request(method, url, **kwargs)

    async def script(self, **fault: Any) -> None:
        (await self.http("POST", self.sim_url + "/_sim/faults", json=fault)).raise_for_status()

    async def clear_faults(self) -> None:
        (await self.http("DELETE", self.sim_url + "/_sim/faults")).raise_for_status()

    async def remaining_faults(self) -> int:
        pending = (await self.http("GET", self.sim_url + "/_sim/faults")).json()["pending"]
        return sum(int(fault["remaining"]) for fault in pending)

    async def calls(self, external_id: str, method: str = "PUT") -> list[dict[str, Any]]:
        log = await self.http("GET", self.sim_url + "/_sim/requests")
        suffix = f"/eid:{external_id}"
        entries = log.json()["requests"]
        return [e for e in entries if e["method"] == method and e["path"].endswith(suffix)]

    async def sim_records(self, external_id: str) -> list[dict[str, Any]]:
        items = (await self.http("GET", self.sim_url + "/_sim/records/customer")).json()["items"]
        return [item for item in items if item["externalId"] == external_id]

    async def stage(self, external_id: str, payload: dict[str, Any] | None = None) -> int:
        body = payload or {
            "externalId": external_id,
            "companyName": f"Company {external_id}",
            "email": f"{external_id}@example.com",
        }
        async with self.factory() as session, session.begin():
            session.add(
                Customer(
                    companyname=f"Company {external_id}",
                    companyname_normalized=f"company {external_id}",
                    external_id=external_id,
                )
            )
            push = NsPendingPush(
                run_id=self.run_id,
                record_type="customer",
                external_id=external_id,
                payload=body,
                status="pending",
                attempts=0,
            )
            session.add(push)
            await session.flush()
            return push.id

    async def publish(self, push_id: int, external_id: str, key_suffix: str = "") -> None:
        data = NsPush(push_id=push_id, record_type="customer", external_id=external_id)
        envelope = new_envelope(
            Topic.NS_PUSH, "runner", self.run_id, data.model_dump(), key_suffix or str(push_id)
        )
        topic = topic_name(self.settings.topic_prefix, Topic.NS_PUSH)
        await produce_raw(
            self.settings.kafka_bootstrap, topic, envelope.to_bytes(), str(self.run_id)
        )

    async def publish_all(self, pushes: list[tuple[int, str]]) -> None:
        """`ns.push` for each (push id, external id), through one producer."""
        topic = topic_name(self.settings.topic_prefix, Topic.NS_PUSH)
        producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap, acks="all", enable_idempotence=True
        )
        await producer.start()
        try:
            for push_id, external_id in pushes:
                data = NsPush(push_id=push_id, record_type="customer", external_id=external_id)
                envelope = new_envelope(
                    Topic.NS_PUSH, "runner", self.run_id, data.model_dump(), str(push_id)
                )
                await producer.send(topic, envelope.to_bytes(), key=str(self.run_id).encode())
            await producer.flush()
        finally:
            await producer.stop()

    async def concurrency(self) -> dict[str, Any]:
        """The simulator's limit, latency, peak in-flight calls and refusals (429)."""
        answer = await self.http("GET", self.sim_url + "/_sim/concurrency")
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result

    async def push_row(self, push_id: int) -> dict[str, Any]:
        async with self.factory() as session:
            row = await session.execute(
                text("SELECT * FROM ns_pending_pushes WHERE id = :id"), {"id": push_id}
            )
            return dict(row.one()._mapping)

    async def wait_status(self, push_id: int, status: str, within: float = 60) -> dict[str, Any]:
        async def reached() -> bool:
            return (await self.push_row(push_id))["status"] == status

        reached.__name__ = f"push_{push_id}_is_{status}"
        await eventually(reached, within=within)
        return await self.push_row(push_id)

    async def events(self, topic: Topic) -> list[Envelope]:
        return await topic_events(self.settings, topic)

    async def wait_events(self, topic: Topic, count: int) -> list[Envelope]:
        return await wait_topic_events(self.settings, topic, count)

    async def customer(self, external_id: str) -> Customer:
        async with self.factory() as session:
            found = await session.scalars(
                select(Customer).where(Customer.external_id == external_id)
            )
            return found.one()


@pytest.fixture
def harness(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
    tmp_path: Path,
) -> PushHarness:
    """This test's harness (its own database, topics and simulator data)."""
    return PushHarness(settings, session_factory, start_service, tmp_path / "netsuite-sim")
