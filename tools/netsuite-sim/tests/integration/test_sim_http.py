"""The simulator over real HTTP: SuiteTalk's shapes, TBA, faults, limits, persistence."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client

from cascade.devstack.service_process import ServiceProcess
from cascade.devstack.waiting import eventually

pytestmark = pytest.mark.integration

CUSTOMER = "/services/rest/record/v1/customer/"
SECRETS = ("ck-sim-test", "cs-sim-test", "tk-sim-test", "ts-sim-test")


def oauth(method: str, url: str, token_secret: str = SECRETS[3]) -> dict[str, str]:
    client = Client(
        SECRETS[0],
        client_secret=SECRETS[1],
        resource_owner_key=SECRETS[2],
        resource_owner_secret=token_secret,
        signature_method=SIGNATURE_HMAC_SHA256,
        realm="1234567_SB1",
    )
    _, headers, _ = client.sign(url, http_method=method)
    return {"Authorization": headers["Authorization"]}


def base(sim: ServiceProcess) -> str:
    return f"http://127.0.0.1:{sim.port}"


def put(sim: ServiceProcess, ref: str, body: Any, **kw: Any) -> httpx.Response:
    url = base(sim) + CUSTOMER + ref
    return httpx.put(url, json=body, headers=oauth("PUT", url, **kw), timeout=5)


def get(sim: ServiceProcess, ref: str) -> httpx.Response:
    url = base(sim) + CUSTOMER + ref
    return httpx.get(url, headers=oauth("GET", url), timeout=5)


def script(sim: ServiceProcess, **fault: Any) -> None:
    httpx.post(base(sim) + "/_sim/faults", json=fault).raise_for_status()


def log(sim: ServiceProcess) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = httpx.get(base(sim) + "/_sim/requests").json()["requests"]
    return entries


def test_upsert_by_external_id_creates_once_then_updates(start_sim: Any) -> None:
    sim = start_sim()
    created = put(sim, "eid:C-1", {"companyName": "Acme", "email": "a@acme.example"})
    assert created.status_code == 204
    assert created.content == b""
    location = created.headers["location"]
    assert location.startswith(base(sim) + CUSTOMER)
    updated = put(sim, "eid:C-1", {"phone": "555"})
    assert updated.headers["location"] == location, "same record, not a second one"
    record = get(sim, location.rsplit("/", 1)[1])
    assert record.headers["content-type"].startswith("application/vnd.oracle.resource+json")
    body = record.json()
    assert (body["companyName"], body["phone"], body["externalId"]) == ("Acme", "555", "C-1")
    assert body["lastModifiedDate"].endswith("Z")
    assert get(sim, "eid:C-1").json()["id"] == body["id"]
    assert len(httpx.get(base(sim) + "/_sim/records/customer").json()["items"]) == 1


def test_errors_come_in_netsuite_shape(start_sim: Any) -> None:
    sim = start_sim()
    missing = get(sim, "eid:NOPE")
    assert missing.status_code == 404
    assert missing.json()["o:errorDetails"][0]["o:errorCode"] == "NONEXISTENT_ID"
    invalid = put(sim, "eid:C-2", {"email": "x@y.example"})
    assert invalid.status_code == 400
    assert invalid.json() == {
        "type": "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1",
        "title": "Bad Request",
        "status": 400,
        "o:errorDetails": [
            {
                "detail": "Please enter value(s) for: Company Name",
                "o:errorCode": "USER_ERROR",
                "o:errorPath": "companyName",
            }
        ],
    }


def test_a_bad_signature_is_invalid_login_and_audited(start_sim: Any) -> None:
    sim = start_sim()
    refused = put(sim, "eid:C-3", {"companyName": "Acme"}, token_secret="wrong")
    assert refused.status_code == 401
    detail = refused.json()["o:errorDetails"][0]
    assert detail["o:errorCode"] == "INVALID_LOGIN"
    assert detail["detail"].startswith("Invalid login attempt.")
    assert log(sim)[-1]["note"] == "login failed: signature does not match"
    assert get(sim, "eid:C-3").status_code == 404, "nothing was written"


def test_scripted_faults(start_sim: Any) -> None:
    sim = start_sim()
    script(sim, kind="error500")
    assert put(sim, "eid:F-1", {"companyName": "F"}).status_code == 500
    script(sim, kind="rate_limit", retry_after_s=7)
    limited = put(sim, "eid:F-1", {"companyName": "F"})
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    script(sim, kind="hang", hang_s=20)
    url = base(sim) + CUSTOMER + "eid:F-1"
    with pytest.raises(httpx.TimeoutException):
        httpx.put(url, json={"companyName": "F"}, headers=oauth("PUT", url), timeout=0.5)
    script(sim, kind="drop_after_commit", method="PUT")
    with pytest.raises(httpx.RemoteProtocolError):
        put(sim, "eid:F-1", {"companyName": "F"})
    assert get(sim, "eid:F-1").status_code == 200, "the dropped call was committed"
    faults = [entry["fault"] for entry in log(sim)]
    assert faults == ["error500", "rate_limit", "hang", "drop_after_commit", None]


async def test_the_concurrency_limit_answers_429(start_sim: Any) -> None:
    sim = start_sim(CASCADE_NETSUITE_SIM_CONCURRENCY_LIMIT="1")
    script(sim, kind="hang", hang_s=5, method="GET")
    url = base(sim) + CUSTOMER + "eid:L-1"
    async with httpx.AsyncClient(timeout=10) as client:
        held = asyncio.create_task(client.get(url, headers=oauth("GET", url)))
        control = base(sim) + "/_sim/concurrency"

        async def holding() -> bool:
            return bool((await client.get(control)).json()["in_flight"] == 1)

        await eventually(holding, within=5)  # the first call holds the one slot
        second = await client.get(url, headers=oauth("GET", url))
        held.cancel()
    assert second.status_code == 429
    assert second.json()["o:errorDetails"][0]["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"


async def test_latency_overlaps_calls_and_the_peak_and_refusals_are_counted(
    start_sim: Any,
) -> None:
    sim = start_sim(CASCADE_NETSUITE_SIM_CONCURRENCY_LIMIT="2")
    url = base(sim) + CUSTOMER + "eid:P-1"
    async with httpx.AsyncClient(timeout=10) as client:
        control = base(sim) + "/_sim/concurrency"
        changed = await client.patch(control, json={"latency_ms": 1000})
        assert changed.json()["latency_ms"] == 1000
        answers = await asyncio.gather(
            *(client.get(url, headers=oauth("GET", url)) for _ in range(4))
        )
        seen = (await client.get(control)).json()
        reset = (await client.post(control + "/reset")).json()
    statuses = [answer.status_code for answer in answers]
    assert seen["peak_in_flight"] == 2
    assert seen["refused_by_limit"] == statuses.count(429) >= 1
    assert seen["in_flight"] == 0
    assert (reset["peak_in_flight"], reset["refused_by_limit"], reset["limit"]) == (0, 0, 2)


def test_governance_limits_report_the_account_limit(start_sim: Any) -> None:
    sim = start_sim(CASCADE_NETSUITE_SIM_CONCURRENCY_LIMIT="3")
    url = base(sim) + "/services/rest/system/v1/governanceLimits"
    body = httpx.get(url, headers=oauth("GET", url), timeout=5).json()
    assert body["accountConcurrencyLimit"] == 3
    assert body["unallocatedConcurrencyLimit"] == 3
    unsigned = httpx.get(url, timeout=5)
    assert unsigned.status_code == 401
    assert unsigned.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"


def test_records_and_the_log_survive_a_kill(start_sim: Any, tmp_path: Any) -> None:
    data = tmp_path / "kept"
    sim = start_sim(data_dir=data)
    put(sim, "eid:K-1", {"companyName": "Kept"})
    sim.kill9()
    again = start_sim(data_dir=data)
    assert get(again, "eid:K-1").json()["companyName"] == "Kept"
    assert [entry["method"] for entry in log(again)] == ["PUT", "GET"]


def test_the_test_api_is_off_unless_enabled(start_sim: Any) -> None:
    sim = start_sim(CASCADE_NETSUITE_SIM_ENABLE_TEST_API="false")
    assert httpx.get(base(sim) + "/_sim/requests").status_code == 404
    assert httpx.post(base(sim) + "/_sim/faults", json={"kind": "hang"}).status_code == 404
