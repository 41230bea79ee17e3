"""Ignore an event the database contradicts: no state change, its key left free, one alert.

The idempotent consumer claims an event's idempotency key before the handler runs. Real keys
are predictable (`proposal.approved:<run>:<proposal>`), so a forged event carrying the real
one's key would, if its claim committed, make the real event a "duplicate" and drop it. The
claim is therefore released in the same transaction: an ignored event is acked without
leaving a trace in the inbox, and only the alert about it is deduplicated (per record id, so
a redelivery of the same forged record alerts once).
"""

from __future__ import annotations

import logging

from cascade.runner.agreement import Disagreement
from cascade.runner.alerts import stage_alert
from cascade.runner.unit_of_work import RunnerWork
from cascade.shared.envelope import Envelope

log = logging.getLogger(__name__)
REASON = "event_disagrees_with_database"
MAX_DETAIL = 1000


async def ignore_disagreement(
    uow: RunnerWork,
    topic_prefix: str,
    consumer: str,
    topic: str,
    envelope: Envelope,
    disagreement: Disagreement,
) -> None:
    """Release the event's claim, log a warning and stage one `workflow.alert` naming why."""
    await uow.inbox.release(consumer, envelope.idempotency_key)
    detail = disagreement.detail[:MAX_DETAIL]
    log.warning(
        "%s: ignored %s %s (key %r, source %r) of run %s: %s",
        consumer,
        topic,
        envelope.id,
        envelope.idempotency_key,
        envelope.source,
        envelope.run_id,
        detail,
    )
    what = f"disagreement:{envelope.id}"
    if not await uow.inbox.claim(consumer, what):
        return  # this very record was ignored and alerted before
    stage_alert(
        uow,
        topic_prefix,
        envelope.run_id,
        what,
        REASON,
        f"ignored {topic}: {detail}",
        severity="warning",
        context={
            "topic": topic,
            "consumer": consumer,
            "event_id": str(envelope.id),
            "idempotency_key": envelope.idempotency_key,
            "source": envelope.source,
        },
    )
