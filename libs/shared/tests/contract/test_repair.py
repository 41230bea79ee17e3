"""`repair:` on a verify check: validated against the fan-out, shown in show, graph and
"what changes"."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from cascade.shared.contract import (
    Contract,
    contract_text,
    load_contract,
    render_svg,
    what_changes,
)

from .conftest import ErrorsOf, Parse
from .test_object_put import with_bundle

CHECK = {
    "name": "stored",
    "kind": "object",
    "window": "5s",
    "key": "{{ bundle_key }}",
    "sha256": "{{ bundle_sha256 }}",
}


def with_repair(minimal: dict[str, Any], rerun: list[str]) -> dict[str, Any]:
    minimal = with_bundle(minimal)
    minimal["verify"].append({**CHECK, "repair": {"rerun": rerun}})
    return minimal


def test_a_repair_reruns_an_object_put_step(minimal: dict[str, Any], parse: Parse) -> None:
    check = parse(with_repair(minimal, ["bundle"])).verify_check("stored")
    assert check is not None
    assert check.repair is not None
    assert check.repair.rerun == ["bundle"]


def test_an_unknown_step_is_named_with_the_steps_there_are(
    minimal: dict[str, Any], errors_of: ErrorsOf
) -> None:
    errors = errors_of(with_repair(minimal, ["bundel"]))
    assert any(
        "verify[1].repair.rerun[0]: unknown step 'bundel'; expected one of" in e and "'bundle'" in e
        for e in errors
    ), errors


@pytest.mark.parametrize(
    ("rerun", "expected"),
    [
        (["first"], "step 'first' is a db_write step; a repair can re-run object_put steps"),
        (["bundle", "bundle"], "repair.rerun[1]: duplicate value 'bundle'"),
    ],
)
def test_a_step_a_repair_cannot_run_again_is_refused(
    minimal: dict[str, Any], errors_of: ErrorsOf, rerun: list[str], expected: str
) -> None:
    errors = errors_of(with_repair(minimal, rerun))
    assert any(expected in e for e in errors), errors


def test_an_empty_repair_is_refused(minimal: dict[str, Any], errors_of: ErrorsOf) -> None:
    errors = errors_of(with_repair(minimal, []))
    assert any("verify.1.object.repair.rerun" in e or "rerun" in e for e in errors), errors


@pytest.fixture
def new_customer(contracts_dir: Path) -> Contract:
    return load_contract(contracts_dir / "new_customer.yaml")


def test_new_customer_repairs_a_missing_bundle_by_writing_it_again(
    new_customer: Contract,
) -> None:
    check = new_customer.verify_check("first_quote_context_stored")
    assert check is not None
    assert check.repair is not None
    assert check.repair.rerun == ["first_quote_context"]
    text = contract_text(new_customer)
    assert "repair: re-run first_quote_context" in text
    assert any(
        c.resource == "verify_repairs" and "first_quote_context" in c.action
        for c in what_changes(new_customer)
    )


def test_the_graph_shows_the_bundle_step_its_check_and_the_repair(new_customer: Contract) -> None:
    root = ET.fromstring(render_svg(new_customer).encode("utf-8"))  # noqa: S314 - our own output
    nodes = {
        g.attrib["data-node"]: " ".join(g.itertext())
        for g in root.iter("{http://www.w3.org/2000/svg}g")
        if "data-node" in g.attrib
    }
    assert "object_put" in nodes["step:first_quote_context"]
    check = nodes["verify:first_quote_context_stored"]
    assert "object" in check
    assert "repair: re-run first_quote_context" in check
