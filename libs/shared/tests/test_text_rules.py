"""Unit tests of the character rules of every edge, and of what counts as one address."""

from __future__ import annotations

import errno

import pytest
from sqlalchemy import exc as sa_exc

from cascade.shared.http_outage import is_database_outage
from cascade.shared.text_rules import (
    address_problem,
    control_character_problem,
    several_addresses_problem,
)


@pytest.mark.parametrize(
    "text",
    ["a\rb", "a\nb", "a\tb", "a\x00b", "a\x7fb", "a\x85b", "a\x9bb", "a\u2028b", "a\u2029b"],
)
def test_single_line_fields_refuse_every_control_character(text: str) -> None:
    problem = control_character_problem(text)
    assert problem is not None
    assert f"U+{ord(text[1]):04X}" in problem


def test_multi_line_fields_allow_line_breaks_and_tabs_only() -> None:
    assert control_character_problem("1 Main St\r\nSpringfield\tIL", multiline=True) is None
    assert control_character_problem("para\u2028graph", multiline=True) is None
    for bad in ("a\x00b", "a\x0bb", "a\x1bb", "a\x7fb", "a\x85b"):
        assert control_character_problem(bad, multiline=True) is not None, repr(bad)


@pytest.mark.parametrize(
    "text", ["a@x.example, b@evil", "a@x.example;b@evil", "a@x b@y", "Jane <a@x>", "a@b@c"]
)
def test_lists_names_and_spaces_are_several_addresses(text: str) -> None:
    assert several_addresses_problem(text) is not None


def test_one_odd_token_is_not_several_addresses() -> None:
    # Left to the contract's warn rule: not a list, just not obviously an address.
    assert several_addresses_problem("ops.example") is None
    assert several_addresses_problem("a@b") is None


def test_a_valid_address_is_one_address_by_email_validator() -> None:
    assert address_problem("jane.doe+tag@acme.example") is None
    assert address_problem("jane@bücher.example") is None
    for bad in ("ops.example", "a@", "a@x.example\r\nBcc: b@evil", "a@x.example, b@evil"):
        assert address_problem(bad) is not None, bad


def test_database_outages_are_told_from_other_errors() -> None:
    assert is_database_outage(ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
    assert is_database_outage(TimeoutError())
    assert is_database_outage(OSError("Multiple exceptions: [Errno 111] ..."))
    assert is_database_outage(sa_exc.TimeoutError("QueuePool limit"))

    class Orig(Exception):
        def __init__(self, sqlstate: str) -> None:
            super().__init__(sqlstate)
            self.sqlstate = sqlstate

    assert is_database_outage(sa_exc.DBAPIError("select 1", None, Orig("3D000")))
    assert is_database_outage(sa_exc.DBAPIError("select 1", None, Orig("57P01")))
    assert is_database_outage(sa_exc.OperationalError("select 1", None, Orig("")))
    assert not is_database_outage(sa_exc.DBAPIError("insert", None, Orig("23505")))
    assert not is_database_outage(FileNotFoundError(errno.ENOENT, "missing"))
    assert not is_database_outage(ValueError("bug"))


def test_an_email_input_is_exactly_one_valid_address() -> None:
    from pydantic import TypeAdapter, ValidationError

    from cascade.shared.contract.inputs import EmailInput

    adapter = TypeAdapter(EmailInput(name="to", required=True, type="email").annotation())
    assert adapter.validate_python(" jane@acme.example ") == "jane@acme.example"
    for bad in ("jane@acme.example, x@evil.example", "jane@acme.example\r\nBcc: x", "nope"):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)
