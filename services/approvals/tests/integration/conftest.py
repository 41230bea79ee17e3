"""A harness for the approvals service as a real process on the real database and broker.

The test plays the runner: it writes the run and its proposal straight into PostgreSQL,
exactly as the runner's handler would, with the hash over the canonical payload.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.service_process import ServiceProcess
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import topic_events
from cascade.shared.canonical import sha256_of
from cascade.shared.db.models import ApprovalAudit, OutboxMessage, ProposedAction, WorkflowRun
from cascade.shared.envelope import Envelope
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic

ADMIN_TOKEN = "it-approvals-" + uuid.uuid4().hex
INPUTS = {"company_name": "Acme GmbH", "contact_email": "ap@acme.example", "tier": "gold"}


def proposal_payload(run_id: uuid.UUID) -> dict[str, Any]:
    """A payload shaped like the runner's `draft_proposal`."""
    return {
        "workflow_type": "new_customer",
        "contract_version": 2,
        "run_id": str(run_id),
        "inputs": INPUTS,
        "context": {"existing_customers": [], "payment_term": {"id": 1, "name": "Net 30"}},
        "preconditions": [
            {"name": "no_duplicate", "severity": "block", "value": 0, "passed": True,
             "message": None},
            {"name": "email_domain_known", "severity": "warn", "value": False, "passed": False,
             "message": "first customer from acme.example"},
        ],
        "warnings": ["email_domain_known"],
        "what_changes": [
            {"system": "mirror", "resource": "customers", "action": "insert",
             "source": "create_customer"},
            {"system": "netsuite", "resource": "customer", "action": "upsert",
             "source": "push_netsuite"},
        ],
    }  # fmt: skip


@dataclass(frozen=True)
class Seeded:
    """A run awaiting approval and its pending proposal."""

    run_id: uuid.UUID
    proposal_id: int
    payload: dict[str, Any]
    payload_sha256: str
    version: int

    def body(self, **changes: Any) -> dict[str, Any]:
        """The approve body of what was seeded, with `changes` applied."""
        return {"version": self.version, "payload_sha256": self.payload_sha256, **changes}


@dataclass
class Approvals:
    """The running service plus direct access to its database and topics."""

    settings: Settings
    factory: async_sessionmaker[AsyncSession]
    process: ServiceProcess
    token: str = ADMIN_TOKEN

    def client(self, token: str | None = ADMIN_TOKEN) -> httpx.AsyncClient:
        """An HTTP client that presents `token` (none when None)."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        base = f"http://127.0.0.1:{self.process.port}"
        limits = httpx.Limits(max_connections=100)
        return httpx.AsyncClient(base_url=base, headers=headers, timeout=60, limits=limits)

    async def seed(self, expires_in: timedelta | None = timedelta(hours=1)) -> Seeded:
        """Insert a run awaiting approval and its pending proposal."""
        run_id = uuid.uuid4()
        payload = proposal_payload(run_id)
        now = datetime.now(UTC)
        expires_at = now + expires_in if expires_in is not None else None
        async with self.factory() as session, session.begin():
            session.add(WorkflowRun(
                run_id=run_id, workflow_type="new_customer", contract_version=2,
                status="awaiting_approval", inputs=INPUTS, requested_at=now,
            ))  # fmt: skip
            await session.flush()
            proposal = ProposedAction(
                run_id=run_id, action_type="create_customer", entity_ref="customer:acme-gmbh",
                approver="mike", status="pending", payload=payload,
                payload_sha256=sha256_of(payload), version=1, expires_at=expires_at,
            )  # fmt: skip
            session.add(proposal)
            await session.flush()
            proposal_id = proposal.id
        return Seeded(run_id, proposal_id, payload, sha256_of(payload), 1)

    async def proposal(self, proposal_id: int) -> ProposedAction:
        """The proposal row as it is now."""
        async with self.factory() as session:
            found = await session.get(ProposedAction, proposal_id)
            assert found is not None
            return found

    async def audit(self, proposal_id: int) -> list[ApprovalAudit]:
        """Audit rows of a proposal, oldest first."""
        async with self.factory() as session:
            rows = await session.scalars(
                select(ApprovalAudit).where(ApprovalAudit.proposal_id == proposal_id)
            )
            return list(rows.all())

    async def outbox_count(self) -> int:
        """Every outbox row ever staged in this test's database."""
        async with self.factory() as session:
            count = await session.scalar(select(func.count()).select_from(OutboxMessage))
            return int(count or 0)

    async def assert_nothing_written(self, proposal_id: int) -> None:
        """A refused request left no audit row, no outbox row and no decision record."""
        assert await self.audit(proposal_id) == []
        assert await self.outbox_count() == 0
        assert await self.published(Topic.PROPOSAL_APPROVED) == []
        assert await self.published(Topic.PROPOSAL_REJECTED) == []

    async def published(self, topic: Topic) -> list[Envelope]:
        """Every record on `topic` once the relay has sent all staged rows."""

        async def all_sent() -> bool:
            async with self.factory() as session:
                unsent = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.sent_at.is_(None))
                )
                return unsent == 0

        await eventually(all_sent, within=30)
        return await topic_events(self.settings, topic)


@pytest.fixture
def approvals(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
) -> Approvals:
    """The approvals service with the admin token configured."""
    process = start_service("approvals", {"CASCADE_ADMIN_TOKEN": ADMIN_TOKEN})
    return Approvals(settings, session_factory, process)


@pytest.fixture
def start_approvals(start_service: StartService) -> Callable[[dict[str, str]], ServiceProcess]:
    """Start the approvals service with extra environment (e.g. without a token)."""
    return lambda env: start_service("approvals", env)


@pytest.fixture
def slow_approvals(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
) -> Approvals:
    """The approvals service with a one-second request body timeout."""
    env = {"CASCADE_ADMIN_TOKEN": ADMIN_TOKEN, "CASCADE_HTTP_BODY_TIMEOUT_S": "1"}
    return Approvals(settings, session_factory, start_service("approvals", env))
