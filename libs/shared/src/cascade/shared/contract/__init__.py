"""Workflow contracts: models, loading and validation, rule evaluation and derived views.

Typical use::

    contract = load_contract(Path("contracts/new_customer.yaml"))   # raises ContractError
    values = prepare_values(contract, request_inputs)                 # intake / runner
    outcome = evaluate_preconditions(contract, values | context)      # runner
"""

from __future__ import annotations

from .changes import Change, what_changes
from .derive import compute_derived
from .durations import Duration, format_duration, parse_duration
from .errors import ContractError, Issue, RuleEvaluationError, RuleSyntaxError
from .graph import NodeState, render_svg
from .inputs import request_model, validate_request
from .loader import contract_path, load_contract, load_contracts, parse_contract
from .models import RUNTIME_NAMES, AnyCheck, AnyPost, AnyStep, Contract
from .plan import ancestors, find_cycle, levels, needs_map, ready_steps
from .post import EventPost, LogRunPost, PostPlan, ReflexionPost
from .rules import Rule, compile_rule, evaluate_rule
from .runtime import (
    ContextResultError,
    PreconditionOutcome,
    bind,
    email_draft,
    entity_ref,
    evaluate_preconditions,
    event_key,
    netsuite_payload,
    prepare_values,
    runtime_values,
    shape_context_result,
)
from .schema import contract_json_schema
from .sections import (
    HITL_RISK_GATE,
    ContextQuery,
    Derived,
    HitlGate,
    HttpCheck,
    Precondition,
    RetryPolicy,
    SqlCheck,
    Trigger,
)
from .show import contract_document, contract_text
from .sqlinfo import sql_params
from .steps import KIND_ALIASES, DbWriteStep, EmailDraftStep, NetSuitePushStep, SqlStatement

__all__ = [
    "HITL_RISK_GATE",
    "KIND_ALIASES",
    "RUNTIME_NAMES",
    "AnyCheck",
    "AnyPost",
    "AnyStep",
    "Change",
    "ContextQuery",
    "ContextResultError",
    "Contract",
    "ContractError",
    "DbWriteStep",
    "Derived",
    "Duration",
    "EmailDraftStep",
    "EventPost",
    "HitlGate",
    "HttpCheck",
    "Issue",
    "LogRunPost",
    "NetSuitePushStep",
    "NodeState",
    "PostPlan",
    "Precondition",
    "PreconditionOutcome",
    "ReflexionPost",
    "RetryPolicy",
    "Rule",
    "RuleEvaluationError",
    "RuleSyntaxError",
    "SqlCheck",
    "SqlStatement",
    "Trigger",
    "ancestors",
    "bind",
    "compile_rule",
    "compute_derived",
    "contract_document",
    "contract_json_schema",
    "contract_path",
    "contract_text",
    "email_draft",
    "entity_ref",
    "evaluate_preconditions",
    "evaluate_rule",
    "event_key",
    "find_cycle",
    "format_duration",
    "levels",
    "load_contract",
    "load_contracts",
    "needs_map",
    "netsuite_payload",
    "parse_contract",
    "parse_duration",
    "prepare_values",
    "ready_steps",
    "render_svg",
    "request_model",
    "runtime_values",
    "shape_context_result",
    "sql_params",
    "validate_request",
    "what_changes",
]
