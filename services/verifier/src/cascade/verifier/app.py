"""Composition root of the verifier: run-ended consumers, check pollers and the cron sweep."""

from __future__ import annotations

import asyncio
import os
import socket

import httpx
from fastapi import FastAPI

from cascade.shared.consumer import IdempotentConsumer
from cascade.shared.leased_jobs import JobConfig
from cascade.shared.messaging import subscribe
from cascade.shared.netsuite.governance import governed_rest
from cascade.shared.objectstore import ObjectStoreSettings, open_object_store
from cascade.shared.observability.db_gauges import VERIFY
from cascade.shared.runtime import BackgroundFactory, ServiceRuntime, create_service_app
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic
from cascade.shared.wakeup import Wakeup
from cascade.verifier.checks import CheckRunner
from cascade.verifier.domain import check_schedule, lease_seconds
from cascade.verifier.handlers import run_ended_handler
from cascade.verifier.http_checks import HttpChecks
from cascade.verifier.jobs import CHECKS
from cascade.verifier.object_checks import ObjectChecks
from cascade.verifier.readonly import ReadOnlyDatabase
from cascade.verifier.recording import CheckRecorder
from cascade.verifier.schedule import CronSchedule
from cascade.verifier.sql_checks import SqlChecks
from cascade.verifier.sweep import Sweeper
from cascade.verifier.worker import CheckJobs, check_worker, utc_now

SUBSCRIPTIONS = (
    # (consumer, topic, quiet): a partial run is a failure's outcome, rare next to the
    # completed ones, so one group member serves it (`messaging.subscribe`).
    ("verifier.workflow_completed", Topic.WORKFLOW_COMPLETED, False),
    ("verifier.workflow_partial", Topic.WORKFLOW_PARTIAL, True),
)


def identity() -> str:
    """Which verifier ran a check (host and process), kept in the check's detail."""
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_config(settings: Settings, wake: Wakeup | None = None) -> JobConfig:
    """The checker's retry schedule (on the scaled clock), lease and pace: `verify_workers`
    checks at once, the poll a safety net behind `wake` and the next due time."""
    return JobConfig(
        schedule=check_schedule(
            settings.verify_retry_base_s, settings.verify_retry_max_s, settings.verify_window_scale
        ),
        lease_s=lease_seconds(
            settings.verify_lease_s,
            settings.verify_statement_timeout_ms / 1000,
            # A NetSuite check may first wait for a request slot.
            settings.netsuite_timeout_s + settings.netsuite_slot_wait_s,
        ),
        poll_s=settings.verify_poll_ms / 1000,
        crash_at=settings.crash_at,
        wake=wake,
        concurrency=settings.verify_workers,
    )


def checking(
    runtime: ServiceRuntime, schedule: CronSchedule, store_settings: ObjectStoreSettings
) -> BackgroundFactory:
    """The pollers and the sweep of this process, sharing one HTTP and one S3 client."""
    settings = runtime.settings

    async def run(stop: asyncio.Event) -> None:
        db = ReadOnlyDatabase(runtime.session_factory, settings.verify_statement_timeout_ms)
        recorder = CheckRecorder(runtime.session_factory, settings.topic_prefix, identity())
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(settings.netsuite_timeout_s)) as http,
            open_object_store(store_settings) as store,
            governed_rest(
                settings, runtime.session_factory, http, observe=runtime.metrics.netsuite_call
            ) as rest,
        ):
            runner = CheckRunner(SqlChecks(db), HttpChecks(rest, db), ObjectChecks(store))
            config = worker_config(settings, runtime.bells[CHECKS.bell])
            jobs = CheckJobs(runtime.session_factory, runner, recorder, config)
            worker = check_worker(jobs, config)
            tasks = [Sweeper(schedule, [worker]).run(stop)]
            if settings.verify_poller_enabled:
                tasks.append(worker.run(stop))
            await asyncio.gather(*tasks)

    return run


def create_app(settings: Settings, store_settings: ObjectStoreSettings | None = None) -> FastAPI:
    """The verifier service: runs the delayed checks of finished runs."""
    # Parsed here so a bad expression stops the process at start, not at the first tick.
    schedule = CronSchedule(settings.verify_sweep_cron)
    runtime = ServiceRuntime.build("verifier", settings)
    handler = run_ended_handler(settings.topic_prefix, utc_now)
    for name, topic, quiet in SUBSCRIPTIONS:
        consumer = IdempotentConsumer(
            name, handler, runtime.session_factory, runtime.consumer_policy()
        )
        subscribe(runtime.broker, settings, topic, consumer, quiet=quiet)
    runtime.add_background(checking(runtime, schedule, store_settings or ObjectStoreSettings()))
    runtime.metrics.add_readings(VERIFY)
    return create_service_app(runtime, "Cascade verifier")
