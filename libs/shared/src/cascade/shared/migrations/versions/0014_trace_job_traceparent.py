"""A `traceparent` on every row that starts later work: steps, proposals, NetSuite pushes,
verify checks, approved emails and object puts (`cascade.shared.tracing`).

Revision ID: 0014_trace_job_traceparent
Revises: 0013_ops_dlq_redrive
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_trace_job_traceparent"
down_revision: str | None = "0013_ops_dlq_redrive"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "workflow_run_steps",
    "proposed_actions",
    "ns_pending_pushes",
    "workflow_verify_results",
    "email_jobs",
    "object_puts",
)


def upgrade() -> None:
    # Nullable, no default: rows of earlier runs have no trace to continue (a new one starts).
    for table in TABLES:
        op.add_column(table, sa.Column("traceparent", sa.String(length=55), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "traceparent")
