"""Mike's decision desk in a real browser at both judged sizes, against the running stack:
the decision block first (and Approve on screen without scrolling on a desktop), the j/k/a
shortcuts, "Approve & next", a run blocked at approval saying so, the email proposal, and
"& next" on the last one landing in the inbox with a notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from cascade.devstack.waiting import eventually

from .journeys import customer, log_in, proposal_of, submit
from .sizes import SIZES, VIEWPORTS, Size, overflow, shoot, sized

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# Two spellings of one company per size: staged together, they collide at approval.
TWINS: dict[Size, tuple[str, str]] = {
    "desktop": ("Initech LLC", "Initech, Inc."),
    "phone": ("Initrode LLC", "Initrode, Inc."),
}


async def stage_twins(stack: Any, size: Size) -> tuple[str, int, int]:
    """Sales submits both spellings of the size's company (two contact emails); returns the
    first run's id and both gate proposals' ids once staged."""
    first_name, second_name = TWINS[size]
    slug = first_name.split()[0].lower()
    first_run = await submit(stack, customer(first_name, contact_email=f"ap@{slug}.example"))
    second_run = await submit(stack, customer(second_name, contact_email=f"billing@{slug}.example"))
    first = await proposal_of(stack, first_run, "workflow_new_customer")
    second = await proposal_of(stack, second_run, "workflow_new_customer")
    return first_run, int(first["id"]), int(second["id"])


async def in_viewport(page: Page, selector: str, size: Size) -> bool:
    """Whether the element is entirely on screen as the page loaded (no scrolling)."""
    box = await page.locator(selector).bounding_box()
    height = VIEWPORTS[size]["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


async def decision_first(page: Page) -> bool:
    """On a phone the decision block comes before everything behind it."""
    decision = await page.locator("#decision").bounding_box()
    details = await page.locator(".details").bounding_box()
    return decision is not None and details is not None and decision["y"] < details["y"]


async def test_mike_decides_from_the_top_block(
    browser: Browser, services: Any, artifacts: Path
) -> None:
    stack = services
    for size in SIZES:
        first_name, second_name = TWINS[size]
        first_run, first, second = await stage_twins(stack, size)
        async with sized(browser, size) as page:
            await log_in(page, stack)
            await page.goto(f"{stack.ui}/proposals/{first}")
            await expect(page.locator("#decision")).to_be_visible()
            await expect(page.locator("#decision h1")).to_contain_text(first_name)
            await expect(page.locator("#status")).to_have_text("pending")
            if size == "desktop":
                assert await in_viewport(page, "#approve", size), "Approve is below the fold"
                assert await in_viewport(page, "#approve-next", size)
                # j / k walk the pending queue without touching the mouse.
                await page.keyboard.press("j")
                await expect(page).to_have_url(f"{stack.ui}/proposals/{second}")
                await page.wait_for_load_state("load")  # decide.js listens again
                await page.keyboard.press("k")
                await expect(page).to_have_url(f"{stack.ui}/proposals/{first}")
            else:
                assert await decision_first(page)
                assert await overflow(page) == 0
            await shoot(page, artifacts, "proposal", size)

            await page.fill("#comment", f"{first_name} checked with sales")
            await page.click("#approve-next")
            # The other one waiting is next; this one is approved with the comment.
            await expect(page).to_have_url(
                f"{stack.ui}/proposals/{second}?done=approved&decided={first}"
            )
            await expect(page.locator("[role=status]")).to_contain_text(f"You approved #{first}")
            await expect(page.locator("#decision h1")).to_contain_text(second_name)

            if size == "desktop":
                await page.wait_for_load_state("load")
                await page.keyboard.press("a")  # the confirm dialog is accepted
            else:
                await page.click("#approve")
            await expect(page.locator("#status")).to_have_text("approved")
            await _blocked_at_approval(page, first, first_name)
            if size == "phone":
                assert await overflow(page) == 0
            await shoot(page, artifacts, "proposal-blocked", size)

            await page.goto(f"{stack.ui}/proposals/{first}")
            await expect(page.locator("#outcome")).to_contain_text(
                f"{first_name} checked with sales"
            )

            email = int((await proposal_of(stack, first_run, "propose_email_to_customer"))["id"])
            await page.goto(f"{stack.ui}/proposals/{email}")
            await expect(page.locator("#email-body")).to_contain_text(first_name)
            if size == "phone":
                assert await overflow(page) == 0
            else:
                assert await in_viewport(page, "#approve", size)
            await shoot(page, artifacts, "proposal-email", size)
            # The last one waiting: "& next" lands in the inbox, which says the queue is empty.
            await page.click("#approve-next")
            await expect(page.locator("#queue-notice")).to_contain_text("Nothing else is waiting")


async def _blocked_at_approval(page: Page, first: int, first_name: str) -> None:
    """The runner's re-check blocks the second spelling; the page says so, with a link."""

    async def says_blocked() -> bool:
        await page.reload()
        return "blocked at approval" in (await page.locator("#state").inner_text())

    await eventually(says_blocked, within=90)
    outcome = page.locator("#outcome")
    await expect(outcome).to_contain_text("but the run was blocked at approval")
    await expect(outcome.locator(f'a[href="/proposals/{first}"]')).to_contain_text(first_name)
    await expect(page.locator("#decision")).not_to_contain_text("Done: approved")


async def test_twins_are_flagged_on_both(browser: Browser, services: Any, artifacts: Path) -> None:
    stack = services
    for size in SIZES:
        first_name, second_name = TWINS[size]
        _, first, second = await stage_twins(stack, size)
        async with sized(browser, size) as page:
            await log_in(page, stack)
            for this, other, other_name in (
                (first, second, second_name),
                (second, first, first_name),
            ):
                await page.goto(f"{stack.ui}/proposals/{this}")
                twin = page.locator("#twins .badge.twin")
                await expect(twin).to_have_text(f"possible duplicate of #{other} {other_name}")
                if size == "phone":
                    assert await overflow(page) == 0
            await shoot(page, artifacts, "proposal-twins", size)
            await page.fill("#reason", "twin of another proposal")
            await page.click("#reject-next")
            await expect(page).to_have_url(
                f"{stack.ui}/proposals/{first}?done=rejected&decided={second}"
            )
            await page.fill("#reason", "twin test")
            await page.click("#reject")
            await expect(page.locator("#status")).to_have_text("rejected")
