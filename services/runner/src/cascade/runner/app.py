"""Composition root of the runner service."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from fastapi import FastAPI

from cascade.runner.executor import StepExecutor
from cascade.runner.expiry import ExpirySweeper
from cascade.runner.object_jobs import OBJECT_PUTS
from cascade.runner.object_worker import ObjectJobs, object_config, object_worker
from cascade.runner.runstate import RunnerDeps
from cascade.runner.subscribers import register
from cascade.shared.contract import load_contracts
from cascade.shared.objectstore import ObjectStoreSettings, open_object_store
from cascade.shared.observability.db_gauges import RUNS, STEPS
from cascade.shared.proposals.context_reader import ContextReader
from cascade.shared.runtime import BackgroundFactory, ServiceRuntime, create_service_app
from cascade.shared.settings import Settings

# Gate proposals expire after hours and remind after the contract's approval window (an
# hour): a sweep every 15 s is on time for both, where every 2 s cost an idle runner two
# queries a second for nothing.
EXPIRY_SWEEP_S = 15.0
STEP_CONCURRENCY = 8
"""Runs the step executor drives at once; well inside the connection pool."""


def _now() -> datetime:
    return datetime.now(UTC)


def object_writing(
    runtime: ServiceRuntime, deps: RunnerDeps, store_settings: ObjectStoreSettings
) -> BackgroundFactory:
    """The object worker of this process, on one S3 client."""
    settings = runtime.settings

    async def run(stop: asyncio.Event) -> None:
        config = object_config(settings, store_settings, runtime.bells[OBJECT_PUTS.bell])
        async with open_object_store(store_settings) as store:
            rng = random.Random(settings.step_jitter_seed)
            jobs = ObjectJobs(runtime.session_factory, store, deps, config, rng)
            await object_worker(jobs, config).run(stop)

    return run


def create_app(settings: Settings, store_settings: ObjectStoreSettings | None = None) -> FastAPI:
    """The runner: drives runs from request through approval, fan-out and post actions."""
    runtime = ServiceRuntime.build("runner", settings)
    deps = RunnerDeps(
        contracts=load_contracts(settings.contracts_dir),
        context=ContextReader(runtime.session_factory, settings.context_timeout_ms),
        topic_prefix=settings.topic_prefix,
        verify_window_scale=settings.verify_window_scale,
        clock=_now,
        crash_at=settings.crash_at,
        rng=random.Random(settings.step_jitter_seed),
        object_put_max_attempts=settings.object_put_max_attempts,
    )
    register(runtime, deps)
    runtime.metrics.add_readings(RUNS, STEPS)
    poll_s = settings.runner_poll_ms / 1000
    executor = StepExecutor(deps, runtime.session_factory, poll_s, STEP_CONCURRENCY)
    runtime.add_background(executor.run)
    runtime.add_background(object_writing(runtime, deps, store_settings or ObjectStoreSettings()))
    runtime.add_background(ExpirySweeper(deps, runtime.session_factory, EXPIRY_SWEEP_S).run)
    return create_service_app(runtime, "Cascade runner")
