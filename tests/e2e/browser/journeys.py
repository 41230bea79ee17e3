"""What sales and Mike do to the running stack, through its real edges (intake's API, the
approvals API with Mike's token, the login page), for browser tests that need data first."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import Page, expect

from cascade.devstack.waiting import eventually

PASSWORD = "browser-tests-password"
TOKEN = "browser-tests-token"
FINISHED = {"completed", "partial", "failed", "blocked", "rejected", "expired"}


def customer(name: str, **changes: str) -> dict[str, str]:
    """A new customer as sales submits it; `changes` override or add inputs."""
    slug = name.lower().replace(" ", "-").replace(",", "").replace(".", "")
    return {
        "company_name": name,
        "contact_email": f"orders@{slug}.example",
        "contact_phone": "+1 555 0100",
        "billing_address": "10 End Road, Springfield",
        "credit_limit": "50000.00",
        "terms": "Net 30",
        "sales_rep": "Dana Sales",
        "pricing_tier": "gold",
        **changes,
    }


async def submit(stack: Any, inputs: dict[str, str]) -> str:
    """Sales posts a new customer to intake; returns the run id."""
    body = {"workflow_type": "new_customer", "inputs": inputs}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.intake.port}") as client:
        created = await client.post("/v1/runs", json=body, timeout=10)
    assert created.status_code == 202, created.text
    return str(created.json()["run_id"])


def _api(stack: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{stack.approvals.port}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )


async def where_is(stack: Any, run_id: str) -> str:
    """The run as the approvals API knows it, and the outbox's backlog: for failure messages."""
    async with _api(stack) as api:
        answers = [await api.get(f"/v1/runs/{run_id}"), await api.get("/v1/outbox")]
    return "\n".join(f"{a.request.url.path}: {a.status_code} {a.text[:2000]}" for a in answers)


async def proposals_of(stack: Any, run_id: str) -> list[dict[str, Any]]:
    """The run's proposals (oldest first) as the approvals API lists them."""
    async with _api(stack) as api:
        listed = await api.get("/v1/proposals", params={"run_id": run_id, "limit": 200})
    assert listed.status_code == 200, listed.text
    return sorted(listed.json()["items"], key=lambda p: int(p["id"]))


async def proposal_of(stack: Any, run_id: str, action_type: str) -> dict[str, Any]:
    """The run's proposal of `action_type`, once it is staged."""
    found: list[dict[str, Any]] = []

    async def staged() -> bool:
        found[:] = [p for p in await proposals_of(stack, run_id) if p["action_type"] == action_type]
        return bool(found)

    await eventually(staged, within=90)
    return found[0]


async def approve(stack: Any, proposal: dict[str, Any]) -> None:
    """Mike approves through the API, naming the version and hash he saw."""
    body = {"version": proposal["version"], "payload_sha256": proposal["payload_sha256"]}
    async with _api(stack) as api:
        done = await api.post(f"/v1/proposals/{proposal['id']}/approve", json=body)
    assert done.status_code == 200, done.text


async def run_status(stack: Any, run_id: str) -> str | None:
    """The run's status now; None until the runner has recorded the run."""
    async with _api(stack) as api:
        found = await api.get(f"/v1/runs/{run_id}")
    if found.status_code == 404:
        return None
    assert found.status_code == 200, found.text
    return str(found.json()["status"])


async def finished(stack: Any, run_id: str, within: float = 120) -> str:
    """Wait until the run reaches a final status; returns it."""
    seen: list[str | None] = []

    async def done() -> bool:
        seen.append(await run_status(stack, run_id))
        return seen[-1] in FINISHED

    await eventually(done, within=within)
    return str(seen[-1])


async def log_in(page: Page, stack: Any) -> None:
    """Mike, signed out, opens the inbox, is sent to the login page, signs in and lands on
    the inbox."""
    await page.goto(f"{stack.ui}/")
    await expect(page).to_have_url(f"{stack.ui}/login?next=/")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(f"{stack.ui}/")
    await expect(page.locator("h1")).to_contain_text("Proposals")
