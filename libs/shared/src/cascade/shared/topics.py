"""Every topic Cascade uses, one per event type; records are keyed by run_id."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Topic(StrEnum):
    """Event types, which are also the base names of their topics."""

    INTAKE_REQUESTED = "intake.requested"
    INTAKE_ADMIN_REQUESTED = "intake.admin_requested"
    WORKFLOW_REQUESTED = "workflow.requested"
    PROPOSAL_STAGED = "proposal.staged"
    PROPOSAL_APPROVED = "proposal.approved"
    PROPOSAL_REJECTED = "proposal.rejected"
    NS_PUSH = "ns.push"
    NS_PUSH_RESULT = "ns.push.result"
    NS_PUSH_RETRY = "ns.push.retry_requested"
    WORKFLOW_COMPLETED = "workflow.completed"
    WORKFLOW_PARTIAL = "workflow.partial"
    WORKFLOW_FAILED = "workflow.failed"
    WORKFLOW_ALERT = "workflow.alert"
    VERIFY_RESULT = "verify.result"


DLQ_SUFFIX = ".dlq"


def topic_name(prefix: str, topic: Topic | str) -> str:
    """The physical topic name: an optional prefix (test isolation, tenants) + the event type."""
    return f"{prefix}{topic}"


def dlq_name(physical_topic: str) -> str:
    """The dead-letter topic of a physical topic."""
    return physical_topic + DLQ_SUFFIX


def all_topic_names(prefix: str = "", event_sources: Iterable[str] = ()) -> list[str]:
    """Every topic and its dead-letter topic, for provisioning; `event_sources` are the
    outside topics the contracts' event triggers consume (`contract.event_sources`)."""
    names = [topic_name(prefix, t) for t in Topic]
    names += [topic_name(prefix, s) for s in event_sources if s not in names]
    return names + [dlq_name(n) for n in names]
