"""A background task that dies (issue 10, defect 12): /healthz turns 503 naming it, and the
process exits non-zero for its supervisor to restart it."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from cascade.devstack.kafka_inspect import produce_raw
from cascade.devstack.pytest_plugin import StartService
from cascade.shared.envelope import new_envelope
from cascade.shared.runtime import ServiceRuntime, create_service_app
from cascade.shared.serve import EXIT_TASK_DIED
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.integration


async def test_healthz_names_each_task_and_turns_503_when_one_dies(settings: Settings) -> None:
    runtime = ServiceRuntime.build("doomed", settings)
    release = asyncio.Event()

    async def doomed(stop: asyncio.Event) -> None:
        await release.wait()
        raise RuntimeError("boom")

    async def steady(stop: asyncio.Event) -> None:
        await stop.wait()

    runtime.add_background(doomed, name="doomed poller")
    runtime.add_background(steady)
    fatal = asyncio.Event()
    runtime.on_fatal = fatal.set
    app = create_service_app(runtime, "doomed")
    transport = httpx.ASGITransport(app=app)
    async with (
        runtime.lifespan(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        before = await client.get("/healthz")
        assert before.status_code == 200, before.text
        assert before.json()["tasks"] == {
            "outbox relay": "running",
            "doomed poller": "running",
            "test_healthz_names_each_task_and_turns_503_when_one_dies.steady": "running",
        }
        release.set()
        await asyncio.wait_for(fatal.wait(), timeout=30)
        after = await client.get("/healthz")
    assert after.status_code == 503
    body = after.json()
    assert body["status"] == "degraded"
    assert body["tasks"]["doomed poller"] == "dead: raised: RuntimeError: boom"
    assert body["tasks"]["outbox relay"] == "running"
    assert runtime.dead_tasks == {"doomed poller": "dead: raised: RuntimeError: boom"}


async def test_subscribers_are_listed_in_health(
    settings: Settings, start_service: StartService
) -> None:
    probe = start_service("probe")
    async with httpx.AsyncClient() as client:
        body = (await client.get(probe.health_url)).json()
    assert body["subscribers"] == {f"{settings.consumer_group_prefix}.probe": "running"}
    assert body["tasks"] == {"outbox relay": "running", "Canary.run": "running"}


async def test_the_process_exits_non_zero_when_a_task_dies(
    settings: Settings, start_service: StartService
) -> None:
    probe = start_service("probe")
    run_id = uuid.uuid4()
    doom = new_envelope(Topic.WORKFLOW_REQUESTED, "test", run_id, {"doom_canary": True})
    topic = topic_name(settings.topic_prefix, Topic.WORKFLOW_REQUESTED)
    await produce_raw(settings.kafka_bootstrap, topic, doom.to_bytes(), str(run_id))
    assert await asyncio.to_thread(probe.wait_exit, 60) == EXIT_TASK_DIED
    log = probe.log_path.read_text(errors="replace")
    assert "task 'Canary.run' died (dead: raised: CanaryDied" in log
