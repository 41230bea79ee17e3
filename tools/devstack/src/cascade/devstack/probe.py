"""A test-support service: consumes workflow.requested with a deliberately non-idempotent effect.

Its handler inserts a fresh `events` row per processing, so only the inbox can keep the
count at one; `data.poison` makes it fail, to exercise bounded retries and the DLQ; a `data`
that fails `ProbeData` exercises the rule that a schema error is permanent; `data.doom_canary`
makes the probe's background task (`probe canary`) die, to exercise task health.
Run with `python -m cascade.devstack.probe`; port from `CASCADE_PROBE_PORT`.
"""

from __future__ import annotations

import asyncio
import uuid

from fastapi import FastAPI
from pydantic import BaseModel

from cascade.devstack.settings import DevstackSettings
from cascade.shared.consumer import IdempotentConsumer
from cascade.shared.db.models import EventRecord
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope
from cascade.shared.messaging import subscribe
from cascade.shared.runtime import ServiceRuntime, create_service_app
from cascade.shared.serve import serve
from cascade.shared.settings import Settings
from cascade.shared.startup import Role, load_settings
from cascade.shared.topics import Topic

PROBE_EFFECT = "probe.effect"


class PoisonedOnPurpose(RuntimeError):
    """Raised for records a test marked as poison."""


class ProbeData(BaseModel):
    """What the probe reads from `data`, parsed the way services parse their payloads."""

    n: int = 0
    poison: bool = False
    doom_canary: bool = False


class CanaryDied(RuntimeError):
    """Raised by the probe's background task when a record asked it to die."""


class Canary:
    """A background task that idles until a record dooms it, then raises."""

    def __init__(self) -> None:
        self.doomed = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Wait for `stop` or doom, whichever comes first; doom raises CanaryDied."""
        stopping = asyncio.create_task(stop.wait())
        dooming = asyncio.create_task(self.doomed.wait())
        await asyncio.wait({stopping, dooming}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        dooming.cancel()
        if self.doomed.is_set() and not stop.is_set():
            raise CanaryDied("a record doomed the probe canary")


async def record_effect(envelope: Envelope, uow: UnitOfWork, canary: Canary | None = None) -> None:
    """Insert one effect row per processing (not idempotent by itself)."""
    data = ProbeData.model_validate(envelope.data)
    if data.poison:
        raise PoisonedOnPurpose(f"record {envelope.id} is poison")
    if data.doom_canary and canary is not None:
        canary.doomed.set()
    uow.session.add(
        EventRecord(
            id=uuid.uuid4(),
            type=PROBE_EFFECT,
            run_id=envelope.run_id,
            idempotency_key=f"{PROBE_EFFECT}:{uuid.uuid4()}",
            data={"source_event": str(envelope.id), **envelope.data},
        )
    )


def create_app(settings: Settings) -> FastAPI:
    """The probe service."""
    runtime = ServiceRuntime.build("probe", settings)
    canary = Canary()

    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        await record_effect(envelope, uow, canary)

    consumer = IdempotentConsumer(
        "probe", handle, runtime.session_factory, runtime.consumer_policy()
    )
    subscribe(runtime.broker, settings, Topic.WORKFLOW_REQUESTED, consumer)
    runtime.add_background(canary.run)
    return create_service_app(runtime, "Cascade probe")


if __name__ == "__main__":
    probe_settings = load_settings("probe", (Role.TEST_DOUBLE,))
    serve(create_app(probe_settings), probe_settings.http_host, DevstackSettings().probe_port)
