"""`ns.push.retry_requested` (the approvals UI's retry button): what `POST .../retry` does."""

from __future__ import annotations

import logging
from functools import partial

from cascade.ns_pusher.unit_of_work import PushWork, SqlPusherWork
from cascade.shared.consumer import Handler, use_case_handler
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import NsPushRetryRequested

log = logging.getLogger(__name__)


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
