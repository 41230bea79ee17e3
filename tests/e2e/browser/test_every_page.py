"""Every page Mike (and sales) can reach, at both sizes, judged the same way: no horizontal
scroll at phone size, no serious or critical axe-core violation, and a screenshot.

One stack start: realistic data is made through the real system first (intake, the
approvals API as Mike, the runner, ns-pusher against the NetSuite simulator), then each page
is visited at 1440x900 and at 390x844.

Every failure of every page and size is collected first, so one run names them all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Response, expect

from tests.e2e.browser.axe import describe, serious_violations
from tests.e2e.browser.journeys import (
    approve,
    customer,
    finished,
    log_in,
    proposal_of,
    submit,
)
from tests.e2e.browser.sizes import SIZES, Size, overflow, shoot, sized

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

GATE = "workflow_new_customer"
EMAIL = "propose_email_to_customer"


@dataclass(frozen=True)
class Seeded:
    """What the pages show: proposal ids and run ids by the customer they are about."""

    pending: int  # a plain pending customer proposal
    warned: int  # a pending proposal with an invalid email (warning)
    email: int  # a drafted welcome email awaiting Mike
    completed: str
    partial: str
    blocked: str


@dataclass(frozen=True)
class Visit:
    """One page: its name (screenshot, failure table), how to reach it, what it answers."""

    name: str
    go: Callable[[Page], Awaitable[Response | None]]
    status: int = 200


async def seed(stack: Any) -> Seeded:
    """Customers through intake, decisions through the approvals API, runs to their end."""
    acme = await submit(stack, customer("Acme Corp"))
    globex = await submit(stack, customer("Globex", contact_email="not-an-email"))
    umbrella = await submit(stack, customer("Umbrella Health", pricing_tier="silver"))
    vandelay = await submit(stack, customer("Vandelay Industries", contact_email="vandelay.ex"))
    await submit(stack, customer("Initech LLC", contact_email="ap@initech.example"))
    await submit(stack, customer("Initech, Inc.", contact_email="billing@initech.example"))
    await approve(stack, await proposal_of(stack, acme, GATE))
    await approve(stack, await proposal_of(stack, globex, GATE))
    assert await finished(stack, acme) == "completed"
    # NetSuite refuses the invalid email (400 INVALID_CONTENT): the run ends partial.
    assert await finished(stack, globex) == "partial"
    # Acme is a customer now: the same company again is blocked as a duplicate.
    again = await submit(stack, customer("ACME Corp.", contact_email="buyer@acme-corp.example"))
    assert await finished(stack, again) == "blocked"
    return Seeded(
        pending=int((await proposal_of(stack, umbrella, GATE))["id"]),
        warned=int((await proposal_of(stack, vandelay, GATE))["id"]),
        email=int((await proposal_of(stack, acme, EMAIL))["id"]),
        completed=acme,
        partial=globex,
        blocked=again,
    )


def pages(stack: Any, s: Seeded) -> list[Visit]:
    """Every page behind the login, in the order Mike would meet them."""
    ui = stack.ui

    def at(path: str) -> Callable[[Page], Awaitable[Response | None]]:
        return lambda page: page.goto(f"{ui}{path}")

    async def execute_with_errors(page: Page) -> Response | None:
        await page.goto(f"{ui}/execute/new_customer")
        await page.fill("#f-company_name", "Stark Industries")
        await page.fill("#f-credit_limit", "12,00.50")
        async with page.expect_navigation() as sent:
            await page.click("#start-run")
        return await sent.value

    return [
        Visit("inbox", at("/")),
        Visit("inbox-all", at("/?status=all")),
        Visit("inbox-approved-oldest", at("/?status=approved&order=oldest")),
        Visit("inbox-empty", at("/?status=expired")),
        Visit("proposal-customer", at(f"/proposals/{s.pending}")),
        Visit("proposal-warning", at(f"/proposals/{s.warned}")),
        Visit("proposal-email", at(f"/proposals/{s.email}")),
        Visit("run-completed", at(f"/runs/{s.completed}")),
        Visit("run-partial", at(f"/runs/{s.partial}")),
        Visit("run-blocked", at(f"/runs/{s.blocked}")),
        Visit("runs", at("/runs")),
        Visit("audit", at("/audit")),
        Visit("blocked", at("/blocked")),
        Visit("execute", at("/execute")),
        Visit("execute-form", at("/execute/new_customer")),
        Visit("execute-form-errors", execute_with_errors, status=422),
        Visit("not-found", at("/proposals/987654321"), status=404),
        Visit("not-found-path", at("/no-such-page"), status=404),
    ]


def intake_pages(stack: Any) -> list[Visit]:
    """Sales' form on intake: empty, and sent back with errors (a phone number that is no
    phone number, a credit limit written with a thousands separator, no address)."""
    form = f"http://127.0.0.1:{stack.intake.port}/"

    async def with_errors(page: Page) -> Response | None:
        await page.goto(form)
        await page.fill("[name=company_name]", "Stark Industries")
        await page.fill("[name=contact_email]", "pepper@stark.example")
        await page.fill("[name=contact_phone]", "call me")
        await page.fill("[name=credit_limit]", "12,000.50")
        async with page.expect_navigation() as sent:
            await page.click("[type=submit]")
        return await sent.value

    return [
        Visit("intake-form", lambda page: page.goto(form)),
        Visit("intake-form-errors", with_errors, status=422),
    ]


async def judge(page: Page, visit: Visit, size: Size, artifacts: Path) -> list[str]:
    """What is wrong with the page as it is now (empty when nothing); writes its screenshot."""
    response = await visit.go(page)
    await page.wait_for_load_state("load")
    problems = []
    answered = response.status if response is not None else None
    if answered != visit.status:
        problems.append(f"answered HTTP {answered}, expected {visit.status}")
    await shoot(page, artifacts, visit.name, size)
    if size == "phone" and (wider := await overflow(page)):
        problems.append(f"{wider}px wider than the 390px viewport")
    violations = await serious_violations(page)
    if violations:
        problems.append("axe:\n" + describe(violations))
    return problems


async def test_every_page_at_both_sizes(browser: Browser, services: Any, artifacts: Path) -> None:
    stack = services
    seeded = await seed(stack)
    failures: dict[tuple[str, Size], list[str]] = {}
    for size in SIZES:
        async with sized(browser, size) as page:
            login = Visit("login", lambda p: p.goto(f"{stack.ui}/login"))
            if problems := await judge(page, login, size, artifacts):
                failures[("login", size)] = problems
            await log_in(page, stack)
            await expect(page.locator("#inbox")).to_be_visible()
            for visit in [*pages(stack, seeded), *intake_pages(stack)]:
                if problems := await judge(page, visit, size, artifacts):
                    failures[(visit.name, size)] = problems
    report = "\n".join(
        f"--- {name} at {size}:\n" + "\n".join(problems)
        for (name, size), problems in sorted(failures.items())
    )
    assert not failures, f"pages that fail their checks:\n{report}"
