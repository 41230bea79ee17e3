"""The status CHECKs the models declare are the list migration 0016 creates."""

from cascade.shared.db.models import STATUS_COLUMNS, Base
from cascade.shared.db.statuses import RunStatus


def test_every_status_column_of_the_schema_is_constrained() -> None:
    declared = {(c.table, c.column) for c in STATUS_COLUMNS}
    status_like = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name in {"status", "outcome"}
    }
    assert status_like <= declared
    assert len(declared) == len(STATUS_COLUMNS) == 13


def test_a_check_allows_exactly_its_enum() -> None:
    runs = next(c for c in STATUS_COLUMNS if c.table == "workflow_runs")
    assert runs.values is RunStatus
    assert runs.name == "status"
    assert runs.sql == "status IN (" + ", ".join(f"'{v}'" for v in RunStatus) + ")"
