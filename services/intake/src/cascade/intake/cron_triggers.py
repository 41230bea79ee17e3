"""Cron triggers: intake's scheduler fires each cron contract once per tick, whatever the
number of intake replicas and however often they crash.

A tick is a row of `trigger_ticks` keyed by (contract, scheduled time). The replica whose
INSERT creates it stages the run request in the same transaction (`handlers.stage_run`), so
the tick and its run commit together or not at all: a crash between claim and commit leaves
neither (another replica, or the same after its restart, fires the tick), and a second
replica's INSERT waits on the first's uncommitted row and then finds it taken. Which ticks
fire after an outage is `cron.plan_ticks` (the contract's `catch_up`), counted from the
latest tick recorded; a contract seen for the first time counts from its latest tick
before the scheduler started (recorded as `baseline`), so a new deployment fires nothing
that was due before it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.contract import Contract
from cascade.shared.crash import crash_point
from cascade.shared.cron import latest_tick, next_tick, plan_ticks
from cascade.shared.db.autocommit import first_alone
from cascade.shared.db.models import TriggerTick
from cascade.shared.db.statuses import TickOutcome
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.polling import poll
from cascade.shared.run_requests.staging import SqlRunRequestWork, stage_run
from cascade.shared.run_requests.validation import InputValidator, check_request
from cascade.shared.settings import Settings

log = logging.getLogger(__name__)

CRON_RUN_NAMESPACE = uuid.UUID("a4f3b0d2-6c1e-4f7b-8e2d-9b5c3a1d7e60")
CRASH_AFTER_CLAIM = "cron_after_claim"
"""Crash point: the tick row and its run request written, not committed."""

Clock = Callable[[], datetime]

_BASELINE = text(
    "INSERT INTO trigger_ticks (workflow_type, scheduled_for, outcome) "
    "SELECT CAST(:workflow_type AS VARCHAR), CAST(:scheduled_for AS TIMESTAMPTZ), 'baseline' "
    "WHERE NOT EXISTS (SELECT 1 FROM trigger_ticks "
    "WHERE workflow_type = CAST(:workflow_type AS VARCHAR)) "
    "ON CONFLICT DO NOTHING"
)


def utc_now() -> datetime:
    """The scheduler's clock: UTC, timezone-aware."""
    return datetime.now(UTC)


def started_by_cron(workflow_type: str) -> str:
    """What a run started by a tick records as its starter."""
    return f"cron:{workflow_type}"


def tick_key(workflow_type: str, scheduled_for: datetime) -> str:
    """The idempotency key of a tick's run: the contract and the tick's time."""
    return f"cron:{workflow_type}:{scheduled_for.astimezone(UTC).isoformat()}"


class CronScheduler:
    """Fires the due ticks of every cron contract; `run` is the background task."""

    def __init__(
        self,
        contracts: Mapping[str, Contract],
        factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        validate_inputs: InputValidator,
        clock: Clock = utc_now,
    ) -> None:
        self._contracts = [c for c in contracts.values() if c.trigger.kind == "cron"]
        self._factory = factory
        self._settings = settings
        self._validate = validate_inputs
        self._clock = clock
        self._started_at = clock()
        self._grace = timedelta(seconds=settings.cron_grace_s)

    @property
    def workflow_types(self) -> list[str]:
        """The cron contracts this scheduler fires."""
        return [c.workflow_type for c in self._contracts]

    async def run(self, stop: asyncio.Event) -> None:
        """Fire due ticks until `stop`; rest until the next tick (at most `cron_poll_s`)."""
        await poll(
            stop,
            self.round,
            self._settings.cron_poll_s,
            "cron scheduler",
            idle_for=self.seconds_to_next,
        )

    async def seconds_to_next(self) -> float:
        """Until the earliest next tick of any cron contract, bounded by the poll."""
        now = self._clock()
        waits = [(next_tick(self._schedule(c), now) - now).total_seconds() for c in self._contracts]
        # A hair past the tick: woken a moment early, the round would find it not yet due.
        return min([self._settings.cron_poll_s, *waits]) + 0.005

    async def round(self) -> int:
        """Fire every due tick of every cron contract; how many were fired here."""
        fired = 0
        for contract in self._contracts:
            fired += await self._contract_round(contract)
        return fired

    def _schedule(self, contract: Contract) -> str:
        schedule = contract.trigger.schedule
        assert schedule is not None  # the contract's model requires it for cron
        return schedule

    async def _last_tick(self, contract: Contract) -> datetime | None:
        row = await first_alone(
            self._factory,
            select(func.max(TriggerTick.scheduled_for)).where(
                TriggerTick.workflow_type == contract.workflow_type
            ),
        )
        return row[0] if row is not None else None

    async def _contract_round(self, contract: Contract) -> int:
        schedule = self._schedule(contract)
        last = await self._last_tick(contract)
        if last is None:
            baseline = latest_tick(schedule, self._started_at)
            await first_alone(
                self._factory,
                _BASELINE,
                {"workflow_type": contract.workflow_type, "scheduled_for": baseline},
            )
            last = await self._last_tick(contract)
            if last is None:
                return 0
        plan = plan_ticks(
            schedule, last, self._clock(), contract.trigger.catch_up_policy, self._grace
        )
        fired = 0
        for tick in plan.fire:
            fired += await self._fire(contract, tick)
        if plan.skip_through is not None:
            await self._record(contract, plan.skip_through, TickOutcome.SKIPPED)
            log.info(
                "cron: %s ticks up to %s missed, passed over (catch_up: none)",
                contract.workflow_type,
                plan.skip_through.isoformat(),
            )
        return fired

    async def _record(self, contract: Contract, tick: datetime, outcome: str) -> None:
        await first_alone(
            self._factory,
            insert(TriggerTick)
            .values(workflow_type=contract.workflow_type, scheduled_for=tick, outcome=outcome)
            .on_conflict_do_nothing(),
        )

    async def _fire(self, contract: Contract, tick: datetime) -> int:
        """Claim `tick` and stage its run in one transaction; 0 when another replica had it."""
        key = tick_key(contract.workflow_type, tick)
        run_id = uuid.uuid5(CRON_RUN_NAMESPACE, key)
        document = {
            "workflow_type": contract.workflow_type,
            "inputs": {},
            "source": f"cron {contract.trigger.schedule} UTC",
        }
        request = check_request(document, self._validate)
        async with UnitOfWork(self._factory) as uow:
            claimed = await uow.session.execute(
                insert(TriggerTick)
                .values(
                    workflow_type=contract.workflow_type,
                    scheduled_for=tick,
                    outcome=TickOutcome.FIRED
                    if not isinstance(request, list)
                    else TickOutcome.REFUSED,
                    run_id=run_id if not isinstance(request, list) else None,
                )
                .on_conflict_do_nothing()
                .returning(TriggerTick.scheduled_for)
            )
            if claimed.first() is None:
                return 0
            if isinstance(request, list):
                # Not reachable for a contract the loader accepted (a cron contract has no
                # required inputs); recorded so the tick is not retried forever.
                detail = "; ".join(f"{p.field}: {p.message}" for p in request)
                log.error("cron: %s tick %s refused: %s", contract.workflow_type, tick, detail)
            else:
                await stage_run(
                    SqlRunRequestWork(uow),
                    request,
                    key,
                    self._settings.topic_prefix,
                    started_by_cron(contract.workflow_type),
                    run_id=run_id,
                )
            crash_point(self._settings.crash_at, CRASH_AFTER_CLAIM)
            await uow.commit()
        log.info("cron: %s fired for %s (run %s)", contract.workflow_type, tick.isoformat(), run_id)
        return 1
