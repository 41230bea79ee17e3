"""Shared fixtures: the repository's contracts and a small valid contract to break."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cascade.shared.contract import Contract, ContractError, parse_contract

REPO = Path(__file__).resolve().parents[4]
CONTRACTS = REPO / "contracts"

MINIMAL: dict[str, Any] = {
    "workflow_type": "demo",
    "version": 2,
    "title": "Demo",
    "description": "A small contract that tests break on purpose.",
    "risk_level": 3,
    "owner": "tests",
    "reflexion_enabled": True,
    "trigger": {"kind": "manual", "sources": ["form"], "invoker": "mike"},
    "inputs": [
        {"name": "name", "required": True, "type": "string", "max_length": 50},
        {"name": "email", "required": False, "type": "email"},
    ],
    "context": [
        {
            "name": "existing",
            "tables": ["customers"],
            "returns": "many",
            "sql": "SELECT id FROM customers WHERE companyname = :name",
        }
    ],
    "preconditions": [{"name": "new", "rule": "existing IS NULL", "severity": "block"}],
    "hitl": {
        "action_type": "workflow_demo",
        "entity_ref": "workflow:demo:run_{{ run_id }}",
        "approver": "mike",
        "approval_window": "60m",
        "expires_after": "24h",
    },
    "fan_out": [
        {
            "id": "first",
            "kind": "db_write",
            "statements": [
                {
                    "sql": "INSERT INTO customers (companyname) VALUES (:name) RETURNING id",
                    "outputs": {"customer_id": "id"},
                }
            ],
        },
        {
            "id": "second",
            "kind": "db_write",
            "needs": ["first"],
            "statements": [{"sql": "UPDATE customers SET email = :email WHERE id = :customer_id"}],
        },
        {
            "id": "third",
            "kind": "email_draft",
            "to": "{{ email }}",
            "subject": "Hello {{ name }}",
            "body": "Welcome, {{ name }}.",
        },
    ],
    "post": [{"kind": "log_run"}],
    "verify": [
        {
            "name": "persisted",
            "kind": "sql",
            "window": "5s",
            "sql": "SELECT id FROM customers WHERE id = :customer_id",
        }
    ],
    "retry": {
        "max_attempts": 3,
        "backoff": "exponential",
        "base_ms": 1500,
        "max_ms": 30000,
        "alert_on_final_failure": True,
    },
}

Parse = Callable[[dict[str, Any]], Contract]
ErrorsOf = Callable[[dict[str, Any]], list[str]]


def _parse(document: dict[str, Any]) -> Contract:
    return parse_contract(yaml.safe_dump(document, sort_keys=False), "demo.yaml", "demo")


def _errors_of(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ContractError) as caught:
        _parse(document)
    return [str(issue) for issue in caught.value.issues]


@pytest.fixture
def minimal() -> dict[str, Any]:
    """A fresh deep copy of the minimal valid contract."""
    return copy.deepcopy(MINIMAL)


@pytest.fixture
def parse() -> Parse:
    """Dump a contract dict to YAML and load it as the file demo.yaml."""
    return _parse


@pytest.fixture
def errors_of() -> ErrorsOf:
    """The issues a broken contract produces, as printed (``file:line: path: message``)."""
    return _errors_of


@pytest.fixture
def contracts_dir() -> Path:
    """The repository's contracts folder."""
    return CONTRACTS


@pytest.fixture
def new_customer_text() -> str:
    """The repository's new_customer contract, as text."""
    return (CONTRACTS / "new_customer.yaml").read_text(encoding="utf-8")
