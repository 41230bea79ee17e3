"""Outbox rows count their failed publishes and can be parked, one at a time.

Revision ID: 0005_outbox_attempts
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_outbox_attempts"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "outbox", sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False)
    )
    op.add_column("outbox", sa.Column("last_error", sa.Text(), nullable=True))
    op.add_column("outbox", sa.Column("next_attempt_at", TS, nullable=True))
    op.add_column("outbox", sa.Column("failed_at", TS, nullable=True))
    # The relay looks up earlier unsent rows of the same key (per-key order).
    op.create_index(
        "ix_outbox_unsent_key",
        "outbox",
        ["key", "id"],
        unique=False,
        postgresql_where=sa.text("sent_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_unsent_key", table_name="outbox")
    op.drop_column("outbox", "failed_at")
    op.drop_column("outbox", "next_attempt_at")
    op.drop_column("outbox", "last_error")
    op.drop_column("outbox", "attempts")
