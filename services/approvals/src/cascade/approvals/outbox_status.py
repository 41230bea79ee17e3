"""What the outbox holds back: unsent rows per topic, parked ones, the age of the oldest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.approvals.views import Json, iso

# Only unsent rows: the partial index `ix_outbox_unsent` holds exactly these, however many
# sent rows the table has kept. Ages are the database clock's, like `created_at`.
_BY_TOPIC = text(
    """
    SELECT topic,
           count(*) FILTER (WHERE failed_at IS NULL) AS unsent,
           count(*) FILTER (WHERE failed_at IS NOT NULL) AS parked,
           min(created_at) AS oldest_at,
           extract(epoch FROM now() - min(created_at))::float8 AS oldest_age_s,
           max(attempts) AS max_attempts
    FROM outbox
    WHERE sent_at IS NULL
    GROUP BY topic
    ORDER BY topic
    """
)


@dataclass(frozen=True)
class TopicBacklog:
    """The unsent rows of one topic: waiting (or retrying) and parked."""

    topic: str
    unsent: int
    parked: int
    oldest_at: datetime
    oldest_age_s: float
    max_attempts: int


async def outbox_backlog(session: AsyncSession) -> Sequence[TopicBacklog]:
    """Per topic with unsent rows, by topic name."""
    rows = (await session.execute(_BY_TOPIC)).all()
    return [TopicBacklog(*row) for row in rows]


def outbox_view(backlog: Sequence[TopicBacklog]) -> Json:
    """Totals first (`backlog` counts every unsent row, parked ones included; the oldest
    age is null for an empty outbox), then one entry per topic."""
    oldest = max(backlog, key=lambda b: b.oldest_age_s, default=None)
    return {
        "backlog": sum(b.unsent + b.parked for b in backlog),
        "unsent": sum(b.unsent for b in backlog),
        "parked": sum(b.parked for b in backlog),
        "oldest_unsent_at": iso(oldest.oldest_at) if oldest is not None else None,
        "oldest_unsent_age_s": round(oldest.oldest_age_s, 3) if oldest is not None else None,
        "topics": [
            {
                "topic": b.topic,
                "backlog": b.unsent + b.parked,
                "unsent": b.unsent,
                "parked": b.parked,
                "oldest_unsent_at": iso(b.oldest_at),
                "oldest_unsent_age_s": round(b.oldest_age_s, 3),
                "max_attempts": b.max_attempts,
            }
            for b in backlog
        ],
    }
