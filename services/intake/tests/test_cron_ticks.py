"""A cron tick fired (`cron_triggers.fire_tick`), on the in-memory unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cascade.intake.cron_triggers import CRON_RUN_NAMESPACE, fire_tick, tick_key
from cascade.shared.contract import load_contracts
from cascade.shared.db.statuses import TickOutcome
from cascade.shared.run_requests.catalog import contract_input_validator
from cascade.shared.run_requests.validation import FieldError

from .fakes import FakeTickWork

CONTRACTS = load_contracts(Path(__file__).resolve().parents[3] / "contracts")
VALIDATE = contract_input_validator(CONTRACTS)
DIGEST = CONTRACTS["stale_proposals_digest"]
TICK = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
KEY = tick_key(DIGEST.workflow_type, TICK)
RUN = uuid.uuid5(CRON_RUN_NAMESPACE, KEY)


async def test_a_due_tick_is_claimed_with_its_run() -> None:
    uow = FakeTickWork()
    assert await fire_tick(uow, DIGEST, TICK, VALIDATE, "t.")
    (tick,) = uow.ticks.rows.values()
    assert (tick.outcome, tick.run_id) == (TickOutcome.FIRED, RUN)
    (staged,) = uow.staged_on("t.workflow.requested")
    assert staged.run_id == RUN
    assert staged.data["started_by"] == "cron:stale_proposals_digest"
    assert staged.data["client_idempotency_key"] == KEY
    assert staged.data["source"] == f"cron {DIGEST.trigger.schedule} UTC"
    assert uow.intake_requests.rows[KEY].run_id == RUN
    assert uow.committed


async def test_a_tick_another_replica_claimed_fires_nothing_here() -> None:
    uow = FakeTickWork()
    await fire_tick(uow, DIGEST, TICK, VALIDATE, "t.")
    uow.staged.clear()
    uow.committed = False
    assert not await fire_tick(uow, DIGEST, TICK, VALIDATE, "t.")
    assert uow.staged == []
    assert not uow.committed


async def test_a_tick_whose_request_the_contract_refuses_is_recorded_without_a_run() -> None:
    def refuse(workflow_type: str, inputs: Mapping[str, Any]) -> list[FieldError]:
        return [FieldError("inputs.since", "required")]

    uow = FakeTickWork()
    assert await fire_tick(uow, DIGEST, TICK, refuse, "t.")
    (tick,) = uow.ticks.rows.values()
    assert (tick.outcome, tick.run_id) == (TickOutcome.REFUSED, None)
    assert uow.staged == []
    assert uow.intake_requests.rows == {}
    assert uow.committed  # so the tick is not retried forever
