"""Approved emails as durable jobs, against a real SMTP server (aiosmtpd) that goes down,
refuses, and a sender killed between the server's 250 and the commit that records it.

The schedule is scaled down (attempts every 0.2-1 s instead of minutes); everything else
is the production path: the approvals process, its Kafka consumer, PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.service_process import free_port
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import wait_topic_events
from cascade.shared.db.models import DeadLetter, EmailJob, EmailSend
from cascade.shared.payloads import WorkflowAlert
from cascade.shared.topics import Topic

pytestmark = pytest.mark.integration

REDELIVERY_BUDGET = 5
FAST_SCHEDULE = {
    "CASCADE_MAX_DELIVERY_ATTEMPTS": str(REDELIVERY_BUDGET),
    "CASCADE_EMAIL_MAX_ATTEMPTS": "30",
    "CASCADE_EMAIL_BACKOFF_BASE_S": "0.2",
    "CASCADE_EMAIL_BACKOFF_MAX_S": "1",
    "CASCADE_EMAIL_POLL_MS": "50",
    # The lease outlasts twice the SMTP timeout: 7 s, the wait after a crash.
    "CASCADE_SMTP_TIMEOUT_S": "1",
    "CASCADE_EMAIL_LEASE_S": "1",
}


@dataclass
class DownServer:
    """The SMTP port of a server that is down: every connection is dropped at once."""

    port: int
    connections: int = 0
    server: asyncio.Server | None = field(default=None, repr=False)

    async def start(self) -> None:
        async def drop(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            writer.close()

        self.server = await asyncio.start_server(drop, "127.0.0.1", self.port)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


def draft(to: str = "jane@acme.example") -> dict[str, Any]:
    """An email proposal's payload as the runner stages it."""
    return {
        "run_id": str(uuid.uuid4()), "step_id": "welcome_email",
        "tool": "propose_email_to_customer", "to": to, "subject": "Welcome",
        "body": "Hello Jane",
    }  # fmt: skip


@pytest.fixture
def smtp_port() -> int:
    """A free port for an SMTP server the test starts and stops itself."""
    return free_port()


@pytest.fixture
def harness(start_ui: Callable[..., Any], smtp_port: int) -> Callable[..., Any]:
    """Start an approvals process on the fast schedule, sending to `smtp_port`."""
    return lambda mailbox, **env: start_ui(smtp_port, mailbox, **{**FAST_SCHEDULE, **env})


async def approve(ui: Any, seeded: Any) -> None:
    """Mike approves the email on its page."""
    async with ui.client() as client:
        await ui.login(client)
        csrf = await ui.csrf(client)
        answer = await client.post(
            f"/proposals/{seeded.proposal_id}/approve", data=seeded.form(csrf)
        )
        assert answer.status_code == 303, answer.text[:300]


async def count(factory: async_sessionmaker[AsyncSession], model: type[Any]) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def message_ids(messages: list[Message]) -> list[str]:
    return [str(m["Message-ID"]) for m in messages]


def controller(mailbox: Any, port: int) -> Controller:
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    return server


async def test_an_email_approved_while_smtp_is_down_is_sent_once_when_it_is_back(
    harness: Callable[..., Any], smtp_port: int, make_inbox: Callable[[], Any]
) -> None:
    down, mailbox = DownServer(smtp_port), make_inbox()
    await down.start()
    ui = harness(mailbox)
    seeded = await ui.seed(draft(), action_type="propose_email_to_customer")
    await approve(ui, seeded)

    # Down for longer than the consumer's redelivery budget (the outage that lost emails),
    # or until something gave up on the email (dead-lettered it).
    async def down_past_the_redelivery_budget() -> bool:
        gave_up = await count(ui.factory, DeadLetter) > 0
        return gave_up or down.connections > REDELIVERY_BUDGET

    await eventually(down_past_the_redelivery_budget, within=60)
    await down.stop()
    server = controller(mailbox, smtp_port)
    try:

        async def delivered() -> bool:
            return await count(ui.factory, EmailSend) == 1

        await eventually(delivered, within=60)
    finally:
        server.stop()
    expected = f"<cascade-proposal-{seeded.proposal_id}-v1@cascade.example>"
    assert message_ids(mailbox.messages) == [expected]
    assert await count(ui.factory, DeadLetter) == 0
    async with ui.client() as client:
        await ui.login(client)
        page = await client.get(f"/proposals/{seeded.proposal_id}")
    assert "Sent " in page.text


async def test_a_5xx_fails_at_once_with_an_alert_and_resend_sends_it_once(
    harness: Callable[..., Any], smtp_port: int, make_inbox: Callable[[], Any]
) -> None:
    mailbox = make_inbox()
    mailbox.refusal = "550 5.1.1 no such mailbox here"
    server = controller(mailbox, smtp_port)
    try:
        ui = harness(mailbox)
        seeded = await ui.seed(draft(), action_type="propose_email_to_customer")
        await approve(ui, seeded)
        [alert] = await wait_topic_events(ui.settings, Topic.WORKFLOW_ALERT, 1)
        assert WorkflowAlert.model_validate(alert.data).reason == "email_send_failed"
        assert mailbox.rcpts == 1, "a permanent refusal is not retried"
        url = f"/proposals/{seeded.proposal_id}"
        async with ui.client() as client:
            await ui.login(client)
            csrf = await ui.csrf(client)
            failed = await client.get(url)
            assert "550 5.1.1 no such mailbox here" in failed.text
            assert f"{url}/resend" in failed.text
            run_page = await client.get(f"/runs/{seeded.run_id}")
            assert "550 5.1.1 no such mailbox here" in run_page.text
            assert f"{url}/resend" in run_page.text
            mailbox.refusal = None
            resent = await client.post(f"{url}/resend", data={"csrf_token": csrf})
            again = await client.post(f"{url}/resend", data={"csrf_token": csrf})

            async def delivered() -> bool:
                return await count(ui.factory, EmailSend) == 1

            await eventually(delivered, within=60)
            sent = await client.get(url)
    finally:
        server.stop()
    assert (resent.status_code, again.status_code) == (303, 409)
    assert "Sent " in sent.text
    assert len(mailbox.messages) == 1
    assert [a.decision for a in await ui.audit(seeded.proposal_id)] == [
        "approved",
        "email_resend_requested",
    ]
    assert await count(ui.factory, DeadLetter) == 0


async def test_two_senders_send_each_email_once(
    harness: Callable[..., Any], smtp_port: int, make_inbox: Callable[[], Any]
) -> None:
    mailbox = make_inbox()
    server = controller(mailbox, smtp_port)
    try:
        first = harness(mailbox, CASCADE_EMAIL_WORKERS="3")
        harness(mailbox, CASCADE_EMAIL_WORKERS="3")
        seeded = [
            await first.seed(draft(f"c{n}@acme.example"), action_type="propose_email_to_customer")
            for n in range(8)
        ]
        for one in seeded:
            await approve(first, one)

        async def all_sent() -> bool:
            return await count(first.factory, EmailSend) == len(seeded)

        await eventually(all_sent, within=90)
    finally:
        server.stop()
    ids = message_ids(mailbox.messages)
    assert sorted(ids) == sorted(
        f"<cascade-proposal-{one.proposal_id}-v1@cascade.example>" for one in seeded
    )


async def test_a_crash_between_250_and_the_commit_never_sends_twice_and_fails_visibly(
    harness: Callable[..., Any], smtp_port: int, make_inbox: Callable[[], Any]
) -> None:
    mailbox = make_inbox()
    server = controller(mailbox, smtp_port)
    try:
        crashing = harness(mailbox, CASCADE_CRASH_AT="email_after_smtp_accept")
        seeded = await crashing.seed(draft(), action_type="propose_email_to_customer")
        await approve(crashing, seeded)
        assert await asyncio.to_thread(crashing.process.wait_exit, 60) == -9
        assert len(mailbox.messages) == 1, "the server took it before the process died"
        assert await count(crashing.factory, EmailSend) == 0, "nothing recorded it"
        restarted = harness(mailbox)

        async def failed_visibly() -> bool:
            async with restarted.factory() as session:
                job = await session.scalar(
                    select(EmailJob).where(EmailJob.proposal_id == seeded.proposal_id)
                )
            return job is not None and job.status == "failed"

        await eventually(failed_visibly, within=60)
        alerts = await wait_topic_events(restarted.settings, Topic.WORKFLOW_ALERT, 1)
    finally:
        server.stop()
    async with restarted.factory() as session:
        job = await session.scalar(
            select(EmailJob).where(EmailJob.proposal_id == seeded.proposal_id)
        )
    assert job is not None
    assert "unknown" in (job.last_error or "")
    assert [WorkflowAlert.model_validate(a.data).reason for a in alerts] == ["email_send_failed"]
    expected = f"<cascade-proposal-{seeded.proposal_id}-v1@cascade.example>"
    assert message_ids(mailbox.messages) == [expected], "sent once, never again on its own"
