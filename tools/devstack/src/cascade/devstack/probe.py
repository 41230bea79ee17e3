"""A test-support service: consumes workflow.requested with a deliberately non-idempotent effect.

Its handler inserts a fresh `events` row per processing, so only the inbox can keep the
count at one; `data.poison` makes it fail, to exercise bounded retries and the DLQ; a `data`
that fails `ProbeData` exercises the rule that a schema error is permanent.
Run with `python -m cascade.devstack.probe`; port from `CASCADE_PROBE_PORT`.
"""

from __future__ import annotations

import os
import uuid

from fastapi import FastAPI
from pydantic import BaseModel

from cascade.shared.consumer import IdempotentConsumer
from cascade.shared.db.models import EventRecord
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope
from cascade.shared.messaging import subscribe
from cascade.shared.runtime import ServiceRuntime, create_service_app
from cascade.shared.serve import serve
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic

PROBE_EFFECT = "probe.effect"


class PoisonedOnPurpose(RuntimeError):
    """Raised for records a test marked as poison."""


class ProbeData(BaseModel):
    """What the probe reads from `data`, parsed the way services parse their payloads."""

    n: int = 0
    poison: bool = False


async def record_effect(envelope: Envelope, uow: UnitOfWork) -> None:
    """Insert one effect row per processing (not idempotent by itself)."""
    if ProbeData.model_validate(envelope.data).poison:
        raise PoisonedOnPurpose(f"record {envelope.id} is poison")
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
    consumer = IdempotentConsumer(
        "probe", record_effect, runtime.session_factory, runtime.consumer_policy()
    )
    subscribe(runtime.broker, settings, Topic.WORKFLOW_REQUESTED, consumer)
    return create_service_app(runtime, "Cascade probe")


if __name__ == "__main__":
    probe_settings = Settings()
    serve(
        create_app(probe_settings),
        probe_settings.http_host,
        int(os.environ.get("CASCADE_PROBE_PORT", "8090")),
    )
