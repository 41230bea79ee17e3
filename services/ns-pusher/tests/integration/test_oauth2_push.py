"""ns-pusher on OAuth 2.0 M2M against the simulator's token endpoint: one token for many
pushes, renewed once when NetSuite stops taking it, a wrong key refused as final, and
neither the token nor the key in the log."""

from __future__ import annotations

from typing import Any

import pytest

from cascade.devstack.netsuite_sim import new_m2m_private_key

pytestmark = pytest.mark.integration

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"


async def token_calls(harness: Any) -> list[dict[str, Any]]:
    log = (await harness.http("GET", harness.sim_url + "/_sim/requests")).json()["requests"]
    return [entry for entry in log if entry["path"] == TOKEN_PATH]


async def push(harness: Any, external_id: str, status: str = "applied") -> dict[str, Any]:
    push_id = await harness.stage(external_id)
    await harness.publish(push_id, external_id)
    row: dict[str, Any] = await harness.wait_status(push_id, status)
    return row


async def test_pushes_share_one_token_and_renew_it_once_when_it_expires(harness: Any) -> None:
    pusher = harness.start_pusher(CASCADE_NETSUITE_AUTH="oauth2")
    for n in range(3):
        await push(harness, f"cust-m2m-{n}")
    assert [call["status"] for call in await token_calls(harness)] == [200]

    # An hour passes at NetSuite (or the token is revoked) before the pusher's clock says so.
    await harness.http("POST", harness.sim_url + "/_sim/oauth2/expire")
    await push(harness, "cust-m2m-late")
    assert [call["status"] for call in await token_calls(harness)] == [200, 200]
    # The refused PUT and its repeat with the new token: one 401, then the write.
    assert [c["status"] for c in await harness.calls("cust-m2m-late")] == [401, 204]
    assert len(await harness.sim_records("cust-m2m-late")) == 1

    log = pusher.log_path.read_text()
    assert "Bearer" not in log
    assert "eyJ" not in log  # no JWT (client assertion) either
    assert "PRIVATE KEY" not in log


async def test_a_key_netsuite_does_not_know_fails_the_push_as_final(harness: Any) -> None:
    pusher = harness.start_pusher(
        CASCADE_NETSUITE_AUTH="oauth2", CASCADE_NETSUITE_OAUTH2_PRIVATE_KEY=new_m2m_private_key()
    )
    row = await push(harness, "cust-m2m-wrong-key", status="failed")
    assert row["attempts"] == 1
    assert "token endpoint refused the client assertion" in row["last_error"]
    # The start-up read of governanceLimits asked for a token too: every one refused.
    calls = await token_calls(harness)
    assert calls
    assert all(call["status"] == 400 and "does not verify" in call["note"] for call in calls)
    assert await harness.calls("cust-m2m-wrong-key") == []  # no record call without a token
    assert "PRIVATE KEY" not in pusher.log_path.read_text()
