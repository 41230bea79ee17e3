"""Repairs of failed verify checks (`verify_repairs`), check rounds, the object a repair rewrites.

Revision ID: 0012_verify_repairs
Revises: 0009_object_bundles
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_verify_repairs"
down_revision: str | None = "0011_agent_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "workflow_verify_results",
        sa.Column("round", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("object_puts", sa.Column("repair_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "verify_repairs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("check_name", sa.String(length=100), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("rerun", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("drift", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("verified", sa.String(length=20), nullable=True),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verify_repairs")),
        sa.UniqueConstraint("run_id", "check_name", "round", name="uq_verify_repairs_round"),
    )


def downgrade() -> None:
    op.drop_table("verify_repairs")
    op.drop_column("object_puts", "repair_id")
    op.drop_column("workflow_verify_results", "round")
