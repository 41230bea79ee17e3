"""Workflow contracts: models, loading and validation, rule evaluation and derived views.

Typical use::

    contract = load_contract(Path("contracts/new_customer.yaml"))   # raises ContractError
    values = prepare_values(contract, request_inputs)                 # intake / runner
    outcome = evaluate_preconditions(contract, values | context)      # runner
"""

from __future__ import annotations

from .changes import Change, step_changes, what_changes
from .derive import compute_derived
from .display import MISSING, display_value, display_values
from .durations import Duration, format_duration, parse_duration
from .errors import ContractError, Issue, RuleEvaluationError, RuleSyntaxError
from .graph import NodeState, render_svg
from .inputs import request_model, validate_request
from .loader import contract_path, load_contract, load_contracts, parse_contract
from .models import RUNTIME_NAMES, AnyCheck, AnyPost, AnyStep, Contract
from .plan import ancestors, find_cycle, levels, needs_map, ready_steps
from .post import EventPost, LogRunPost, PostPlan, ReflexionPost
from .presentation import Presentation, SummaryField
from .preview import business_changes, pending_outputs, rendered_plumbing
from .rules import Rule, compile_rule, evaluate_rule
from .runtime import (
    ContextResultError,
    ObjectKeyError,
    PreconditionOutcome,
    bind,
    blocking_names,
    context_closure,
    email_draft,
    entity_ref,
    evaluate_preconditions,
    event_key,
    failed_blocks,
    netsuite_payload,
    object_document,
    object_key,
    prepare_values,
    runtime_values,
    shape_context_result,
)
from .schema import contract_json_schema
from .sections import (
    ContextQuery,
    Precondition,
    Repair,
    RetryPolicy,
    SqlCheck,
)
from .show import contract_document, contract_text
from .sqlinfo import select_names, sql_params
from .steps import (
    KIND_ALIASES,
    DbWriteStep,
    EmailDraftStep,
    NetSuitePushStep,
    ObjectPutStep,
    SqlStatement,
)
from .subject import Subject, fallback_subject, render_display, run_subject, twin_keys
from .trigger import DEFAULT_CATCH_UP, CatchUp, Trigger, event_sources

__all__ = [
    "DEFAULT_CATCH_UP",
    "KIND_ALIASES",
    "MISSING",
    "RUNTIME_NAMES",
    "AnyCheck",
    "AnyPost",
    "AnyStep",
    "CatchUp",
    "Change",
    "ContextQuery",
    "ContextResultError",
    "Contract",
    "ContractError",
    "DbWriteStep",
    "Duration",
    "EmailDraftStep",
    "EventPost",
    "Issue",
    "LogRunPost",
    "NetSuitePushStep",
    "NodeState",
    "ObjectKeyError",
    "ObjectPutStep",
    "PostPlan",
    "Precondition",
    "PreconditionOutcome",
    "Presentation",
    "ReflexionPost",
    "Repair",
    "RetryPolicy",
    "Rule",
    "RuleEvaluationError",
    "RuleSyntaxError",
    "SqlCheck",
    "SqlStatement",
    "Subject",
    "SummaryField",
    "Trigger",
    "ancestors",
    "bind",
    "blocking_names",
    "business_changes",
    "compile_rule",
    "compute_derived",
    "context_closure",
    "contract_document",
    "contract_json_schema",
    "contract_path",
    "contract_text",
    "display_value",
    "display_values",
    "email_draft",
    "entity_ref",
    "evaluate_preconditions",
    "evaluate_rule",
    "event_key",
    "event_sources",
    "failed_blocks",
    "fallback_subject",
    "find_cycle",
    "format_duration",
    "levels",
    "load_contract",
    "load_contracts",
    "needs_map",
    "netsuite_payload",
    "object_document",
    "object_key",
    "parse_contract",
    "parse_duration",
    "pending_outputs",
    "prepare_values",
    "ready_steps",
    "render_display",
    "render_svg",
    "rendered_plumbing",
    "request_model",
    "run_subject",
    "runtime_values",
    "select_names",
    "shape_context_result",
    "sql_params",
    "step_changes",
    "twin_keys",
    "validate_request",
    "what_changes",
]
