"""JSON parameters converted to the types the server declared for them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cascade.verifier.params import ParameterError, coerce, coerce_all


def test_iso_text_becomes_a_datetime_where_a_timestamptz_is_expected() -> None:
    value = coerce("run_started_at", "2026-11-26T10:00:00.123456+00:00", "timestamptz")
    assert value == datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "pg_type", "expected"),
    [
        ("2500.00", "numeric", Decimal("2500.00")),
        ("42", "int8", 42),
        (42, "text", "42"),
        ("2026-11-26", "date", date(2026, 11, 26)),
        ("false", "bool", False),
        ({"a": 1}, "jsonb", '{"a": 1}'),
        ("kept", "unknown_type", "kept"),
        (None, "timestamptz", None),
    ],
)
def test_values_follow_the_declared_type(value: object, pg_type: str, expected: object) -> None:
    assert coerce("p", value, pg_type) == expected


def test_a_uuid_parameter_gets_a_uuid() -> None:
    run = uuid.uuid4()
    assert coerce_all({"run_id": str(run)}, {"run_id": "uuid"}) == {"run_id": run}


def test_a_value_that_cannot_be_the_type_names_the_parameter() -> None:
    with pytest.raises(ParameterError, match=r":customer_id = 'abc' is not a valid int8"):
        coerce("customer_id", "abc", "int8")


def test_parameters_the_server_did_not_type_are_left_alone() -> None:
    assert coerce_all({"a": "x", "b": 1}, {}) == {"a": "x", "b": 1}
