"""The verifier's test harness against the real broker, database and simulator process.

The test plays the runner: it writes the mirror's customers and stages check rows the way
`finish.py` does (the contract's own SQL, JSON parameters), then puts the run's terminal
event on the wire, exactly as the runner's outbox would.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.netsuite_sim import client_env, start_simulator
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.service_process import ServiceProcess
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import publish, topic_events, wait_outbox_sent, wait_topic_events
from cascade.shared.db.models import Customer, VerifyResult
from cascade.shared.envelope import Envelope
from cascade.shared.netsuite.oauth import TbaAuth, TbaCredentials
from cascade.shared.netsuite.rest import SuiteTalkRest
from cascade.shared.payloads import WorkflowEnded
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic

CREDENTIALS = {
    "CASCADE_NETSUITE_ACCOUNT_ID": "TSTDRV7654321",
    "CASCADE_NETSUITE_CONSUMER_KEY": "ck-verify",
    "CASCADE_NETSUITE_CONSUMER_SECRET": "cs-verify",
    "CASCADE_NETSUITE_TOKEN_ID": "tk-verify",
    "CASCADE_NETSUITE_TOKEN_SECRET": "ts-verify",
}
# Fast polling and a back-off of a fraction of a second, so a check retried until a
# deadline a few seconds away is tried several times.
VERIFIER_ENV = {
    "CASCADE_VERIFY_POLL_MS": "100",
    "CASCADE_VERIFY_RETRY_BASE_S": "0.3",
    "CASCADE_VERIFY_RETRY_MAX_S": "1",
    "CASCADE_NETSUITE_TIMEOUT_S": "2",
    # A request slot (NetSuite's concurrency limit) is waited for this long at most; the
    # lease covers the wait, so tests keep it short.
    "CASCADE_NETSUITE_SLOT_WAIT_S": "0.5",
}
FINAL = frozenset({"pass", "fail", "timeout"})


@dataclass
class VerifyHarness:
    """Starts the simulator and verifiers, stages checks, reads what came out."""

    settings: Settings
    factory: async_sessionmaker[AsyncSession]
    start_service: StartService
    data_dir: Path
    sim: ServiceProcess | None = None
    run_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def start_sim(self) -> ServiceProcess:
        self.sim = start_simulator(self.start_service, self.data_dir, CREDENTIALS)
        return self.sim

    def netsuite_env(self) -> dict[str, str]:
        return client_env(self.sim or self.start_sim(), CREDENTIALS)

    def start_verifier(self, **env: str) -> ServiceProcess:
        return self.start_service("verifier", {**self.netsuite_env(), **VERIFIER_ENV, **env})

    async def customer(self, name: str, netsuite_id: str | None = None) -> Customer:
        row = Customer(
            companyname=name,
            companyname_normalized=name.lower(),
            external_id=f"cust-{uuid.uuid4().hex[:12]}",
            netsuite_id=netsuite_id,
            lastmodifieddate=datetime.now(UTC),
        )
        async with self.factory() as session, session.begin():
            session.add(row)
        return row

    async def stage(
        self, name: str, spec: dict[str, Any], due_in: float, deadline_after: float | None
    ) -> None:
        due = datetime.now(UTC) + timedelta(seconds=due_in)
        deadline = None if deadline_after is None else due + timedelta(seconds=deadline_after)
        async with self.factory() as session, session.begin():
            session.add(
                VerifyResult(
                    run_id=self.run_id,
                    check_name=name,
                    kind=spec["kind"],
                    status="pending",
                    spec=spec,
                    due_at=due,
                    deadline_at=deadline,
                )
            )

    async def end_run(self, status: str = "completed") -> None:
        data = WorkflowEnded(
            workflow_type="new_customer", status=status, completed_at=datetime.now(UTC)
        )
        topic = Topic.WORKFLOW_COMPLETED if status == "completed" else Topic.WORKFLOW_PARTIAL
        await publish(self.settings, topic, self.run_id, data.model_dump(mode="json"))

    async def check(self, name: str) -> dict[str, Any]:
        async with self.factory() as session:
            row = await session.execute(
                text("SELECT * FROM workflow_verify_results WHERE run_id = :r AND check_name = :n"),
                {"r": self.run_id, "n": name},
            )
            return dict(row.one()._mapping)

    async def wait_final(self, name: str, within: float = 45) -> dict[str, Any]:
        async def decided() -> bool:
            return (await self.check(name))["status"] in FINAL

        decided.__name__ = f"check_{name}_decided"
        await eventually(decided, within=within)
        return await self.check(name)

    async def events(self, topic: Topic) -> list[Envelope]:
        return await topic_events(self.settings, topic)

    async def wait_events(self, topic: Topic, count: int) -> list[Envelope]:
        return await wait_topic_events(self.settings, topic, count, within=30)

    async def published(self, topic: Topic) -> list[Envelope]:
        """The topic's events once every outbox row staged so far is on the wire."""
        await wait_outbox_sent(self.factory)
        return await self.events(topic)

    async def in_netsuite(self, customer: Customer) -> str:
        """Create the customer in the simulator (a signed upsert) and keep its internal id
        in the mirror, as ns-pusher does; the internal id."""
        secrets = ("consumer_key", "consumer_secret", "token_id", "token_secret")
        credentials = TbaCredentials(
            CREDENTIALS["CASCADE_NETSUITE_ACCOUNT_ID"],
            *(SecretStr(CREDENTIALS[f"CASCADE_NETSUITE_{name.upper()}"]) for name in secrets),
        )
        async with httpx.AsyncClient(timeout=10) as http:
            rest = SuiteTalkRest(http, self.sim_url, TbaAuth(credentials), 10)
            url = rest.record_url("customer", f"eid:{customer.external_id}")
            answer = await rest.send("PUT", url, {"companyName": customer.companyname})
            assert isinstance(answer, httpx.Response), answer
            assert answer.status_code == 204, answer.text
        internal_id = str(answer.headers["location"]).rsplit("/", 1)[1]
        async with self.factory() as session, session.begin():
            await session.execute(
                update(Customer).where(Customer.id == customer.id).values(netsuite_id=internal_id)
            )
        return internal_id

    @property
    def sim_url(self) -> str:
        assert self.sim is not None, "start the simulator first"
        return f"http://127.0.0.1:{self.sim.port}"

    async def sim_reads(self, external_id: str) -> int:
        async with httpx.AsyncClient(timeout=10) as http:
            entries = (await http.get(self.sim_url + "/_sim/requests")).json()["requests"]
        suffix = f"/eid:{external_id}"
        return sum(1 for e in entries if e["method"] == "GET" and e["path"].endswith(suffix))

    async def customers(self) -> list[Customer]:
        async with self.factory() as session:
            return list((await session.scalars(select(Customer))).all())
