"""The approvals UI as a real process: a password, plain-http cookies and a local SMTP server.

The tests play the runner: they write runs and proposals straight into PostgreSQL, with the
hash over the canonical payload, exactly as the runner's handler does.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.approvals.passwords import hash_password
from cascade.devstack.service_process import ServiceProcess, free_port
from cascade.shared.canonical import sha256_of
from cascade.shared.db.models import ApprovalAudit, OutboxMessage, ProposedAction, WorkflowRun
from cascade.shared.settings import Settings

PASSWORD = "correct horse battery staple"
PASSWORD_HASH = hash_password(PASSWORD)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts; while `refusal` is set it
    answers every RCPT with it (e.g. a permanent 550). `rcpts` counts RCPT commands."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refusal: str | None = None
        self.rcpts = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        self.rcpts += 1
        if self.refusal is not None:
            return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK queued"


@pytest.fixture
def make_inbox() -> Callable[[], Inbox]:
    """Fresh inboxes, for tests that start and stop SMTP servers themselves."""
    return Inbox


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A local SMTP server on 127.0.0.1 and a free port, in this process."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms."""
    found = CSRF.search(html)
    assert found is not None, html[:500]
    return found.group(1)


@dataclass(frozen=True)
class Seeded:
    """A staged proposal as the tests know it."""

    run_id: uuid.UUID
    proposal_id: int
    payload: dict[str, Any]
    payload_sha256: str
    version: int = 1

    def form(self, csrf: str, **changes: str) -> dict[str, str]:
        """The approve/reject/edit form as the page renders it."""
        base = {"csrf_token": csrf, "version": str(self.version)}
        return {**base, "payload_sha256": self.payload_sha256, **changes}


@dataclass
class UiHarness:
    """The running service, its database, and the SMTP server's inbox."""

    settings: Settings
    factory: async_sessionmaker[AsyncSession]
    process: ServiceProcess
    mailbox: Inbox
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """Where the service listens."""
        return f"http://127.0.0.1:{self.process.port}"

    def client(self) -> httpx.AsyncClient:
        """A browser-like client that keeps cookies and does not follow redirects."""
        limits = httpx.Limits(max_connections=100)
        return httpx.AsyncClient(base_url=self.base_url, timeout=60, limits=limits)

    async def login(self, client: httpx.AsyncClient, password: str = PASSWORD) -> httpx.Response:
        """Open the login page, then post the password with its CSRF token."""
        page = await client.get("/login")
        form = {"csrf_token": csrf_of(page.text), "password": password, "next": "/"}
        return await client.post("/login", data=form)

    async def csrf(self, client: httpx.AsyncClient) -> str:
        """The session's CSRF token, read from the inbox page."""
        page = await client.get("/")
        assert page.status_code == 200, page.text[:300]
        return csrf_of(page.text)

    async def seed(
        self,
        payload: dict[str, Any],
        action_type: str = "workflow_new_customer",
        inputs: dict[str, Any] | None = None,
        entity_ref: str = "workflow:new_customer:run_x",
        expires_in: timedelta = timedelta(hours=1),
    ) -> Seeded:
        """A run awaiting approval and one pending proposal with `payload`."""
        run_id = uuid.uuid4()
        now = datetime.now(UTC)
        async with self.factory() as session, session.begin():
            session.add(WorkflowRun(
                run_id=run_id, workflow_type="new_customer", contract_version=2,
                status="awaiting_approval", inputs=inputs or {}, requested_at=now,
            ))  # fmt: skip
            await session.flush()
            row = ProposedAction(
                run_id=run_id, action_type=action_type, entity_ref=entity_ref,
                approver="mike", status="pending", payload=payload,
                payload_sha256=sha256_of(payload), version=1, expires_at=now + expires_in,
            )  # fmt: skip
            session.add(row)
            await session.flush()
            proposal_id = row.id
        return Seeded(run_id, proposal_id, payload, sha256_of(payload))

    async def proposal(self, proposal_id: int) -> ProposedAction:
        """The proposal row now."""
        async with self.factory() as session:
            found = await session.get(ProposedAction, proposal_id)
            assert found is not None
            return found

    async def audit(self, proposal_id: int) -> list[ApprovalAudit]:
        """The proposal's audit rows, oldest first."""
        async with self.factory() as session:
            rows = await session.scalars(
                select(ApprovalAudit)
                .where(ApprovalAudit.proposal_id == proposal_id)
                .order_by(ApprovalAudit.id)
            )
            return list(rows.all())

    async def outbox_count(self) -> int:
        """Outbox rows ever staged in this test's database."""
        async with self.factory() as session:
            return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def ui_env(smtp_port: int) -> dict[str, str]:
    """The environment of a UI-enabled approvals process."""
    return {
        "CASCADE_ADMIN_TOKEN": "ui-tests-token",
        "CASCADE_ADMIN_PASSWORD_HASH": PASSWORD_HASH,
        "CASCADE_UI_INSECURE_COOKIES": "true",
        "CASCADE_UI_SSE_POLL_S": "0.2",
        "CASCADE_SMTP_HOST": "127.0.0.1",
        "CASCADE_SMTP_PORT": str(smtp_port),
        "CASCADE_SMTP_FROM": "cascade@cascade.example",
    }


StartUi = Callable[..., UiHarness]


@pytest.fixture
def start_ui(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_approvals: Callable[[dict[str, str]], ServiceProcess],
) -> StartUi:
    """Start an approvals process with its UI, sending to `smtp_port`; `env` on top."""

    def start(smtp_port: int, mailbox: Inbox, **env: str) -> UiHarness:
        process = start_approvals({**ui_env(smtp_port), **env})
        return UiHarness(settings, session_factory, process, mailbox)

    return start


@pytest.fixture
def ui(start_ui: StartUi, smtp: tuple[Inbox, int]) -> UiHarness:
    """The approvals service with its UI configured."""
    mailbox, port = smtp
    return start_ui(port, mailbox)


THROTTLE_BASE_DELAY_S = 8
"""The first wait of `slow_throttle_ui`: longer than a burst of attempts takes to be served,
so no wait can run out during the burst and let one more attempt through legitimately."""


@pytest.fixture
def slow_throttle_ui(start_ui: StartUi, smtp: tuple[Inbox, int]) -> UiHarness:
    """The approvals UI whose login throttle starts with an 8 s wait."""
    mailbox, port = smtp
    return start_ui(port, mailbox, CASCADE_UI_LOGIN_BASE_DELAY_S=str(THROTTLE_BASE_DELAY_S))
