"""Composition root of ns-pusher: the `ns.push` consumer, the push pollers, the operators' API."""

from __future__ import annotations

import asyncio
import random

import httpx
from fastapi import FastAPI

from cascade.ns_pusher import api
from cascade.ns_pusher.corrections import CONSUMER as CORRECTION_CONSUMER
from cascade.ns_pusher.corrections import correction_approved, is_correction_approval
from cascade.ns_pusher.domain import push_schedule
from cascade.ns_pusher.handlers import on_push
from cascade.ns_pusher.jobs import PUSHES
from cascade.ns_pusher.recording import PushRecorder
from cascade.ns_pusher.retry_requests import retry_requested
from cascade.ns_pusher.suitetalk import SuiteTalkClient
from cascade.ns_pusher.worker import PushJobs, push_worker
from cascade.shared.consumer import IdempotentConsumer
from cascade.shared.leased_jobs import JobConfig
from cascade.shared.messaging import subscribe
from cascade.shared.netsuite.governance import governed_rest
from cascade.shared.observability.db_gauges import NETSUITE_PUSHES
from cascade.shared.runtime import BackgroundFactory, ServiceRuntime, create_service_app
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic
from cascade.shared.wakeup import Wakeup

CONSUMER = "ns_pusher"
RETRY_CONSUMER = "ns_pusher_retry"


def worker_config(settings: Settings, wake: Wakeup | None = None) -> JobConfig:
    """The pusher's policy and pace; the lease always outlasts a call (PUT + GET, each maybe
    after the longest wait for a request slot). The poll is the safety net: `wake` rings
    after the commit that made a push due."""
    call_s = settings.netsuite_timeout_s + settings.netsuite_slot_wait_s
    return JobConfig(
        schedule=push_schedule(settings),
        lease_s=max(settings.ns_push_lease_s, 2 * call_s + 5),
        poll_s=settings.ns_push_poll_ms / 1000,
        crash_at=settings.crash_at,
        wake=wake,
        concurrency=settings.ns_push_workers,
    )


def pollers(runtime: ServiceRuntime) -> BackgroundFactory:
    """The pusher of this process (`ns_push_workers` pushes at once), with one HTTP client
    and one jitter source."""
    settings = runtime.settings

    async def run(stop: asyncio.Event) -> None:
        rng = random.Random(settings.ns_push_jitter_seed)
        recorder = PushRecorder(runtime.session_factory, settings)
        timeout = httpx.Timeout(settings.netsuite_timeout_s)
        async with (
            httpx.AsyncClient(timeout=timeout) as http,
            governed_rest(
                settings, runtime.session_factory, http, observe=runtime.metrics.netsuite_call
            ) as rest,
        ):
            config = worker_config(settings, runtime.bells[PUSHES.bell])
            jobs = PushJobs(runtime.session_factory, SuiteTalkClient(rest), recorder, config, rng)
            await push_worker(jobs, config).run(stop)

    return run


def create_app(settings: Settings) -> FastAPI:
    """The ns-pusher service: pushes staged records to NetSuite."""
    runtime = ServiceRuntime.build(CONSUMER, settings)
    consumer = IdempotentConsumer(
        CONSUMER, on_push, runtime.session_factory, runtime.consumer_policy()
    )
    subscribe(runtime.broker, settings, Topic.NS_PUSH, consumer)
    retries = IdempotentConsumer(
        RETRY_CONSUMER,
        retry_requested(settings.ns_push_max_attempts),
        runtime.session_factory,
        runtime.consumer_policy(),
    )
    # Retries are an operator's requests, corrections pass over every approval and keep the
    # rare correction ones: one group member each (`messaging.subscribe`'s `quiet`).
    subscribe(runtime.broker, settings, Topic.NS_PUSH_RETRY, retries, quiet=True)
    corrections = IdempotentConsumer(
        CORRECTION_CONSUMER,
        correction_approved(settings.ns_push_max_attempts, settings.topic_prefix),
        runtime.session_factory,
        runtime.consumer_policy(),
        accepts=is_correction_approval,
    )
    subscribe(runtime.broker, settings, Topic.PROPOSAL_APPROVED, corrections, quiet=True)
    runtime.add_background(pollers(runtime))
    runtime.metrics.add_readings(NETSUITE_PUSHES)
    app = create_service_app(runtime, "Cascade ns-pusher")
    app.include_router(api.router)
    return app
