"""Which payload model each topic's envelopes carry in `data` (what the AsyncAPI document says).

Kept apart from `cascade.shared.payloads` because one topic's payload (`intake.requested`) is
the run request of the HTTP API (`cascade.shared.run_requests`), which imports the payloads.
"""

from __future__ import annotations

from pydantic import BaseModel

from cascade.shared.payloads import (
    AdminRunRequested,
    NsPush,
    NsPushResult,
    NsPushRetryRequested,
    ProposalDecision,
    ProposalStaged,
    VerifyResultEvent,
    WorkflowAlert,
    WorkflowEnded,
    WorkflowRequested,
)
from cascade.shared.run_requests.validation import RunRequest
from cascade.shared.topics import Topic

TOPIC_PAYLOADS: dict[Topic, type[BaseModel]] = {
    Topic.INTAKE_REQUESTED: RunRequest,
    Topic.INTAKE_ADMIN_REQUESTED: AdminRunRequested,
    Topic.WORKFLOW_REQUESTED: WorkflowRequested,
    Topic.PROPOSAL_STAGED: ProposalStaged,
    Topic.PROPOSAL_APPROVED: ProposalDecision,
    Topic.PROPOSAL_REJECTED: ProposalDecision,
    Topic.NS_PUSH: NsPush,
    Topic.NS_PUSH_RESULT: NsPushResult,
    Topic.NS_PUSH_RETRY: NsPushRetryRequested,
    Topic.WORKFLOW_COMPLETED: WorkflowEnded,
    Topic.WORKFLOW_PARTIAL: WorkflowEnded,
    Topic.WORKFLOW_FAILED: WorkflowEnded,
    Topic.WORKFLOW_ALERT: WorkflowAlert,
    Topic.VERIFY_RESULT: VerifyResultEvent,
}
"""Every topic's payload model (a test checks no topic is missing)."""

TOPIC_SUMMARIES: dict[Topic, str] = {
    Topic.INTAKE_REQUESTED: "An upstream system asks for a run (checked like POST /v1/runs).",
    Topic.INTAKE_ADMIN_REQUESTED: "Mike asked for a run on the approvals page's Execute form.",
    Topic.WORKFLOW_REQUESTED: "Intake accepted a run request; the runner starts the run.",
    Topic.PROPOSAL_STAGED: "A proposal waits for the admin's decision.",
    Topic.PROPOSAL_APPROVED: "The admin approved a proposal (bound to its version and hash).",
    Topic.PROPOSAL_REJECTED: "The admin rejected a proposal (bound to its version and hash).",
    Topic.NS_PUSH: "The runner staged a NetSuite write; ns-pusher pushes it.",
    Topic.NS_PUSH_RESULT: "NetSuite confirmed a push, or the retry policy gave up.",
    Topic.NS_PUSH_RETRY: "Mike asked for a new round of attempts of a failed push.",
    Topic.WORKFLOW_COMPLETED: "A run completed.",
    Topic.WORKFLOW_PARTIAL: "A run ended with some steps done and some failed.",
    Topic.WORKFLOW_FAILED: "A run failed.",
    Topic.WORKFLOW_ALERT: "Something needs a human (a final failure, an expiry, a parked row).",
    Topic.VERIFY_RESULT: "The verifier decided a check of a run (or staged it as skipped).",
}
"""One line per topic: the channel's summary."""
