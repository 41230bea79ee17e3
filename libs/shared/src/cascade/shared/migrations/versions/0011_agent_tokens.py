"""AI agents over MCP: scoped tokens (hashed), the audit of their tool calls, and the email
edits they suggest to Mike.

Revision ID: 0011_agent_tokens
Revises: 0009_object_bundles
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_agent_tokens"
down_revision: str | None = "0010_admin_run_starts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "agent_tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("scopes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_tokens")),
        sa.UniqueConstraint("key_id", name=op.f("uq_agent_tokens_key_id")),
    )
    op.create_index(op.f("ix_agent_tokens_name"), "agent_tokens", ["name"])
    op.create_table(
        "agent_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("agent", sa.String(length=120), nullable=False),
        sa.Column("tool", sa.String(length=100), nullable=False),
        sa.Column("arguments", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("run_id", sa.UUID(), nullable=True),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_audit")),
    )
    op.create_index("ix_agent_audit_agent_created", "agent_audit", ["agent", "created_at"])
    op.create_table(
        "email_suggestions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("based_on_version", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=120), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", TS, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposed_actions.id"],
            name=op.f("fk_email_suggestions_proposal_id_proposed_actions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_suggestions")),
    )
    op.create_index(op.f("ix_email_suggestions_proposal_id"), "email_suggestions", ["proposal_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_email_suggestions_proposal_id"), table_name="email_suggestions")
    op.drop_table("email_suggestions")
    op.drop_index("ix_agent_audit_agent_created", table_name="agent_audit")
    op.drop_table("agent_audit")
    op.drop_index(op.f("ix_agent_tokens_name"), table_name="agent_tokens")
    op.drop_table("agent_tokens")
