"""Mike in a real browser against the running stack: log in, watch a proposal arrive, approve
it, watch the run complete, edit and approve the welcome email, reject another run, start
one from the admin page's Execute form."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from cascade.devstack.waiting import eventually
from tests.e2e.browser.journeys import customer, log_in, submit, where_is

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


async def test_mike_approves_rejects_and_sends_an_email(
    page: Page, services: Any, artifacts: Path
) -> None:
    stack = services
    await log_in(page, stack)
    cookies = await page.context.cookies()
    session = next(c for c in cookies if c["name"] == "__Host-cascade_session")
    assert (session["httpOnly"], session["secure"], session["sameSite"]) == (True, True, "Strict")

    run_id = await submit(stack, customer("Browser Approve Ltd", pricing_tier="silver"))
    row = page.locator(f"#inbox tbody tr[data-run-id='{run_id}']")
    await expect(row).to_be_visible(timeout=120_000)  # arrived by SSE, no reload
    await page.screenshot(path=artifacts / "inbox.png", full_page=True)

    await row.locator("a.subject").click()
    await page.click("#payload-section summary")  # folded under the decision block
    await expect(page.locator("#payload-hash")).to_be_visible()
    await expect(page.locator("#inputs")).to_contain_text("Browser Approve Ltd")
    await page.screenshot(path=artifacts / "proposal.png", full_page=True)
    await page.click("#approve")
    await expect(page.locator("#status")).to_have_text("approved")

    await page.goto(f"{stack.ui}/runs/{run_id}")
    await expect(page.locator("#run-status")).to_have_text("completed", timeout=90_000)
    await expect(page.locator("#pushes")).to_contain_text("applied")
    await page.screenshot(path=artifacts / "run.png", full_page=True)

    await page.click("text=propose_email_to_customer")
    await page.fill("#subject", "Welcome to Cascade, Browser Approve")
    await page.fill("#body", "Dear customer,\nwelcome aboard.\nMike")
    await page.click("#edit-form button")
    await expect(page.locator("[role=status]")).to_contain_text("edited")
    await expect(page.locator("#email-body")).to_contain_text("welcome aboard")
    await page.screenshot(path=artifacts / "email.png", full_page=True)
    await page.click("#approve")
    await expect(page.locator("#status")).to_have_text("approved")
    message = await _arrived(stack, "Welcome to Cascade, Browser Approve")
    assert "welcome aboard" in message.get_payload()
    await page.reload()
    await expect(page.locator("#email")).to_contain_text("Sent ")

    await _reject_another(page, stack)
    await _start_from_the_admin_page(page, stack, artifacts)


async def _start_from_the_admin_page(page: Page, stack: Any, artifacts: Path) -> None:
    """Mike starts a new customer himself: a refused value first (intake's words, nothing
    started), then the run he started, started by him, waiting for his approval."""
    await page.click("nav >> text=Start a run")
    await page.click("#start-new_customer a")
    await page.fill("#f-company_name", "Browser Execute Ltd")
    await page.fill("#f-contact_email", "orders@browser-execute.example")
    await page.fill("#f-billing_address", "5 Admin Way")
    await page.fill("#f-contact_phone", "call me")
    await page.click("#start-run")
    await expect(page.locator("#execute-errors")).to_contain_text("Enter a phone number")
    await expect(page.locator("#f-contact_phone")).to_be_focused()
    await page.fill("#f-contact_phone", "+1 555 0199")
    await page.click("#start-run")
    await expect(page).to_have_url(re.compile(r"/runs/[0-9a-f-]{36}\?done=started$"))
    await expect(page.locator("#run-status")).to_have_text("awaiting_approval", timeout=60_000)
    await expect(page.locator("#run-started-by")).to_have_text("admin:mike")
    await expect(page.locator(".run-title")).to_contain_text("Browser Execute Ltd")
    await page.screenshot(path=artifacts / "run-started-by-mike.png", full_page=True)
    # A page of its own: the run page's meta refresh (every 2 s while the run is live) can
    # fire as `goto` starts and win, leaving the run page where the audit page should be.
    audit = await page.context.new_page()
    await audit.goto(f"{stack.ui}/audit")
    await expect(audit.locator("#audit")).to_contain_text("run started")
    await audit.close()


async def _reject_another(page: Page, stack: Any) -> None:
    run_id = await submit(stack, customer("Browser Reject Ltd", pricing_tier="silver"))
    await page.goto(f"{stack.ui}/")
    row = page.locator(f"#inbox tbody tr[data-run-id='{run_id}']")
    try:
        await expect(row).to_be_visible(timeout=120_000)
    except AssertionError as exc:
        # Seen in CI only (twice): the second run's proposal never arrived. Say where the run
        # stopped: its state as the API has it and the outbox's backlog.
        raise AssertionError(f"{exc}\n{await where_is(stack, run_id)}") from exc
    await row.locator("a.subject").click()
    await page.fill("#reason", "duplicate of an existing account")
    await page.click("#reject")
    await expect(page.locator("#status")).to_have_text("rejected")
    await page.goto(f"{stack.ui}/runs/{run_id}")
    await expect(page.locator("#run-status")).to_have_text("rejected", timeout=60_000)
    await page.goto(f"{stack.ui}/audit")
    await expect(page.locator("#audit")).to_contain_text("duplicate of an existing account")


async def _arrived(stack: Any, subject: str) -> Any:
    def matching() -> list[Any]:
        return [m for m in stack.mailbox.messages if m["Subject"] == subject]

    async def arrived() -> bool:
        return bool(matching())

    try:
        await eventually(arrived, within=30)
    except AssertionError:
        raise AssertionError(f"no email {subject!r}; got {len(stack.mailbox.messages)}") from None
    return matching()[0]
