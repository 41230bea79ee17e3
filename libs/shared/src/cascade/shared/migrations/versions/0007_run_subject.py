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
    # The runs list searches `search_text ILIKE '%acme%'`; a trigram GIN index answers that
    # without scanning every run (a leading wildcard defeats a b-tree). pg_trgm ships with
    # PostgreSQL and is a trusted extension since 13: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_workflow_runs_search_text_trgm",
        "workflow_runs",
        ["search_text"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )


def downgrade() -> None:
    # pg_trgm stays: other objects may use it, and it changes nothing by itself.
    op.drop_index("ix_workflow_runs_search_text_trgm", table_name="workflow_runs")
    op.drop_index("ix_workflow_runs_twin_keys", table_name="workflow_runs")
    for column in ("search_text", "twin_keys", "summary", "title"):
        op.drop_column("workflow_runs", column)
