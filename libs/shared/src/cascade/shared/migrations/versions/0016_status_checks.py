"""CHECK constraints on every status column (`cascade.shared.db.statuses`): PostgreSQL refuses
a status outside its enum instead of storing a row that no poller or page looks for.

The values come from the enums the code uses, so code and database share one list; a later
change of an enum comes with its own migration that drops and re-adds that column's constraint
(`tests/integration/test_migrations.py` fails while the database and the enum disagree).

Revision ID: 0016_status_checks
Revises: 0015_govern_netsuite_slots
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

from cascade.shared.db.models import STATUS_COLUMNS

revision: str = "0016_status_checks"
down_revision: str | None = "0015_govern_netsuite_slots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Validated at once: every value the code has ever written is in its enum, so rows of
    # earlier runs pass; one that does not stops the upgrade naming table and constraint.
    for column in STATUS_COLUMNS:
        op.create_check_constraint(column.name, column.table, column.sql)


def downgrade() -> None:
    for column in STATUS_COLUMNS:
        op.drop_constraint(op.f(f"ck_{column.table}_{column.name}"), column.table, type_="check")
