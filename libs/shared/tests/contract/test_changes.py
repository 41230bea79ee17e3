"""The "what changes" table is derived from the contract, row by row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cascade.shared.contract import Change, Contract, load_contract, what_changes


def test_new_customer_changes_in_order(contracts_dir: Path) -> None:
    rows = what_changes(load_contract(contracts_dir / "new_customer.yaml"))
    summary = [f"{r.system} | {r.resource} | {r.action.split(' (')[0]} | {r.source}" for r in rows]
    assert summary == [
        "PostgreSQL | workflow_run_log | INSERT | runner automatic (always), "
        "configured by post action log_run",
        "PostgreSQL | reflexion_log | INSERT | runner automatic (reflexion_enabled), "
        "configured by post action reflexion",
        "Kafka | workflow.completed | workflow.partial | workflow.failed | publish one per run | "
        "runner automatic (always), configured by post action event",
        "PostgreSQL | workflow_verify_results | INSERT pending × 4 | runner verify staging",
        "PostgreSQL | proposed_actions | INSERT | runner HITL gate",
        "PostgreSQL | customers | INSERT | fan-out #1 (write_d1)",
        "PostgreSQL | ns_pending_pushes | INSERT | fan-out #2 (write_ns)",
        "NetSuite (via ns.push) | customer | upsert by external id {{ customer_external_id }} | "
        "fan-out #2 (write_ns)",
        "PostgreSQL | customers | UPDATE | fan-out #2 (write_ns) writeback",
        "PostgreSQL | customer_programs | INSERT | fan-out #3 (assign_programs)",
        "PostgreSQL | proposed_actions | INSERT | fan-out #4 (welcome_email)",
        "PostgreSQL | object_puts | INSERT | fan-out #5 (first_quote_context)",
        "Object store (S3 / R2) | customers/{{ customer_external_id }}/first-quote-context/v1.json"
        " | PUT first_quote_context v1 | fan-out #5 (first_quote_context)",
        "PostgreSQL | verify_repairs | INSERT if the check fails | "
        "verify first_quote_context_stored (repair)",
        "PostgreSQL | proposed_actions | INSERT | verify first_quote_context_stored (repair)",
    ]


def test_declared_post_actions_do_not_add_rows(
    minimal: dict[str, Any], parse: Callable[[dict[str, Any]], Contract]
) -> None:
    minimal["post"] = [{"kind": "log_run"}, {"kind": "reflexion", "tags": ["a", "b"]}]
    declared = what_changes(parse(minimal))
    minimal["post"] = []
    automatic = what_changes(parse(minimal))
    assert [r.resource for r in declared] == [r.resource for r in automatic]
    assert [r.resource for r in declared].count("workflow_run_log") == 1
    assert (
        Change(
            "PostgreSQL",
            "reflexion_log",
            "INSERT (tags=a, b)",
            "runner automatic (reflexion_enabled), configured by post action reflexion",
        )
        in declared
    )


def test_low_risk_has_no_proposal_row(contracts_dir: Path) -> None:
    rows = what_changes(load_contract(contracts_dir / "price_changed.yaml"))
    assert "proposed_actions" not in {r.resource for r in rows}
    assert "reflexion_log" not in {r.resource for r in rows}
    assert ("item_prices", "UPSERT") in {(r.resource, r.action) for r in rows}
