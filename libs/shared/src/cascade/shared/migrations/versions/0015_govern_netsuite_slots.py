"""Slots of NetSuite's concurrency limit, shared by every replica (`request_slots`).

Revision ID: 0015_govern_netsuite_slots
Revises: 0014_trace_job_traceparent
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_govern_netsuite_slots"
down_revision: str | None = "0014_trace_job_traceparent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "request_slots",
        sa.Column("pool", sa.String(length=100), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("acquired_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("pool", "slot", name=op.f("pk_request_slots")),
    )


def downgrade() -> None:
    op.drop_table("request_slots")
