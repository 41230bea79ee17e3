"""Verify checks as a job table: a lease for running checks and its index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "workflow_verify_results",
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_verify_lease",
        "workflow_verify_results",
        ["lease_until"],
        unique=False,
        postgresql_where=sa.text("status = 'running'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_verify_lease",
        table_name="workflow_verify_results",
        postgresql_where=sa.text("status = 'running'"),
    )
    op.drop_column("workflow_verify_results", "lease_until")
