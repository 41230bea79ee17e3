"""`payload["presentation"]` of a proposal: what Mike reads before he approves, built from
the contract and the run's real values. Pure (no IO).

Every template is rendered (a value only an earlier step can produce shows an explicit
marker); the NetSuite body is rendered by the same function the push step stages it with
(`netsuite_payload`), over the same values, so it is exactly what ns-pusher will send.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cascade.shared.canonical import to_jsonable
from cascade.shared.contract import (
    ContextQuery,
    Contract,
    DbWriteStep,
    NetSuitePushStep,
    PreconditionOutcome,
    bind,
    business_changes,
    display_values,
    netsuite_payload,
    pending_outputs,
    rendered_plumbing,
    run_subject,
    select_names,
)
from cascade.shared.netsuite.rest import record_path

UPSERT_METHOD = "PUT"
"""ns-pusher upserts by external id (`SuiteTalkClient.upsert`)."""


def proposal_presentation(
    contract: Contract, scope: Mapping[str, object], outcomes: Sequence[PreconditionOutcome]
) -> dict[str, Any]:
    """The agreed shape: title, summary, sentence, changes, plumbing, warnings, queries,
    statements and netsuite. ``scope``: the run's values with its context results as stored
    on the run, i.e. exactly what its steps will bind."""
    subject = run_subject(contract, scope)
    # Real values win; only a step output nobody has yet falls back to its marker.
    later = {**pending_outputs(contract), **scope}
    shown = display_values(contract, later)
    shaped: dict[str, Any] = to_jsonable(
        {
            "title": subject.title,
            "summary": subject.summary,
            "sentence": subject.sentence,
            "changes": business_changes(contract, shown),
            "plumbing": rendered_plumbing(contract, shown),
            "warnings": warnings(contract, outcomes),
            "queries": [_query(q, scope) for q in contract.context],
            "statements": statements(contract, later),
            "netsuite": netsuite_requests(contract, later),
        }
    )
    return shaped


def warnings(contract: Contract, outcomes: Sequence[PreconditionOutcome]) -> list[dict[str, Any]]:
    """Each `warn` precondition that did not hold, with its message and what a system further
    on will do about it."""
    rules = {p.name: p for p in contract.preconditions}
    return [
        {
            "name": o.name,
            "message": o.message or f"{o.name} does not hold",
            "downstream": rules[o.name].downstream,
        }
        for o in outcomes
        if o.severity == "warn" and not o.passed
    ]


def statements(contract: Contract, later: Mapping[str, object]) -> list[dict[str, Any]]:
    """Every SQL write of the fan-out (write-backs included) with the values it will bind."""
    found: list[dict[str, Any]] = []
    for step in contract.fan_out:
        if isinstance(step, DbWriteStep):
            sqls = [s.sql for s in step.statements]
        elif isinstance(step, NetSuitePushStep) and step.writeback is not None:
            sqls = [step.writeback.sql]
        else:
            continue
        found.extend({"step": step.id, "sql": sql, "params": bind(sql, later)} for sql in sqls)
    return found


def netsuite_requests(contract: Contract, later: Mapping[str, object]) -> list[dict[str, Any]]:
    """Each NetSuite request of the fan-out: method, path and the JSON body, as sent."""
    requests = []
    for step in contract.fan_out:
        if isinstance(step, NetSuitePushStep):
            external_id, body = netsuite_payload(step, later)
            requests.append(
                {
                    "step": step.id,
                    "record_type": step.record_type,
                    "method": UPSERT_METHOD,
                    "path": record_path(step.record_type, f"eid:{external_id}"),
                    "body": body,
                }
            )
    return requests


def _query(query: ContextQuery, scope: Mapping[str, object]) -> dict[str, Any]:
    return {
        "name": query.name,
        "sql": query.sql,
        "params": bind(query.sql, scope),
        "rows": _rows(query, scope.get(query.name)),
    }


def _rows(query: ContextQuery, result: object) -> list[Any]:
    # The shaped result back as the rows the query returned.
    if query.returns == "many":
        return list(result) if isinstance(result, list | tuple) else []
    if result is None:
        return []
    if query.returns == "one":
        return [result]
    names = select_names(query.sql)
    return [{names[0] if names else "value": result}]
