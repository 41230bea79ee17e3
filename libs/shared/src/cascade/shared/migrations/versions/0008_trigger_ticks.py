"""Cron ticks claimed once per contract and scheduled time; who or what started each run.

Revision ID: 0008_trigger_ticks
Revises: 0007_run_subject
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_trigger_ticks"
down_revision: str | None = "0007_run_subject"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("workflow_runs", sa.Column("started_by", sa.String(200), nullable=True))
    op.create_table(
        "trigger_ticks",
        sa.Column("workflow_type", sa.String(100), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("run_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column(
            "claimed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("workflow_type", "scheduled_for", name="pk_trigger_ticks"),
        sa.UniqueConstraint("run_id", name="uq_trigger_ticks_run_id"),
    )


def downgrade() -> None:
    op.drop_table("trigger_ticks")
    op.drop_column("workflow_runs", "started_by")
