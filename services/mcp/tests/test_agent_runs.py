"""An agent starting a run (`gateway.agent_request`, `agent_key`, `start_agent_run`), on
the in-memory unit of work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cascade.mcp.gateway import Refused, agent_key, agent_request, start_agent_run
from cascade.mcp.tokens import Agent
from cascade.shared.contract import load_contracts
from cascade.shared.db.statuses import AgentOutcome
from cascade.shared.run_requests.catalog import contract_input_validator
from cascade.shared.run_requests.validation import RunRequest

from .fakes import FakeGatewayWork

CONTRACTS = load_contracts(Path(__file__).resolve().parents[3] / "contracts")
VALIDATE = contract_input_validator(CONTRACTS)
CLAUDE = Agent("claude", frozenset({"runs:start"}), "k1")
INPUTS = {"company_name": "Acme", "contact_email": "ops@acme.example", "billing_address": "1 St"}
TOPIC = "t.workflow.requested"
KEY = "agent:claude:onboard-acme"


def asked(inputs: dict[str, Any] = INPUTS) -> RunRequest:
    _, request = agent_request(CONTRACTS, VALIDATE, "new_customer", inputs)
    return request


async def test_an_agents_run_is_staged_as_its_own_with_an_audit_row() -> None:
    uow = FakeGatewayWork()
    started = await start_agent_run(uow, CLAUDE, asked(), KEY, "t.")
    (staged,) = uow.staged_on(TOPIC)
    assert staged.data["started_by"] == "agent:claude"
    assert staged.data["source"] == "mcp"
    assert started == {
        "run_id": str(staged.run_id),
        "replayed": False,
        "started_by": "agent:claude",
        "note": "the run stops at Mike's approval gate; agents cannot approve",
    }
    (audit,) = uow.agent_audits.added
    assert (audit.agent, audit.tool, audit.outcome, audit.run_id) == (
        "agent:claude",
        "start_run",
        AgentOutcome.OK,
        staged.run_id,
    )
    assert audit.arguments == {"workflow_type": "new_customer", "inputs": INPUTS, "key": KEY}
    assert uow.committed


async def test_the_same_key_again_returns_the_first_run_audited_again() -> None:
    uow = FakeGatewayWork()
    first = await start_agent_run(uow, CLAUDE, asked(), KEY, "t.")
    again = await start_agent_run(uow, CLAUDE, asked(), KEY, "t.")
    assert (again["run_id"], again["replayed"]) == (first["run_id"], True)
    assert len(uow.staged_on(TOPIC)) == 1
    assert [str(a.run_id) for a in uow.agent_audits.added] == [first["run_id"]] * 2


async def test_a_key_used_for_another_request_is_refused() -> None:
    uow = FakeGatewayWork()
    await start_agent_run(uow, CLAUDE, asked(), KEY, "t.")
    uow.committed = False
    with pytest.raises(Refused, match="idempotency_key was already used for a different run"):
        await start_agent_run(uow, CLAUDE, asked({**INPUTS, "company_name": "Other"}), KEY, "t.")
    assert len(uow.agent_audits.added) == 1
    assert not uow.committed


async def test_a_run_without_a_key_is_always_a_new_one() -> None:
    uow = FakeGatewayWork()
    first = await start_agent_run(uow, CLAUDE, asked(), None, "t.")
    second = await start_agent_run(uow, CLAUDE, asked(), None, "t.")
    assert first["run_id"] != second["run_id"]
    assert uow.intake_requests.rows == {}


@pytest.mark.parametrize(
    ("workflow_type", "inputs", "why"),
    [
        ("price_changed", {}, "^price_changed is started by its event trigger, not by agents$"),
        ("new_customer", {**INPUTS, "company_name": ""}, "^invalid request: inputs.company_name"),
        ("no_such_workflow", {}, "^invalid request: workflow_type"),
    ],
)
def test_a_run_agents_may_not_start_is_refused(
    workflow_type: str, inputs: dict[str, Any], why: str
) -> None:
    with pytest.raises(Refused, match=why):
        agent_request(CONTRACTS, VALIDATE, workflow_type, inputs)


def test_an_agents_key_lives_in_its_own_namespace() -> None:
    assert agent_key(CLAUDE, "onboard-acme") == KEY
    assert agent_key(CLAUDE, None) is None
    for bad in ("", "k" * 151):
        with pytest.raises(Refused, match="idempotency_key: 1 to 150 characters"):
            agent_key(CLAUDE, bad)
