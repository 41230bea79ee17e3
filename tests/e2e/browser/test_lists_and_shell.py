"""The lists and the page shell in a real browser, at both judged sizes: the inbox shows
company names and named warning badges (and twins on both), the Blocked view shows a
duplicate the runner blocked beside the existing customer, unknown pages get the 404 page,
and the sales form's errors are plain, linked and focused. No page is wider than a phone."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.waiting import eventually
from cascade.shared.db.models import Customer, ProposedAction, WorkflowRun
from cascade.shared.normalize import normalize_company_name
from tests.e2e.browser.journeys import customer, log_in, submit
from tests.e2e.browser.sizes import SIZES, Size, overflow, shoot, sized

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

Factory = async_sessionmaker[AsyncSession]
NEW = [
    ("Initech LLC", "ops@initech.example"),
    ("Initech, Inc.", "not-an-email"),
]


async def test_lists_blocked_view_errors_and_the_intake_form(
    services: Any, browser: Any, artifacts: Path, session_factory: Factory
) -> None:
    stack = services
    async with session_factory() as session, session.begin():
        existing = Customer(
            companyname="Acme Corp", companyname_normalized=normalize_company_name("Acme Corp"),
            email="ap@acme.example", pricing_tier="gold", credit_limit=25000,
        )  # fmt: skip
        session.add(existing)
        await session.flush()
        existing_id = existing.id
    blocked_run = await submit(stack, customer("ACME Corp.", contact_email="ap@acme.example"))
    for name, email in NEW:
        await submit(stack, customer(name, contact_email=email))

    async def settled() -> bool:
        async with session_factory() as session:
            run = await session.get(WorkflowRun, uuid.UUID(blocked_run))
            pending = await session.scalar(
                select(func.count()).select_from(ProposedAction).where(
                    ProposedAction.status == "pending"
                )
            )  # fmt: skip
        return run is not None and run.status == "blocked" and pending == len(NEW)

    await eventually(settled, within=90)

    for size in SIZES:
        async with sized(browser, size) as page:
            await page.goto(f"{stack.ui}/login")
            await shoot(page, artifacts, "login", size)
            if size == "phone":
                assert await overflow(page) == 0, page.url
            await log_in(page, stack)

            inbox = page.locator("#inbox")
            for name, _ in NEW:
                row = inbox.locator("tbody tr", has=page.locator("a.subject", has_text=name))
                await expect(row).to_be_visible()
                await expect(row.locator(".badge.twin")).to_contain_text("possible duplicate of")
            odd = inbox.locator("tbody tr", has=page.locator("a.subject", has_text="Initech, Inc."))
            await expect(odd.locator(".badge.warning")).to_have_text(["invalid email"])
            await expect(page.locator("#nav-blocked-count")).to_have_text("1")
            await expect(page.locator("a[aria-current=page]")).to_contain_text("Inbox")
            await shoot(page, artifacts, "inbox", size)
            if size == "phone":
                assert await overflow(page) == 0, page.url
            await page.keyboard.press("j")
            await expect(inbox.locator("tbody tr.current-row a.subject")).to_be_focused()

            await page.goto(f"{stack.ui}/runs?q=initech")
            await expect(page.locator("#runs tbody tr")).to_have_count(len(NEW))
            await shoot(page, artifacts, "runs", size)
            if size == "phone":
                assert await overflow(page) == 0, page.url

            await page.goto(f"{stack.ui}/audit")
            await expect(page.locator("h1")).to_have_text("Audit trail")
            await shoot(page, artifacts, "audit", size)
            if size == "phone":
                assert await overflow(page) == 0, page.url

            await page.click("text=Blocked")
            card = page.locator(f"#blocked article[data-run-id='{blocked_run}']")
            await expect(card).to_be_visible()
            await expect(card.locator("a.subject")).to_have_attribute(
                "href", f"/runs/{blocked_run}"
            )
            await expect(card.locator("a.existing")).to_have_text(f"Existing #{existing_id}")
            await expect(card.locator("table.compare")).to_contain_text("Acme Corp")
            await expect(card).to_contain_text("A customer with this name or email already exists.")
            await shoot(page, artifacts, "blocked", size)
            if size == "phone":
                assert await overflow(page) == 0, page.url

            missing = await page.goto(f"{stack.ui}/proposals/987654321")
            assert missing is not None
            assert missing.status == 404
            await expect(page.locator("#error-page h1")).to_have_text("Not found")
            await expect(page.locator("#error-page a", has_text="Go to the inbox")).to_be_visible()
            await shoot(page, artifacts, "not-found", size)
            if size == "phone":
                assert await overflow(page) == 0, page.url

            await _intake_form(page, stack, artifacts, size)


async def _intake_form(page: Page, stack: Any, artifacts: Path, size: Size) -> None:
    await page.goto(f"http://localhost:{stack.intake.port}/")
    await expect(page.locator("#f-contact_email")).to_have_attribute("type", "email")
    await expect(page.locator("#f-credit_limit")).to_have_attribute("inputmode", "decimal")
    await shoot(page, artifacts, "intake-form", size)
    if size == "phone":
        assert await overflow(page) == 0, page.url
    await page.fill("#f-company_name", "Hooli")
    await page.fill("#f-contact_email", "hi@hooli.example")
    await page.fill("#f-contact_phone", "12")
    await page.fill("#f-credit_limit", "12,00.50")
    await page.click("button[type=submit]")
    summary = page.locator("#error-summary")
    await expect(summary).to_contain_text("Enter a phone number of 5–32 characters")
    await expect(summary).to_contain_text("Enter the billing address.")
    await expect(summary).to_contain_text("commas only between groups of three digits")
    phone = page.locator("#f-contact_phone")
    await expect(phone).to_be_focused()
    await expect(phone).to_have_attribute("aria-invalid", "true")
    await expect(phone).to_have_attribute("aria-describedby", "e-contact_phone")
    await shoot(page, artifacts, "intake-errors", size)
    if size == "phone":
        assert await overflow(page) == 0, page.url
    await page.fill("#f-contact_phone", "+1 (555) 010-0200")
    await page.fill("#f-billing_address", "1 Hooli Way")
    await page.fill("#f-credit_limit", "12,000.50")
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Request accepted")
