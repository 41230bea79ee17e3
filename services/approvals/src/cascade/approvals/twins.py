"""Twins: pending proposals whose runs share a twin key (e.g. the same normalized company name
or email), so approving both would create the same customer twice. Each is flagged on the
other; only the runner's re-check at approval stops the second, and Mike should not need it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from cascade.shared.db.models import ProposedAction, WorkflowRun
from cascade.shared.db.statuses import ProposalStatus


@dataclass(frozen=True)
class Twin:
    """Another pending proposal that would collide with this one."""

    proposal_id: int
    title: str | None
    keys: tuple[str, ...]
    """The twin keys both runs share."""

    @property
    def label(self) -> str:
        """How a badge names it: `possible duplicate of #12 Acme Corp`."""
        name = f" {self.title}" if self.title else ""
        return f"possible duplicate of #{self.proposal_id}{name}"


async def twins_for(session: AsyncSession, proposal_ids: Sequence[int]) -> dict[int, list[Twin]]:
    """For each of `proposal_ids` that is pending, the other pending proposals of the same
    action type whose runs share a twin key, oldest first (one query for a whole page)."""
    if not proposal_ids:
        return {}
    mine, other = aliased(ProposedAction), aliased(ProposedAction)
    my_run, other_run = aliased(WorkflowRun), aliased(WorkflowRun)
    rows = await session.execute(
        select(mine.id, other.id, other_run.title, my_run.twin_keys, other_run.twin_keys)
        .join(my_run, my_run.run_id == mine.run_id)
        .join(
            other,
            and_(
                other.status == ProposalStatus.PENDING,
                other.action_type == mine.action_type,
                other.run_id != mine.run_id,
            ),
        )
        .join(other_run, other_run.run_id == other.run_id)
        .where(
            mine.id.in_(list(proposal_ids)),
            mine.status == ProposalStatus.PENDING,
            my_run.twin_keys.is_not(None),
            other_run.twin_keys.overlap(my_run.twin_keys),
        )
        .order_by(mine.id, other.id)
    )
    found: dict[int, list[Twin]] = {}
    for mine_id, other_id, title, my_keys, other_keys in rows.all():
        shared = tuple(k for k in my_keys or [] if k in set(other_keys or []))
        found.setdefault(mine_id, []).append(Twin(other_id, title, shared))
    return found
