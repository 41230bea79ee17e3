"""Schemathesis against both OpenAPI documents (intake; approvals with the bearer token):
no 5xx, and a refused request (4xx) changes no state.

"State" is counted in the tables each endpoint itself writes (intake: `intake_requests` and
its `workflow.requested` outbox rows; approvals: decided proposals, audit rows and the
`proposal.*` / retry outbox rows), so the runner working on accepted runs in the background
cannot make a refusal look like a change. For the same reason both fuzzers share one stack
(`module_fault_stack`): neither counts a table the other one's requests write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode

from tests.faults.collect import _connect
from tests.faults.harness import ADMIN_TOKEN, FaultStack

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.timeout(900)]

EXAMPLES = 25
#: Never fuzzed: an endless server-sent event stream.
SKIP_PATHS = {"/events"}

STATE_SQL = {
    "intake": (
        "SELECT (SELECT count(*) FROM intake_requests),"
        " (SELECT count(*) FROM outbox WHERE topic LIKE '%workflow.requested')"
    ),
    "approvals": (
        "SELECT (SELECT count(*) FROM proposed_actions WHERE status <> 'pending'),"
        " (SELECT count(*) FROM approval_audit),"
        " (SELECT count(*) FROM outbox WHERE topic LIKE '%proposal.%' OR topic LIKE '%retry%'),"
        " (SELECT count(*) FROM proposed_actions WHERE version > 1)"
    ),
}


def _fuzz(
    stack: FaultStack,
    service: str,
    headers: dict[str, str],
    state: Callable[[], tuple[Any, ...]],
) -> list[str]:
    """Every operation, positive and negative cases; the problems found (sync: a thread)."""
    base = stack.url(service)
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    problems: list[str] = []
    calls: list[str] = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            problems.append(f"{service}: an operation's schema is invalid: {result}")
            continue
        operation = result.ok()
        if operation.path in SKIP_PATHS:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis.settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def one(case: Any) -> None:
                label = case.operation.label
                before = state()
                response = case.call(base_url=base, headers=headers, timeout=15)
                calls.append(label)
                code = response.status_code
                if code >= 500:
                    problems.append(f"{label}: {code} for {case.as_curl_command()[:300]}")
                elif 400 <= code < 500 and state() != before:
                    problems.append(f"{label}: refused {code} but state changed")

            try:
                one()
            except hypothesis.errors.Unsatisfiable:
                continue  # no negative case exists for an operation without parameters
    operations = set(calls)
    print(f"{service}: {len(calls)} fuzzed requests over {len(operations)} operations")
    if not calls:
        problems.append(f"{service}: the fuzzer sent nothing")
    return problems


async def _prepare(stack: FaultStack) -> None:
    """A pending proposal, so the approve/reject routes have something real to refuse on."""
    from tests.faults.load import LoadClient

    await LoadClient(stack).submit(1)


@pytest.mark.parametrize("service", ["intake", "approvals"])
async def test_fuzzed_requests_get_no_5xx_and_refusals_change_nothing(
    module_fault_stack: FaultStack, service: str
) -> None:
    fault_stack = module_fault_stack
    await _prepare(fault_stack)
    loop = asyncio.get_running_loop()

    async def read_state() -> tuple[Any, ...]:
        conn = await _connect(fault_stack)
        try:
            return tuple(await conn.fetchrow(STATE_SQL[service]))
        finally:
            await conn.close()

    def state() -> tuple[Any, ...]:
        return asyncio.run_coroutine_threadsafe(read_state(), loop).result(timeout=30)

    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"} if service == "approvals" else {}
    problems = await asyncio.to_thread(_fuzz, fault_stack, service, headers, state)
    assert not problems, "\n".join(problems[:40])
