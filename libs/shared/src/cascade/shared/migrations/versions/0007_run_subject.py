"""The business subject of each run: its title, summary pairs, twin keys and search text.

Revision ID: 0007_run_subject
Revises: 0006_email_jobs
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_run_subject"
down_revision: str | None = "0006_email_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("workflow_runs", sa.Column("title", sa.Text(), nullable=True))
    op.add_column("workflow_runs", sa.Column("summary", postgresql.JSONB(), nullable=True))
    op.add_column(
        "workflow_runs", sa.Column("twin_keys", postgresql.ARRAY(sa.Text()), nullable=True)
    )
    op.add_column("workflow_runs", sa.Column("search_text", sa.Text(), nullable=True))
    # Twins are found by overlap (`&&`) of keys; GIN answers that without a scan.
    op.create_index(
        "ix_workflow_runs_twin_keys", "workflow_runs", ["twin_keys"], postgresql_using="gin"
    )
    # Found by bench/ui_pages.py (10,000 proposals, 100,000 runs): without these the inbox's
    # first page joins every run and sorts every matching proposal, the runs list sorts
    # every run, and a search scans every run.
    op.create_index(
        "ix_proposed_actions_status_created", "proposed_actions", ["status", "created_at", "id"]
    )
    op.create_index("ix_proposed_actions_created", "proposed_actions", ["created_at", "id"])
    op.create_index("ix_workflow_runs_requested", "workflow_runs", ["requested_at", "run_id"])
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_workflow_runs_search_text",
        "workflow_runs",
        ["search_text"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_workflow_runs_search_text", table_name="workflow_runs")
    op.drop_index("ix_workflow_runs_requested", table_name="workflow_runs")
    op.drop_index("ix_proposed_actions_created", table_name="proposed_actions")
    op.drop_index("ix_proposed_actions_status_created", table_name="proposed_actions")
    op.drop_index("ix_workflow_runs_twin_keys", table_name="workflow_runs")
    for column in ("search_text", "twin_keys", "summary", "title"):
        op.drop_column("workflow_runs", column)
