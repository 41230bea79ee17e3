"""What an agent may do, each act scoped and audited: read contracts, dry-run and start runs
(through intake's `stage_run`, `started_by: agent:<name>`), read runs and pending proposals,
and suggest a new text for a pending email draft. Nothing here decides a proposal: there is
no code path from an agent to an approval, a rejection, a send or a retry."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.mcp.tokens import Agent
from cascade.mcp.unit_of_work import AgentRunWork, SqlGatewayWork, SuggestionWork
from cascade.shared.canonical import to_jsonable
from cascade.shared.contract import (
    Contract,
    EmailDraftStep,
    evaluate_preconditions,
    prepare_values,
    runtime_values,
    what_changes,
)
from cascade.shared.db.models import (
    AgentAudit,
    EmailSuggestion,
    ProposedAction,
    WorkflowRun,
    WorkflowRunStep,
)
from cascade.shared.db.statuses import AgentOutcome
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.proposals.context_reader import ContextReader, subject_of
from cascade.shared.proposals.drafting import blocking_rules, draft_proposal, outcome_rows
from cascade.shared.run_requests.catalog import contract_input_validator
from cascade.shared.run_requests.staging import (
    IdempotencyConflict,
    agent_started_by,
    stage_run,
)
from cascade.shared.run_requests.validation import (
    FieldError,
    InputValidator,
    RunRequest,
    check_request,
)
from cascade.shared.text_rules import email_text_problem

AGENT_TRIGGERS = ("manual", "cron")
"""Contracts an agent may start: those a person starts by hand, and the scheduled ones on
demand ("send me the digest now"). Event-triggered runs belong to their event's publisher."""
MAX_KEY = 150
MAX_NOTE = 2_000
MAX_LIST = 100


class Refused(Exception):
    """The agent may not do this, or asked for something invalid; the message says which."""


@dataclass(frozen=True)
class GatewayDeps:
    """What the tools read and write with (built once in the composition root)."""

    session_factory: async_sessionmaker[AsyncSession]
    contracts: Mapping[str, Contract]
    topic_prefix: str
    context_timeout_ms: int


class Gateway:
    """The tools' behaviour, independent of the MCP transport that carries them."""

    def __init__(self, deps: GatewayDeps) -> None:
        self._deps = deps
        self._validate: InputValidator = contract_input_validator(deps.contracts)
        self._reader = ContextReader(deps.session_factory, deps.context_timeout_ms)
        # An email draft is the proposal of a contract's email_draft step, named by its tool.
        self._email_actions = frozenset(
            step.tool
            for contract in deps.contracts.values()
            for step in contract.fan_out
            if isinstance(step, EmailDraftStep)
        )

    async def audit(
        self,
        agent: Agent,
        tool: str,
        arguments: Mapping[str, Any],
        outcome: str,
        detail: str | None = None,
    ) -> None:
        """One audit row, committed on its own (the acts that write, `start_agent_run` and
        `suggest_email_edit`, commit theirs with what they wrote)."""
        row = audit_row(agent, tool, arguments, outcome, detail)
        async with self._deps.session_factory() as session, session.begin():
            session.add(row)

    def list_contracts(self) -> list[dict[str, Any]]:
        """Every contract with its inputs and whether an agent may start it (pure)."""
        return [_contract_row(c) for c in sorted(self._deps.contracts.values(), key=_type)]

    async def dry_run(self, workflow_type: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """What starting this run would show Mike (context, preconditions, what changes, the
        proposal's presentation), computed read-only: no row is written anywhere."""
        contract, request = agent_request(
            self._deps.contracts, self._validate, workflow_type, inputs
        )
        run_id, now = uuid.uuid4(), datetime.now(UTC)
        values = prepare_values(
            contract, request.inputs, runtime_values(run_id, workflow_type, now)
        )
        # The runner's own reader: one READ ONLY transaction with the statement timeout.
        context = to_jsonable(await self._reader.load(contract.context, values))
        scope = {**values, **context}
        outcomes = evaluate_preconditions(contract, scope)
        blocked = blocking_rules(outcomes)
        result: dict[str, Any] = {
            "dry_run": True,
            "workflow_type": workflow_type,
            "inputs": request.inputs,
            "context": context,
            "preconditions": outcome_rows(outcomes),
            "what_changes": [vars(c) for c in what_changes(contract)],
        }
        if blocked:
            return {**result, "would": "block", "blocked_by": blocked}
        if not contract.requires_approval:
            return {**result, "would": "run without a proposal (risk below the gate)"}
        prior = await self._reader.prior_reflexions(*subject_of(scope))
        draft = draft_proposal(
            contract, run_id, request.inputs, scope, {**context, "prior_reflexions": prior},
            outcomes, now,
        )  # fmt: skip
        return {
            **result,
            "would": "stage a proposal for Mike's approval",
            "approver": draft.approver,
            "presentation": draft.payload["presentation"],
            "warnings": draft.payload["warnings"],
        }

    async def start_run(
        self,
        agent: Agent,
        workflow_type: str,
        inputs: Mapping[str, Any],
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        """Start a run (`start_agent_run`) if the agent may start it with these inputs."""
        _, request = agent_request(self._deps.contracts, self._validate, workflow_type, inputs)
        key = agent_key(agent, idempotency_key)
        async with UnitOfWork(self._deps.session_factory) as uow:
            work = SqlGatewayWork(uow)
            return await start_agent_run(work, agent, request, key, self._deps.topic_prefix)

    async def read_run(self, run_id: str) -> dict[str, Any]:
        """A run's status, subject, steps and proposals."""
        try:
            rid = uuid.UUID(run_id)
        except ValueError:
            raise Refused("run_id is not a UUID") from None
        async with self._deps.session_factory() as session:
            run = await session.get(WorkflowRun, rid)
            if run is None:
                raise Refused(f"no run {run_id}")
            steps = await session.scalars(
                select(WorkflowRunStep).where(WorkflowRunStep.run_id == rid)
            )
            proposals = await session.scalars(
                select(ProposedAction)
                .where(ProposedAction.run_id == rid)
                .order_by(ProposedAction.id)
            )
            row: dict[str, Any] = to_jsonable(
                {
                    "run_id": run.run_id,
                    "workflow_type": run.workflow_type,
                    "status": run.status,
                    "title": run.title,
                    "started_by": run.started_by,
                    "requested_at": run.requested_at,
                    "completed_at": run.completed_at,
                    "error": run.error,
                    "inputs": run.inputs,
                    "steps": [
                        {"step_id": s.step_id, "status": s.status, "attempts": s.attempts}
                        for s in steps
                    ],
                    "proposals": [self._proposal_row(p) for p in proposals],
                }
            )
            return row

    async def pending_proposals(self, limit: int) -> list[dict[str, Any]]:
        """Pending proposals, oldest first (what waits longest for Mike)."""
        if not 0 < limit <= MAX_LIST:
            raise Refused(f"limit: 1 to {MAX_LIST}")
        async with self._deps.session_factory() as session:
            rows = await session.scalars(
                select(ProposedAction)
                .where(ProposedAction.status == "pending")
                .order_by(ProposedAction.created_at, ProposedAction.id)
                .limit(limit)
            )
            return [to_jsonable(self._proposal_row(p)) for p in rows]

    async def propose_email_edit(
        self,
        agent: Agent,
        proposal_id: int,
        version: int,
        subject: str,
        body: str,
        note: str | None,
    ) -> dict[str, Any]:
        """Store a suggested text for a pending email draft (`suggest_email_edit`)."""
        edit = SuggestedEdit(proposal_id, version, subject, body, note)
        if problem := suggestion_problem(edit):
            raise Refused(problem)
        async with UnitOfWork(self._deps.session_factory) as uow:
            work = SqlGatewayWork(uow)
            return await suggest_email_edit(work, agent, self._email_actions, edit)

    def _proposal_row(self, p: ProposedAction) -> dict[str, Any]:
        row: dict[str, Any] = {
            "proposal_id": p.id,
            "run_id": p.run_id,
            "action_type": p.action_type,
            "entity_ref": p.entity_ref,
            "status": p.status,
            "version": p.version,
            "created_at": p.created_at,
            "expires_at": p.expires_at,
        }
        if p.action_type in self._email_actions:
            row["email"] = {k: p.payload.get(k) for k in ("to", "subject", "body")}
        return row


def audit_row(
    agent: Agent,
    tool: str,
    arguments: Mapping[str, Any],
    outcome: str,
    detail: str | None = None,
    run_id: uuid.UUID | None = None,
) -> AgentAudit:
    """The audit row of one tool call."""
    return AgentAudit(
        agent=agent_started_by(agent.name),
        tool=tool,
        arguments=to_jsonable(dict(arguments)),
        outcome=outcome,
        detail=detail[:2000] if detail else None,
        run_id=run_id,
    )


def agent_request(
    contracts: Mapping[str, Contract],
    validate_inputs: InputValidator,
    workflow_type: str,
    inputs: Mapping[str, Any],
) -> tuple[Contract, RunRequest]:
    """The contract and the checked request of a run an agent asks for; Refused when agents
    may not start that contract, or the request fails it."""
    contract = contracts.get(workflow_type)
    if contract is not None and contract.trigger.kind not in AGENT_TRIGGERS:
        raise Refused(
            f"{workflow_type} is started by its {contract.trigger.kind} trigger, not by agents"
        )
    checked = check_request(
        {"workflow_type": workflow_type, "inputs": dict(inputs), "source": "mcp"},
        validate_inputs,
    )
    if isinstance(checked, list):
        raise Refused(_errors(checked))
    assert contract is not None  # the validator refuses an unknown type
    return contract, checked


def agent_key(agent: Agent, idempotency_key: str | None) -> str | None:
    """The idempotency key of an agent's run: the agent's own, in the agent's namespace
    (reserved in intake), so no client and no other agent can take this agent's key, nor
    this agent a trigger's; Refused when it is empty or too long."""
    if idempotency_key is None:
        return None
    if not 0 < len(idempotency_key) <= MAX_KEY:
        raise Refused(f"idempotency_key: 1 to {MAX_KEY} characters")
    return f"{agent_started_by(agent.name)}:{idempotency_key}"


async def start_agent_run(
    uow: AgentRunWork, agent: Agent, request: RunRequest, key: str | None, topic_prefix: str
) -> dict[str, Any]:
    """Start a run through intake's one way (`stage_run`), recorded as started by the agent,
    with the act's audit row, and commit; a repeated key returns its first run (audited
    again), a key used for another request is Refused. The run stops at Mike's gate."""
    started_by = agent_started_by(agent.name)
    try:
        accepted = await stage_run(uow, request, key, topic_prefix, started_by)
    except IdempotencyConflict:
        raise Refused("idempotency_key was already used for a different run") from None
    arguments = {"workflow_type": request.workflow_type, "inputs": request.inputs, "key": key}
    uow.agent_audits.add(
        audit_row(agent, "start_run", arguments, AgentOutcome.OK, run_id=accepted.run_id)
    )
    await uow.commit()
    return {
        "run_id": str(accepted.run_id),
        "replayed": accepted.replayed,
        "started_by": started_by,
        "note": "the run stops at Mike's approval gate; agents cannot approve",
    }


@dataclass(frozen=True)
class SuggestedEdit:
    """An agent's text for the email draft of a proposal, at the version it read."""

    proposal_id: int
    version: int
    subject: str
    body: str
    note: str | None


async def suggest_email_edit(
    uow: SuggestionWork, agent: Agent, email_actions: frozenset[str], edit: SuggestedEdit
) -> dict[str, Any]:
    """Store a suggested text for a pending email draft, against the version the agent
    read, with the act's audit row, and commit; the draft itself is untouched until Mike
    edits, approves or rejects it. Refused unless the draft is pending at that version."""
    proposal_id, version = edit.proposal_id, edit.version
    found = await uow.email_drafts.lock_shared(proposal_id)
    if found is None or found.action_type not in email_actions:
        raise Refused(f"no pending email draft {proposal_id}")
    if found.status != "pending" or _expired(found):
        raise Refused(f"email draft {proposal_id} is {found.status}, not pending")
    if found.version != version:
        raise Refused(f"the draft is at version {found.version}; read it again")
    suggestion = EmailSuggestion(
        proposal_id=proposal_id,
        based_on_version=version,
        agent=agent_started_by(agent.name),
        subject=edit.subject.strip(),
        body=edit.body.replace("\r\n", "\n"),
        note=edit.note.strip() if edit.note else None,
    )
    suggestion_id = await uow.suggestions.add(suggestion)
    arguments = {"proposal_id": proposal_id, "version": version, "subject": edit.subject}
    uow.agent_audits.add(
        audit_row(agent, "propose_email_edit", arguments, AgentOutcome.OK, run_id=found.run_id)
    )
    await uow.commit()
    return {
        "suggestion_id": suggestion_id,
        "proposal_id": proposal_id,
        "applied": False,
        "note": "stored as a suggestion on the proposal page; only Mike can apply it",
    }


def _type(contract: Contract) -> str:
    return contract.workflow_type


def _contract_row(contract: Contract) -> dict[str, Any]:
    return {
        "workflow_type": contract.workflow_type,
        "title": contract.title,
        "description": contract.description,
        "risk_level": contract.risk_level,
        "trigger": contract.trigger.kind,
        "agent_may_start": contract.trigger.kind in AGENT_TRIGGERS,
        "requires_approval": contract.requires_approval,
        "inputs": [spec.model_dump(mode="json", exclude_none=True) for spec in contract.inputs],
    }


def _expired(p: ProposedAction) -> bool:
    return p.expires_at is not None and p.expires_at <= datetime.now(UTC)


def _errors(errors: list[FieldError]) -> str:
    return "invalid request: " + "; ".join(f"{e.field}: {e.message}" for e in errors)


def suggestion_problem(edit: SuggestedEdit) -> str | None:
    """Why a suggested text is refused before any draft is read (pure), or None."""
    if len(edit.note or "") > MAX_NOTE:
        return f"the note holds at most {MAX_NOTE} characters"
    return email_text_problem(edit.subject, edit.body)
