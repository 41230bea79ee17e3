"""An SMTP outage in Mike's browser: the approved welcome email shows as a failed send with
the error; once the mail server is back, Resend delivers it exactly once, with the
Message-ID it was given at approval. One email per screen size, one stack start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.service_process import free_port
from cascade.devstack.waiting import eventually
from cascade.shared.db.models import EmailJob
from tests.e2e.browser.conftest import Mailbox
from tests.e2e.browser.journeys import approve, customer, finished, log_in, proposal_of, submit
from tests.e2e.browser.sizes import SIZES, Size, overflow, shoot, sized
from tests.faults.smtp_sink import SmtpSink

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """The stack's mail server, down (connection refused) until the test starts it."""
    server = SmtpSink(free_port())
    yield server
    server.stop()


@pytest.fixture
def mailbox(sink: SmtpSink) -> tuple[Mailbox, int]:
    """Point the stack's SMTP settings at the sink instead of conftest's always-up server."""
    return Mailbox(), sink.port


@pytest.fixture
def approvals_env() -> dict[str, str]:
    """A short schedule: two attempts 0.2 s apart, polled every 100 ms, then failed for good
    (the defaults retry for minutes), so the outage shows as a failed send at once."""
    return {
        "CASCADE_EMAIL_MAX_ATTEMPTS": "2",
        "CASCADE_EMAIL_BACKOFF_BASE_S": "0.2",
        "CASCADE_EMAIL_BACKOFF_MAX_S": "0.5",
        "CASCADE_EMAIL_POLL_MS": "100",
    }


async def badge_after_reload(page: Page, status: str, text: str) -> None:
    """Reload (as Mike would) until the send status badge says `text`: the status is
    rendered by the server and not pushed to the page."""

    async def shown() -> bool:
        await page.reload()
        return (await page.locator(f"{status} .badge").inner_text()).strip() == text

    await eventually(shown, within=60)


async def message_id_of(factory: async_sessionmaker[AsyncSession], proposal_id: int) -> str:
    """The Message-ID the email job was given when Mike approved it."""
    async with factory() as session:
        job = (
            await session.execute(select(EmailJob).where(EmailJob.proposal_id == proposal_id))
        ).scalar_one()
    return job.message_id


async def test_a_failed_send_is_visible_and_resend_delivers_it_once(
    browser: Browser,
    services: Any,
    sink: SmtpSink,
    session_factory: async_sessionmaker[AsyncSession],
    artifacts: Path,
) -> None:
    stack = services
    too_wide: dict[str, int] = {}
    for size in SIZES:
        sink.stop()  # the outage (the first size starts with the server down anyway)
        name = f"Outage {size.title()} Ltd"
        run_id = await submit(stack, customer(name))
        await approve(stack, await proposal_of(stack, run_id, "workflow_new_customer"))
        assert await finished(stack, run_id) == "completed"
        email_id = int((await proposal_of(stack, run_id, "propose_email_to_customer"))["id"])
        status = f"#email-status-{email_id}"
        async with sized(browser, size) as page:
            await log_in(page, stack)
            await page.goto(f"{stack.ui}/proposals/{email_id}")
            await page.click("#approve-form button")
            await expect(page.locator("#status")).to_have_text("approved")

            await badge_after_reload(page, status, "failed")
            await expect(page.locator(f"{status} .badge")).to_have_text("failed")
            await expect(page.locator(status)).to_contain_text("Connection refused")
            resend = page.get_by_role("button", name="Resend")
            await expect(resend).to_be_visible()
            await _measure(page, size, "email-failed", too_wide)
            await shoot(page, artifacts, "email-failed", size)
            message_id = await message_id_of(session_factory, email_id)
            # Nothing got through the outage.
            assert [m for m in sink.received() if m.message_id == message_id] == []

            sink.start()  # the mail server is back
            # Resend posts and redirects back; reload only once that page has arrived.
            async with page.expect_navigation():
                await resend.click()
            await badge_after_reload(page, status, "sent")
            await expect(page.locator(status)).to_contain_text(message_id)
            await expect(page.get_by_role("button", name="Resend")).to_have_count(0)
            await _measure(page, size, "email-resent", too_wide)
            await shoot(page, artifacts, "email-resent", size)

        delivered = [m for m in sink.received() if m.message_id == message_id]
        assert len(delivered) == 1, sink.received()
        assert delivered[0].recipients == (customer(name)["contact_email"],)
    # Two emails, one per size, each delivered once: nothing else reached the server.
    assert len(sink.received()) == 2, sink.received()
    assert not too_wide, f"wider than the 390px phone (px): {too_wide}"


async def _measure(page: Page, size: Size, screen: str, too_wide: dict[str, int]) -> None:
    if size == "phone" and (wider := await overflow(page)):
        too_wide[screen] = wider
