"""Does an event agree with the database? Pure checks, no IO.

Kafka is not a trust boundary we control: anyone who can produce to a topic can publish an
event with the right shape and even the right idempotency key. The runner therefore acts on
an event only when the database says the same thing: the approvals service writes a decision
and its event in one transaction, ns-pusher writes a push's outcome and its result in one
transaction, so a real event always agrees with the row it is about. An event that does not
is ignored and alerted (see `ignoring.py`), never allowed to change a run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from cascade.shared.db.models import NsPendingPush, ProposedAction
from cascade.shared.db.statuses import PushStatus
from cascade.shared.payloads import NsPushResult, ProposalDecision


@dataclass(frozen=True)
class Disagreement:
    """Why the database contradicts an event: the event must be ignored and alerted."""

    detail: str


def decision_disagreement(
    run_id: uuid.UUID,
    proposal: ProposedAction | None,
    decision: ProposalDecision,
    decided: str,
) -> Disagreement | None:
    """What the proposal row says against a `proposal.<decided>` event, or None if it agrees."""
    pid = decision.proposal_id
    if proposal is None:
        return Disagreement(f"proposal {pid} does not exist")
    if proposal.run_id != run_id:
        return Disagreement(f"proposal {pid} belongs to run {proposal.run_id}, not {run_id}")
    if proposal.status != decided:
        return Disagreement(f"proposal {pid} is {proposal.status} in the database, not {decided}")
    if decision.action_type != proposal.action_type:
        return Disagreement(
            f"proposal {pid} is a {proposal.action_type}, the event says {decision.action_type!r}"
        )
    if decision.version != proposal.version:
        return Disagreement(
            f"proposal {pid} was {decided} at version {proposal.version}, "
            f"the event says {decision.version}"
        )
    if decision.payload_sha256 != proposal.payload_sha256:
        return Disagreement(f"proposal {pid} was {decided} with another payload hash")
    return None


def push_disagreement(
    run_id: uuid.UUID, push: NsPendingPush | None, result: NsPushResult
) -> Disagreement | None:
    """What the push row says against an `ns.push.result`, or None if it agrees.

    ns-pusher sets the row's status (and NetSuite id) in the transaction that stages the
    result, so a real result always finds its outcome recorded; a push still pending, in
    flight or retrying has no result yet.
    """
    pid = result.push_id
    if push is None:
        return Disagreement(f"push {pid} does not exist")
    if push.run_id != run_id:
        return Disagreement(f"push {pid} belongs to run {push.run_id}, not {run_id}")
    if (push.record_type, push.external_id) != (result.record_type, result.external_id):
        return Disagreement(
            f"push {pid} is {push.record_type} {push.external_id!r}, "
            f"the event says {result.record_type} {result.external_id!r}"
        )
    if push.status != result.status:
        return Disagreement(f"push {pid} is {push.status} in the database, not {result.status}")
    if result.status == PushStatus.APPLIED and push.netsuite_id != result.netsuite_id:
        return Disagreement(
            f"push {pid} was applied as NetSuite id {push.netsuite_id!r}, "
            f"the event says {result.netsuite_id!r}"
        )
    if result.attempts > push.attempts:
        return Disagreement(
            f"push {pid} was attempted {push.attempts} time(s), the event says {result.attempts}"
        )
    return None
