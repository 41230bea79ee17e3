"""NetSuite's concurrency governance: the account limit, shared by every replica.

NetSuite counts the requests in flight per account, over every integration, and answers 429
to those beyond its limit. Every process of a deployment takes a slot of one PostgreSQL pool
(`cascade.shared.request_slots`, named after the account) around each request, so together
they never exceed the limit and never cause the 429s they would then retry. The limit is the
setting `CASCADE_NETSUITE_CONCURRENCY_LIMIT`, or what NetSuite reports at start
(`GET /services/rest/system/v1/governanceLimits`) when that is lower.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.netsuite.auth import request_auth
from cascade.shared.netsuite.rest import REST_PATH, Observe, SuiteTalkRest
from cascade.shared.request_slots import RequestSlots, SlotPolicy
from cascade.shared.settings import Settings

log = logging.getLogger(__name__)

GOVERNANCE_PATH = REST_PATH + "/system/v1/governanceLimits"


def reported_limit(body: Any) -> int | None:
    """The concurrency limit a governanceLimits answer gives this integration: its own
    allocation when it has one, else the account's unallocated part (shared by every
    integration without an allocation), else the account's limit; None when the body says
    none of these."""
    if not isinstance(body, dict):
        return None
    for field in (
        "integrationConcurrencyLimit",
        "unallocatedConcurrencyLimit",
        "accountConcurrencyLimit",
    ):
        value = body.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def effective_limit(configured: int, reported: int | None) -> int:
    """The lower of the configured limit and the one NetSuite reported (if any)."""
    return configured if reported is None else max(1, min(configured, reported))


def slot_policy(settings: Settings) -> SlotPolicy:
    """The pool of the configured account. A slot is leased for the longest a gated send
    can take (a token request and the request, each repeated once after a 401, each within
    the timeout), so a live holder never loses it."""
    return SlotPolicy(
        pool=f"netsuite:{settings.netsuite_account_id}",
        limit=settings.netsuite_concurrency_limit,
        lease_s=4 * settings.netsuite_timeout_s + 5,
        wait_s=settings.netsuite_slot_wait_s,
        poll_s=settings.netsuite_slot_poll_ms / 1000,
    )


async def read_reported_limit(rest: SuiteTalkRest) -> int | None:
    """What governanceLimits says, or None when it answers nothing usable (NetSuite answers
    it to administrator roles only; other roles get an error, and the setting stands)."""
    answer = await rest.send("GET", rest.rest_url(GOVERNANCE_PATH.removeprefix(REST_PATH)))
    if not isinstance(answer, httpx.Response):
        log.warning("NetSuite governanceLimits not read: %s", answer.error)
        return None
    if answer.status_code != 200:
        log.info(
            "NetSuite governanceLimits answered HTTP %d (an administrator role is needed): "
            "the configured concurrency limit stands",
            answer.status_code,
        )
        return None
    try:
        body = json.loads(answer.content)
    except (ValueError, UnicodeDecodeError):
        body = None
    return reported_limit(body)


@asynccontextmanager
async def governed_rest(
    settings: Settings,
    factory: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    observe: Observe | None = None,
) -> AsyncIterator[SuiteTalkRest]:
    """The SuiteTalk transport of this process, every request gated by the account's slots,
    the limit narrowed to NetSuite's own figure when that is read and lower."""
    async with RequestSlots(factory, settings.database_url, slot_policy(settings)) as slots:
        rest = SuiteTalkRest(
            http,
            settings.netsuite_base_url,
            request_auth(settings),
            settings.netsuite_timeout_s,
            gate=slots,
            observe=observe,
        )
        if settings.netsuite_governance_limits:
            slots.narrow(effective_limit(slots.limit, await read_reported_limit(rest)))
        log.info(
            "NetSuite requests of account %s: at most %d at once across all replicas",
            settings.netsuite_account_id,
            slots.limit,
        )
        yield rest
