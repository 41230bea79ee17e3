"""The `ns.push` use case: make the staged push due. Short on purpose: it runs in the poll loop."""

from __future__ import annotations

import logging

from cascade.ns_pusher.unit_of_work import PushWork, SqlPusherWork
from cascade.shared.consumer import use_case_handler
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import NsPush

log = logging.getLogger(__name__)


class UnknownPush(LookupError):
    """`ns.push` named a push row that does not exist (or not the record it claims)."""


async def mark_push_due(uow: PushWork, envelope: Envelope) -> None:
    """Schedule the push for the poller now; a repeat delivery changes nothing. The usual
    case is one statement (the UPDATE returns what the event is checked against); an
    event that names the wrong record raises, and the rollback undoes the mark."""
    push = NsPush.model_validate(envelope.data)
    marked = await uow.pushes.mark_due(push.push_id)
    if marked is not None:
        _check_names(push, marked)
        return
    row = await uow.pushes.view(push.push_id)
    if row is None:
        raise UnknownPush(f"ns.push names push {push.push_id}, which does not exist")
    _check_names(push, (row["record_type"], row["external_id"]))
    log.info("ns-pusher: push %s is %s already, nothing to do", push.push_id, row["status"])


def _check_names(push: NsPush, held: tuple[str, str]) -> None:
    if held != (push.record_type, push.external_id):
        raise UnknownPush(
            f"ns.push names push {push.push_id} as {push.record_type} eid:{push.external_id},"
            f" but that row holds {held[0]} eid:{held[1]}"
        )


on_push = use_case_handler(SqlPusherWork, mark_push_due)
"""The `ns.push` handler."""
