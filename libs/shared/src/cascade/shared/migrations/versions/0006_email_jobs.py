"""Approved emails as durable leased jobs (`email_jobs`).

Revision ID: 0006_email_jobs
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_email_jobs"
down_revision: str | None = "0005_outbox_attempts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "email_jobs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("smtp_response", sa.Text(), nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposed_actions.id"],
            name=op.f("fk_email_jobs_proposal_id_proposed_actions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_jobs")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_email_jobs_proposal_id")),
    )
    op.create_index(op.f("ix_email_jobs_run_id"), "email_jobs", ["run_id"])
    op.create_index("ix_email_jobs_status_due", "email_jobs", ["status", "next_attempt_at"])
    # Emails sent before jobs existed show as sent on the pages (one attempt, their answer).
    op.execute("""
        INSERT INTO email_jobs (proposal_id, run_id, version, payload_sha256, recipient,
                                message_id, status, attempts, smtp_response, sent_at,
                                created_at, updated_at)
        SELECT s.proposal_id, s.run_id, p.version, s.payload_sha256, s.recipient,
               s.message_id, 'sent', 1, s.smtp_response, s.sent_at, s.sent_at, s.sent_at
        FROM email_sends AS s JOIN proposed_actions AS p ON p.id = s.proposal_id
    """)


def downgrade() -> None:
    op.drop_index("ix_email_jobs_status_due", table_name="email_jobs")
    op.drop_index(op.f("ix_email_jobs_run_id"), table_name="email_jobs")
    op.drop_table("email_jobs")
