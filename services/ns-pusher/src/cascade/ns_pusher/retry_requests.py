"""A failed push retried: on `ns.push.retry_requested` (the approvals UI's retry button),
and on the operators' `POST /v1/ns-pushes/{id}/retry` (`api.py`)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from cascade.ns_pusher.unit_of_work import PushWork, SqlPusherWork
from cascade.shared.consumer import Handler, use_case_handler
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import NsPushRetryRequested

log = logging.getLogger(__name__)


class PushNotFound(LookupError):
    """No push has the id an operator asked to retry."""


class PushNotFailed(Exception):
    """The push an operator asked to retry is not failed (only a failed one retries)."""


def retry_requested(max_attempts: int) -> Handler:
    """The handler: `retry_push` in the consumer's transaction."""
    return use_case_handler(SqlPusherWork, partial(retry_push, max_attempts=max_attempts))


async def retry_push(uow: PushWork, envelope: Envelope, max_attempts: int) -> None:
    """Send a failed push back to pending for a new round of attempts; anything else stays."""
    ask = NsPushRetryRequested.model_validate(envelope.data)
    if await uow.pushes.retry_failed(ask.push_id, max_attempts):
        log.info("ns-pusher: push %s retried at %s's request", ask.push_id, ask.requested_by)
    else:
        log.info("ns-pusher: retry of push %s ignored: not failed", ask.push_id)


async def retry_failed_push(uow: PushWork, push_id: int, max_attempts: int) -> dict[str, Any]:
    """An operator's retry: a failed push back to pending for a new round of attempts, and
    commit; the push as operators see it then. Anything else stays as it is and is refused
    (PushNotFound, PushNotFailed)."""
    retried = await uow.pushes.retry_failed(push_id, max_attempts)
    row = await uow.pushes.view(push_id)
    await uow.commit()
    if row is None:
        raise PushNotFound(f"no push {push_id}")
    if not retried:
        raise PushNotFailed(f"push {push_id} is {row['status']}; only failed ones retry")
    return row
