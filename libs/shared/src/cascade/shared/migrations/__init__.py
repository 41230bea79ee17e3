"""The one Alembic history of the one Cascade database."""
