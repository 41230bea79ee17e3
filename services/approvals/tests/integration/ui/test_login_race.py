"""Login throttling holds under concurrency (issue 10, defect 9): a burst of wrong passwords
over real HTTP gets no more argon2 verifications than the free budget, the rest 429."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from cascade.approvals.ui_settings import UiSettings
from cascade.devstack.waiting import eventually
from cascade.shared.db.models import LoginThrottle

pytestmark = pytest.mark.integration

BURST = 60


async def test_concurrent_wrong_passwords_stay_within_the_budget_and_mike_gets_in(
    slow_throttle_ui: Any,
) -> None:
    ui = slow_throttle_ui
    # The defaults: 3 free failures, so the 4th attempt is still allowed at once and its
    # failure starts the wait (the sequential test in test_ui_security shows the same).
    budget = UiSettings().ui_login_free_failures + 1
    async with ui.client() as client:
        page = await client.get("/login")
        form = {"csrf_token": _csrf(page.text), "password": "wrong", "next": "/"}
        answers = await asyncio.gather(*(client.post("/login", data=form) for _ in range(BURST)))
        statuses = Counter(a.status_code for a in answers)
        # Every 401 is one argon2 verification that said no; every 429 was never verified.
        assert statuses[401] <= budget, statuses
        assert statuses[401] + statuses[429] == BURST, statuses
        assert all(int(a.headers["retry-after"]) >= 1 for a in answers if a.status_code == 429)
        async with ui.factory() as session:
            counted = {r.key: r.failures for r in (await session.scalars(select(LoginThrottle)))}
        # The table counts exactly the attempts that were let through to the verification.
        assert counted == {"addr:127.0.0.1": statuses[401], "global": statuses[401]}

        async def mike_gets_in() -> bool:
            return (await ui.login(client)).status_code == 303

        await eventually(mike_gets_in, within=60)
    async with ui.factory() as session:
        assert list(await session.scalars(select(LoginThrottle))) == []


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, html[:300]
    return found.group(1)
