"""Every kind of broken contract fails with a message naming the file, the path inside the
document and what was expected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from cascade.shared.contract import Contract, ContractError, parse_contract

Doc = dict[str, Any]
ErrorsOf = Callable[[Doc], list[str]]


def _put(path: tuple[str | int, ...], value: object) -> Callable[[Doc], None]:
    def mutate(document: Doc) -> None:
        node: Any = document
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


def _drop(path: tuple[str | int, ...]) -> Callable[[Doc], None]:
    def mutate(document: Doc) -> None:
        node: Any = document
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return mutate


CASES: list[tuple[str, Callable[[Doc], None], str]] = [
    (
        "unknown step kind",
        _put(("fan_out", 2, "kind"), "fax_send"),
        "fan_out[2]: unknown kind 'fax_send'; expected one of 'db_write', 'd1_write'",
    ),
    (
        "unbound SQL parameter",
        _put(
            ("fan_out", 0, "statements", 0, "sql"),
            "INSERT INTO customers (companyname) VALUES (:nme) RETURNING id",
        ),
        "fan_out[0].statements[0].sql: parameter :nme is not bound; expected an input",
    ),
    (
        "unbound parameter in a verify check",
        _put(("verify", 0, "sql"), "SELECT id FROM customers WHERE id = :nobody"),
        "verify[0].sql: parameter :nobody is not bound; expected an input",
    ),
    (
        "output of a step it does not need",
        _put(("fan_out", 1, "needs"), []),
        "fan_out[1].statements[0].sql: parameter :customer_id is an output of step 'first', "
        "which step 'second' does not need; expected 'first' in needs",
    ),
    (
        "reference to an unknown step",
        _put(("fan_out", 1, "needs"), ["frist"]),
        "fan_out[1].needs[0]: unknown step 'frist'; expected one of ['first', 'second', 'third']",
    ),
    (
        "cycle in needs",
        _put(("fan_out", 0, "needs"), ["second"]),
        "fan_out[0].needs[0]: needs forms a cycle: first -> second -> first",
    ),
    (
        "step needing itself",
        _put(("fan_out", 2, "needs"), ["third"]),
        "fan_out[2].needs[0]: step 'third' cannot need itself",
    ),
    (
        "function call in a rule",
        _put(("preconditions", 0, "rule"), "lower(name) = 'x'"),
        "preconditions[0].rule: function calls are not allowed (LOWER(name))",
    ),
    (
        "subquery in a rule",
        _put(("preconditions", 0, "rule"), "(SELECT count(*) FROM customers) = 0"),
        "preconditions[0].rule: subqueries are not allowed",
    ),
    (
        "arithmetic in a rule",
        _put(("preconditions", 0, "rule"), "existing + 1 > 2"),
        "preconditions[0].rule: operator ADD is not allowed (existing + 1)",
    ),
    (
        "unknown name in a rule",
        _put(("preconditions", 0, "rule"), "existing_customer IS NULL"),
        "preconditions[0].rule: name 'existing_customer' is not bound; expected an input, "
        "a derived value or a context result",
    ),
    (
        "duplicate step id",
        _put(("fan_out", 2, "id"), "first"),
        "fan_out[2]: duplicate step id 'first' (first at fan_out[0])",
    ),
    (
        "name bound twice",
        _put(("context", 0, "name"), "email"),
        "context[0].name: 'email' is already bound by inputs[1]; expected a new name",
    ),
    (
        "extra field",
        _put(("hitl", "approvers"), ["bob"]),
        "hitl.approvers: unexpected field 'approvers'; expected only: action_type, entity_ref",
    ),
    (
        "extra field in a step",
        _put(("fan_out", 2, "cc"), "boss@example.com"),
        "fan_out[2].cc: unexpected field 'cc'; expected only: id, needs, description, says, kind",
    ),
    (
        "extra field at the top",
        _put(("colour",), "blue"),
        "colour: unexpected field 'colour'; expected only: workflow_type, version",
    ),
    (
        "missing field",
        _drop(("fan_out", 2, "to")),
        "fan_out[2].to: missing required field 'to'",
    ),
    (
        "bad duration",
        _put(("verify", 0, "window"), "5 seconds"),
        "verify[0].window: expected a duration like 5s, 15m, 24h or 7d, got '5 seconds'",
    ),
    (
        "write in a context query",
        _put(("context", 0, "sql"), "DELETE FROM customers WHERE companyname = :name"),
        "context[0].sql: expected a SELECT query, got DELETE",
    ),
    (
        "positional parameter",
        _put(("context", 0, "sql"), "SELECT id FROM customers WHERE companyname = ?"),
        "context[0].sql: positional parameters (?) are not allowed; expected :name parameters",
    ),
    (
        "undeclared table",
        _put(("context", 0, "tables"), ["clients"]),
        "context[0].tables: expected the tables the query reads, ['customers'], got ['clients']",
    ),
    (
        "template filter",
        _put(("fan_out", 2, "subject"), "Hello {{ name | upper }}"),
        "fan_out[2].subject: unsupported placeholder '{{ name | upper }}'",
    ),
    (
        "unbound template name",
        _put(("fan_out", 2, "body"), "Your number is {{ customer_id }}"),
        "fan_out[2].body: template name 'customer_id' is an output of step 'first'",
    ),
    (
        "output not returned",
        _put(("fan_out", 0, "statements", 0, "outputs"), {"customer_id": "uuid"}),
        "fan_out[0].statements[0].outputs.customer_id: output 'customer_id' reads column 'uuid'",
    ),
    (
        "select in a write step",
        _put(("fan_out", 1, "statements", 0, "sql"), "SELECT 1"),
        "fan_out[1].statements[0].sql: expected INSERT, UPDATE or DELETE, got SELECT",
    ),
    (
        "risk 3 without a gate",
        _drop(("hitl",)),
        "hitl: expected a hitl gate: risk_level 3 >= 3 is always approved before fan-out",
    ),
    (
        "gate that never fires",
        _put(("risk_level",), 2),
        "hitl.risk_gate: the gate never fires: risk_level 2 < risk_gate 3",
    ),
    (
        "wrong version",
        _put(("version",), 1),
        "version: expected 2, got 1",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_contract_names_path_and_expectation(
    mutate: Callable[[Doc], None], expected: str, minimal: Doc, errors_of: ErrorsOf
) -> None:
    mutate(minimal)
    errors = errors_of(minimal)
    assert any(expected in error for error in errors), errors
    assert all(error.startswith("demo.yaml:") for error in errors), errors


def test_reflexion_post_action_needs_reflexion_enabled(minimal: Doc, errors_of: ErrorsOf) -> None:
    minimal["reflexion_enabled"] = False
    minimal["post"] = [{"kind": "reflexion", "tags": ["demo"]}]
    assert any(
        "post[0]: a reflexion post action needs reflexion_enabled: true" in e
        for e in errors_of(minimal)
    )


def test_event_types_cover_every_outcome(minimal: Doc, errors_of: ErrorsOf) -> None:
    minimal["post"] = [{"kind": "event", "types": ["completed", "failed"]}]
    errors = errors_of(minimal)
    assert any("post[0].types: expected 'partial' among the types" in e for e in errors), errors


def test_post_action_declared_twice(minimal: Doc, errors_of: ErrorsOf) -> None:
    minimal["post"] = [{"kind": "log_run"}, {"kind": "log_run"}]
    assert any("post[1]: duplicate post action 'log_run'" in e for e in errors_of(minimal))


def test_minimal_contract_is_valid(minimal: Doc, parse: Callable[[Doc], Contract]) -> None:
    contract = parse(minimal)
    assert [step.id for step in contract.fan_out] == ["first", "second", "third"]


def test_errors_carry_the_line_of_the_path(minimal: Doc, errors_of: ErrorsOf) -> None:
    minimal["fan_out"][1]["needs"] = ["frist"]
    text_lines = yaml.safe_dump(minimal, sort_keys=False).splitlines()
    expected_line = next(i for i, line in enumerate(text_lines, 1) if "frist" in line)
    assert errors_of(minimal)[0].startswith(f"demo.yaml:{expected_line}: fan_out[1].needs[0]:")


def test_all_problems_are_reported_at_once(minimal: Doc, errors_of: ErrorsOf) -> None:
    minimal["fan_out"][1]["needs"] = ["frist"]
    minimal["preconditions"][0]["rule"] = "upper(name) = 'X'"
    minimal["verify"][0]["sql"] = "SELECT id FROM customers WHERE id = :nobody"
    paths = {error.split(": ")[1] for error in errors_of(minimal)}
    assert {"fan_out[1].needs[0]", "preconditions[0].rule", "verify[0].sql"} <= paths


def test_duplicate_yaml_key_is_refused() -> None:
    text = "workflow_type: demo\nworkflow_type: other\n"
    with pytest.raises(ContractError, match=r"demo.yaml:2: invalid YAML: duplicate key"):
        parse_contract(text, "demo.yaml")


def test_document_must_be_a_mapping() -> None:
    with pytest.raises(ContractError, match="expected a mapping at the top of the document"):
        parse_contract("- just\n- a list\n", "demo.yaml")


def test_file_name_must_match_workflow_type(minimal: Doc, errors_of: ErrorsOf) -> None:
    minimal["workflow_type"] = "other"
    expected = "workflow_type: expected workflow_type 'demo' (the file name), got 'other'"
    assert any(expected in error for error in errors_of(minimal))
