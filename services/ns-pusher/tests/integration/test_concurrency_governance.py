"""Two ns-pusher replicas under load against an account that allows two calls at once: the
request slots in PostgreSQL keep them within the limit NetSuite reports (the simulator never
serves more than two calls at once, and answers no 429); without the limit NetSuite reports,
the same load does make the simulator answer 429s, so the first test can fail."""

from __future__ import annotations

from typing import Any

import pytest

from cascade.devstack.waiting import eventually

pytestmark = pytest.mark.integration

PUSHES = 30
ACCOUNT_LIMIT = 2
# Eight pushes at once per replica: sixteen, were nothing to bound them.
LOAD = {
    "CASCADE_NS_PUSH_WORKERS": "8",
    # Slow enough calls overlap; a wait for a slot (at most 2 of 16 pushers call at once)
    # never runs out, and the call timeout never cuts a call the simulator still serves.
    "CASCADE_NETSUITE_SLOT_WAIT_S": "30",
    "CASCADE_NETSUITE_TIMEOUT_S": "5",
}


async def prepare_account(harness: Any) -> None:
    harness.start_sim()
    change = {"limit": ACCOUNT_LIMIT, "latency_ms": 100}
    (
        await harness.http("PATCH", harness.sim_url + "/_sim/concurrency", json=change)
    ).raise_for_status()


async def load(harness: Any, prefix: str) -> list[int]:
    pushes = [(await harness.stage(f"{prefix}-{n}"), f"{prefix}-{n}") for n in range(PUSHES)]
    (await harness.http("POST", harness.sim_url + "/_sim/concurrency/reset")).raise_for_status()
    await harness.publish_all(pushes)
    return [push_id for push_id, _ in pushes]


async def statuses(harness: Any) -> list[int]:
    log = (await harness.http("GET", harness.sim_url + "/_sim/requests")).json()["requests"]
    return [entry["status"] for entry in log]


async def test_two_replicas_stay_within_the_limit_netsuite_reports(harness: Any) -> None:
    await prepare_account(harness)
    # The setting allows 8; governanceLimits reports 2, and the lower one wins.
    harness.start_pushers(2, CASCADE_NETSUITE_CONCURRENCY_LIMIT="8", **LOAD)
    push_ids = await load(harness, "gov")

    async def all_applied() -> bool:
        rows = [await harness.push_row(push_id) for push_id in push_ids]
        return all(row["status"] == "applied" for row in rows)

    await eventually(all_applied, within=90)
    seen = await harness.concurrency()
    assert seen["peak_in_flight"] == ACCOUNT_LIMIT  # calls did overlap, never beyond
    assert seen["refused_by_limit"] == 0
    assert 429 not in await statuses(harness)
    rows = [await harness.push_row(push_id) for push_id in push_ids]
    assert {row["attempts"] for row in rows} == {1}  # nothing retried


async def test_without_the_reported_limit_the_same_load_gets_429s(harness: Any) -> None:
    await prepare_account(harness)
    # The control: the pushers' own limit is above the account's, and they do not ask.
    harness.start_pushers(
        2,
        CASCADE_NETSUITE_CONCURRENCY_LIMIT="16",
        CASCADE_NETSUITE_GOVERNANCE_LIMITS="false",
        **LOAD,
    )
    await load(harness, "ungoverned")

    async def refused() -> bool:
        return int((await harness.concurrency())["refused_by_limit"]) > 0

    await eventually(refused, within=60)
    assert 429 in await statuses(harness)
