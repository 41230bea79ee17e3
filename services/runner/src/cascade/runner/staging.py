"""Stage the HITL proposal of a run, and announce it on `proposal.staged`."""

from __future__ import annotations

from dataclasses import asdict

from cascade.runner.unit_of_work import RunnerWork
from cascade.shared.db.models import ProposedAction, WorkflowRun
from cascade.shared.db.statuses import ProposalStatus
from cascade.shared.envelope import new_envelope
from cascade.shared.payloads import ProposalStaged
from cascade.shared.proposals.drafting import ProposalDraft
from cascade.shared.topics import Topic, topic_name

SOURCE = "cascade.runner"


async def stage_proposal(
    uow: RunnerWork, run: WorkflowRun, draft: ProposalDraft, topic_prefix: str
) -> int:
    """Insert the pending proposal and its `proposal.staged` event in the run's transaction;
    returns the proposal id. The event only tells: deciding needs Mike and the approvals API."""
    # The draft's fields are the proposal's columns: what Mike sees is what is stored.
    proposal = ProposedAction(
        run_id=run.run_id, status=ProposalStatus.PENDING, version=1, **asdict(draft)
    )
    proposal_id = await uow.proposals.add(proposal)
    data = ProposalStaged(
        proposal_id=proposal_id,
        action_type=draft.action_type,
        approver=draft.approver,
        version=proposal.version,
        payload_sha256=draft.payload_sha256,
        expires_at=draft.expires_at,
    )
    envelope = new_envelope(
        Topic.PROPOSAL_STAGED,
        SOURCE,
        run.run_id,
        data.model_dump(mode="json"),
        key_suffix=str(proposal_id),
    )
    uow.stage(topic_name(topic_prefix, Topic.PROPOSAL_STAGED), envelope)
    return proposal_id
