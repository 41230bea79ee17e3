"""`intake.admin_requested`: Mike's Execute form on the approvals page asks for a run; intake
checks it with the same rules as every path and starts it through the one door."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from pydantic import ValidationError

from cascade.shared.consumer import RejectMessage
from cascade.shared.contract import Contract
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import AdminRunRequested
from cascade.shared.run_requests.admin import ADMIN_KEY_PREFIX, admin_run_id, started_by_admin
from cascade.shared.run_requests.staging import IdempotencyConflict, stage_run
from cascade.shared.run_requests.validation import InputValidator, check_request


def admin_handler(
    contracts: Mapping[str, Contract], validate_inputs: InputValidator, topic_prefix: str
) -> Callable[[Envelope, UnitOfWork], Awaitable[None]]:
    """Validate Mike's request again (the page did, with the same rules: a contract that
    changed in between is refused here, dead-lettered with the reason), then stage it under
    the form's key and run id."""

    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        try:
            ask = AdminRunRequested.model_validate(envelope.data)
        except ValidationError as exc:
            raise RejectMessage(f"invalid admin request: {exc.errors()[0]['msg']}") from None
        key = envelope.idempotency_key
        if not key.startswith(ADMIN_KEY_PREFIX) or envelope.run_id != admin_run_id(key):
            raise RejectMessage("invalid admin request: the key does not name this run")
        request = check_request(ask.request, validate_inputs)
        if isinstance(request, list):
            detail = "; ".join(f"{p.field}: {p.message}" for p in request)
            raise RejectMessage(f"invalid admin request: {detail}")
        if not contracts[request.workflow_type].trigger.admin_executable:
            raise RejectMessage(
                f"invalid admin request: {request.workflow_type} is not started from the "
                "Execute form (trigger.admin_execute)"
            )
        try:
            await stage_run(
                uow, request, key, topic_prefix, started_by_admin(ask.requested_by),
                run_id=envelope.run_id,
            )  # fmt: skip
        except IdempotencyConflict:
            raise RejectMessage(f"{key} already started a run with other inputs") from None

    return handle
