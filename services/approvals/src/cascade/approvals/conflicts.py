"""Why a compare-and-set on a proposal updated nothing, told so Mike knows what to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cascade.shared.db.statuses import ProposalStatus


class Conflict(StrEnum):
    """The reason a decision was refused with 409."""

    ALREADY_DECIDED = "already_decided"
    EXPIRED = "expired"
    STALE_VERSION = "stale_version"
    PAYLOAD_CHANGED = "payload_changed"
    CONCURRENT_CHANGE = "concurrent_change"


@dataclass(frozen=True)
class CurrentProposal:
    """The proposal as read right after the failed compare-and-set."""

    status: str
    version: int
    payload_sha256: str
    expires_at: datetime | None
    expired: bool
    decided_by: str | None
    decided_at: datetime | None


def conflict_reason(current: CurrentProposal, version: int, payload_sha256: str) -> Conflict:
    """The most useful explanation first: a decided or expired proposal cannot be fixed by
    reloading, a stale one can."""
    if current.status != ProposalStatus.PENDING:
        return Conflict.ALREADY_DECIDED
    if current.expired:
        return Conflict.EXPIRED
    if current.version != version:
        return Conflict.STALE_VERSION
    if current.payload_sha256 != payload_sha256:
        return Conflict.PAYLOAD_CHANGED
    # Everything matches now, so the row changed between the update and the read.
    return Conflict.CONCURRENT_CHANGE


def conflict_message(reason: Conflict, current: CurrentProposal, version: int) -> str:
    """A sentence for Mike: what happened and what to do next."""
    if reason is Conflict.ALREADY_DECIDED:
        who = f" by {current.decided_by}" if current.decided_by else ""
        when = f" at {current.decided_at.isoformat()}" if current.decided_at else ""
        return f"the proposal is already {current.status}{who}{when}; nothing was changed"
    if reason is Conflict.EXPIRED:
        when = current.expires_at.isoformat() if current.expires_at else "earlier"
        return f"the proposal expired at {when}; it can no longer be decided"
    if reason is Conflict.STALE_VERSION:
        return (
            f"you reviewed version {version} but the proposal is now at version "
            f"{current.version}; reload it and review the new payload"
        )
    if reason is Conflict.PAYLOAD_CHANGED:
        return "the payload differs from the one you reviewed; reload it and review it again"
    return "the proposal changed while deciding; reload it and try again"


def current_view(current: CurrentProposal) -> dict[str, object]:
    """The proposal's state as JSON next to the refusal; without the hash, so a script must
    fetch (review) the proposal again before it can approve."""
    return {
        "status": current.status,
        "version": current.version,
        "expires_at": current.expires_at.isoformat() if current.expires_at else None,
        "decided_by": current.decided_by,
        "decided_at": current.decided_at.isoformat() if current.decided_at else None,
    }
