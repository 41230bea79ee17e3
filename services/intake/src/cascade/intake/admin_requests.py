"""`intake.admin_requested`: Mike's Execute form on the approvals page asks for a run; intake
checks it with the same rules as every path and starts it through the one door."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from pydantic import ValidationError

from cascade.intake.message_runs import checked_request, stage_message_run
from cascade.shared.consumer import Handler, RejectMessage, use_case_handler
from cascade.shared.contract import Contract
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import AdminRunRequested
from cascade.shared.run_requests.admin import ADMIN_KEY_PREFIX, admin_run_id, started_by_admin
from cascade.shared.run_requests.staging import RunRequestWork, SqlRunRequestWork
from cascade.shared.run_requests.validation import InputValidator


def admin_handler(
    contracts: Mapping[str, Contract], validate_inputs: InputValidator, topic_prefix: str
) -> Handler:
    """The handler: `start_admin_run` in the consumer's transaction."""
    use_case = partial(
        start_admin_run,
        contracts=contracts,
        validate_inputs=validate_inputs,
        topic_prefix=topic_prefix,
    )
    return use_case_handler(SqlRunRequestWork, use_case)


async def start_admin_run(
    uow: RunRequestWork,
    envelope: Envelope,
    contracts: Mapping[str, Contract],
    validate_inputs: InputValidator,
    topic_prefix: str,
) -> None:
    """Validate Mike's request again (the page did, with the same rules: a contract that
    changed in between is refused here, dead-lettered with the reason), then stage it under
    the form's key and run id."""
    try:
        ask = AdminRunRequested.model_validate(envelope.data)
    except ValidationError as exc:
        raise RejectMessage(f"invalid admin request: {exc.errors()[0]['msg']}") from None
    key = envelope.idempotency_key
    if not key.startswith(ADMIN_KEY_PREFIX) or envelope.run_id != admin_run_id(key):
        raise RejectMessage("invalid admin request: the key does not name this run")
    request = checked_request(ask.request, validate_inputs, "admin request")
    if not contracts[request.workflow_type].trigger.admin_executable:
        raise RejectMessage(
            f"invalid admin request: {request.workflow_type} is not started from the "
            "Execute form (trigger.admin_execute)"
        )
    conflict = f"{key} already started a run with other inputs"
    started_by = started_by_admin(ask.requested_by)
    await stage_message_run(uow, request, envelope, topic_prefix, started_by, conflict)
