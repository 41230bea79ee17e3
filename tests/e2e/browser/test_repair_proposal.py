"""A repair proposal on Mike's decision desk: the failed check's drift, what is done again,
at both sizes; staged by the real runner from a `verify.result` on Kafka."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.wire import publish
from cascade.shared.db.models import ObjectPut, VerifyResult, WorkflowRun
from cascade.shared.payloads import VerifyResultEvent
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic

from .axe import describe, serious_violations
from .conftest import Stack
from .journeys import log_in, proposal_of
from .sizes import SIZES, overflow, shoot, sized

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
CHECK = "first_quote_context_stored"
KEY = "customers/cascade-customer-x/first-quote-context/v1.json"
SHA = "3f" * 32


async def failed_bundle_check(factory: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    """A completed run whose bundle went missing: the check failed in round 1."""
    run_id, now = uuid.uuid4(), datetime.now(UTC)
    reason = f"object {KEY} is missing from the object store"
    async with factory() as session, session.begin():
        session.add(
            WorkflowRun(
                run_id=run_id, workflow_type="new_customer", status="completed", inputs={},
                requested_at=now, title="Vandelay Industries",
            )
        )  # fmt: skip
        await session.flush()
        session.add(
            VerifyResult(
                run_id=run_id, check_name=CHECK, kind="object", status="fail", round=1,
                spec={"kind": "object", "key": KEY, "sha256": SHA, "schema_version": 1},
                due_at=now, attempts=4, detail={"reason": reason, "key": KEY},
            )
        )  # fmt: skip
        session.add(
            ObjectPut(
                run_id=run_id, step_id="first_quote_context", object_key=KEY, body=b"{}",
                sha256=SHA, content_type="application/json", status="stored", attempts=1,
            )
        )  # fmt: skip
    return run_id


async def test_the_repair_proposal_shows_the_drift_at_both_sizes(
    services: Stack,
    browser: Browser,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    artifacts: Path,
) -> None:
    run_id = await failed_bundle_check(session_factory)
    event = VerifyResultEvent(
        check_name=CHECK, kind="object", status="fail", attempts=4, reason="missing", round=1
    )
    await publish(settings, Topic.VERIFY_RESULT, run_id, event.model_dump(mode="json"), CHECK)
    proposal = await proposal_of(services, str(run_id), f"repair_check:{CHECK}:1")
    problems = []
    for size in SIZES:
        async with sized(browser, size) as page:
            await log_in(page, services)
            await page.goto(f"{services.ui}/proposals/{proposal['id']}")
            await expect(page.locator("h1")).to_contain_text("Repair: Vandelay Industries")
            await expect(page.locator("#summary")).to_contain_text("missing from the object store")
            await expect(page.locator("body")).to_contain_text(SHA)
            await shoot(page, artifacts, "repair-proposal", size)
            if (wide := await overflow(page)) != 0:
                problems.append(f"{size}: {wide} px wider than the screen")
            if violations := await serious_violations(page):
                problems.append(f"{size}: {describe(violations)}")
    assert problems == []
