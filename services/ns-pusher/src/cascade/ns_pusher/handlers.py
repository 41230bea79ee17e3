"""The `ns.push` use case: make the staged push due. Short on purpose: it runs in the poll loop."""

from __future__ import annotations

import logging

from cascade.ns_pusher.jobs import mark_due, view
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import NsPush

log = logging.getLogger(__name__)


class UnknownPush(LookupError):
    """`ns.push` named a push row that does not exist (or not the record it claims)."""


async def mark_push_due(envelope: Envelope, uow: UnitOfWork) -> None:
    """Schedule the push for the poller now; a repeat delivery changes nothing."""
    push = NsPush.model_validate(envelope.data)
    row = await view(uow.session, push.push_id)
    if row is None:
        raise UnknownPush(f"ns.push names push {push.push_id}, which does not exist")
    if (row["record_type"], row["external_id"]) != (push.record_type, push.external_id):
        raise UnknownPush(
            f"ns.push names push {push.push_id} as {push.record_type} eid:{push.external_id},"
            f" but that row holds {row['record_type']} eid:{row['external_id']}"
        )
    if not await mark_due(uow.session, push.push_id):
        log.info("ns-pusher: push %s is %s already, nothing to do", push.push_id, row["status"])
