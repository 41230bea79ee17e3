"""An agent's suggested text for a pending email draft (`gateway.suggestion_problem`,
`suggest_email_edit`), on the in-memory unit of work."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from cascade.mcp.gateway import Refused, SuggestedEdit, suggest_email_edit, suggestion_problem
from cascade.mcp.tokens import Agent
from cascade.shared.db.models import ProposedAction
from cascade.shared.db.statuses import AgentOutcome

from .fakes import FakeGatewayWork

CLAUDE = Agent("claude", frozenset({"emails:propose"}), "k1")
EMAIL_ACTIONS = frozenset({"propose_email_to_customer"})
RUN = uuid.UUID("5e9a0000-0000-4000-8000-000000000001")
EDIT = SuggestedEdit(3, 2, " Welcome, Acme ", "Hello\r\nteam", " warmer ")


def drafted(uow: FakeGatewayWork, **row: object) -> ProposedAction:
    """Proposal 3: a pending email draft at version 2, open for another day."""
    fields: dict[str, object] = {
        "id": 3, "run_id": RUN, "action_type": "propose_email_to_customer",
        "status": "pending", "version": 2, "expires_at": datetime.now(UTC) + timedelta(days=1),
    }  # fmt: skip
    proposal = ProposedAction(**{**fields, **row})
    uow.email_drafts.rows[3] = proposal
    return proposal


async def test_a_suggestion_is_stored_against_the_version_read_and_audited() -> None:
    uow = FakeGatewayWork()
    drafted(uow)
    stored = await suggest_email_edit(uow, CLAUDE, EMAIL_ACTIONS, EDIT)
    assert stored == {
        "suggestion_id": 1,
        "proposal_id": 3,
        "applied": False,
        "note": "stored as a suggestion on the proposal page; only Mike can apply it",
    }
    (suggestion,) = uow.suggestions.rows
    assert (suggestion.based_on_version, suggestion.agent) == (2, "agent:claude")
    assert (suggestion.subject, suggestion.body, suggestion.note) == (
        "Welcome, Acme",
        "Hello\nteam",
        "warmer",
    )
    (audit,) = uow.agent_audits.added
    assert (audit.tool, audit.outcome, audit.run_id) == (
        "propose_email_edit",
        AgentOutcome.OK,
        RUN,
    )
    assert audit.arguments == {"proposal_id": 3, "version": 2, "subject": " Welcome, Acme "}
    assert uow.committed


async def test_each_suggestion_is_its_own() -> None:
    uow = FakeGatewayWork()
    drafted(uow)
    await suggest_email_edit(uow, CLAUDE, EMAIL_ACTIONS, EDIT)
    again = await suggest_email_edit(uow, CLAUDE, EMAIL_ACTIONS, EDIT)
    assert again["suggestion_id"] == 2
    assert len(uow.agent_audits.added) == 2


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ({"action_type": "new_customer_gate"}, "^no pending email draft 3$"),
        ({"status": "approved"}, "^email draft 3 is approved, not pending$"),
        ({"expires_at": datetime.now(UTC) - timedelta(minutes=1)}, "is pending, not pending$"),
        ({"version": 3}, "^the draft is at version 3; read it again$"),
    ],
)
async def test_a_suggestion_for_anything_but_the_pending_draft_read_is_refused(
    row: dict[str, object], why: str
) -> None:
    uow = FakeGatewayWork()
    drafted(uow, **row)
    with pytest.raises(Refused, match=why):
        await suggest_email_edit(uow, CLAUDE, EMAIL_ACTIONS, EDIT)
    assert uow.suggestions.rows == []
    assert uow.agent_audits.added == []
    assert not uow.committed


async def test_a_suggestion_for_a_missing_proposal_is_refused() -> None:
    with pytest.raises(Refused, match=r"^no pending email draft 3$"):
        await suggest_email_edit(FakeGatewayWork(), CLAUDE, EMAIL_ACTIONS, EDIT)


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (SuggestedEdit(3, 2, " ", "body", None), "^subject and text are needed$"),
        (SuggestedEdit(3, 2, "s" * 301, "body", None), "^the subject holds at most 300"),
        (SuggestedEdit(3, 2, "a\x07b", "body", None), "^subject "),
        (SuggestedEdit(3, 2, "subject", "a\x00b", None), "^text "),
        (SuggestedEdit(3, 2, "subject", "body", "n" * 2001), "^the note holds at most 2000"),
    ],
)
def test_a_text_no_email_may_carry_is_refused_before_any_draft_is_read(
    edit: SuggestedEdit, why: str
) -> None:
    assert re.search(why, suggestion_problem(edit) or "")
    assert suggestion_problem(EDIT) is None
