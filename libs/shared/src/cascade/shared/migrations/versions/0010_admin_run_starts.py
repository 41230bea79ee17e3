"""Runs Mike starts from the approvals page are audited in `approval_audit` without a
proposal: `proposal_id` becomes optional, and one `run_started` row per run (the Execute
form's key names the run) makes a double submit start one run.

Revision ID: 0010_admin_run_starts
Revises: 0009_object_bundles
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_admin_run_starts"
down_revision: str | None = "0009_object_bundles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("approval_audit", "proposal_id", existing_type=sa.BigInteger(), nullable=True)
    op.create_index(
        "uq_approval_audit_run_started",
        "approval_audit",
        ["run_id"],
        unique=True,
        postgresql_where=sa.text("decision = 'run_started'"),
    )


def downgrade() -> None:
    op.drop_index("uq_approval_audit_run_started", table_name="approval_audit")
    op.execute("DELETE FROM approval_audit WHERE proposal_id IS NULL")
    op.alter_column("approval_audit", "proposal_id", existing_type=sa.BigInteger(), nullable=False)
