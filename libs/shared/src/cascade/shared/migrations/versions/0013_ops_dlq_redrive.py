"""Dead letters keep their record's headers and remember a redrive (who, when, which outbox
row); the audit trail may name no run (a redriven outside event whose key is not a run id).

Revision ID: 0013_ops_dlq_redrive
Revises: 0012_verify_repairs
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013_ops_dlq_redrive"
down_revision: str | None = "0012_verify_repairs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "dead_letters",
        sa.Column(
            "headers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column("dead_letters", sa.Column("redriven_at", TS, nullable=True))
    op.add_column("dead_letters", sa.Column("redriven_by", sa.String(length=100), nullable=True))
    op.add_column("dead_letters", sa.Column("redrive_outbox_id", sa.BigInteger(), nullable=True))
    op.alter_column("approval_audit", "run_id", existing_type=sa.UUID(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM approval_audit WHERE run_id IS NULL")
    op.alter_column("approval_audit", "run_id", existing_type=sa.UUID(), nullable=False)
    op.drop_column("dead_letters", "redrive_outbox_id")
    op.drop_column("dead_letters", "redriven_by")
    op.drop_column("dead_letters", "redriven_at")
    op.drop_column("dead_letters", "headers")
