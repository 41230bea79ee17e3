"""Composition root of the intake service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from cascade.intake import api, form
from cascade.intake.admin_requests import admin_handler
from cascade.intake.api import outage_body
from cascade.intake.catalog import Catalog
from cascade.intake.cron_triggers import CronScheduler
from cascade.intake.event_triggers import subscribe_event_triggers
from cascade.intake.upstream import upstream_handler
from cascade.shared.consumer import IdempotentConsumer
from cascade.shared.contract import load_contracts
from cascade.shared.http_outage import install_outage_handler
from cascade.shared.messaging import subscribe
from cascade.shared.run_requests.catalog import contract_input_validator
from cascade.shared.runtime import ServiceRuntime, create_service_app
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic


def create_app(settings: Settings) -> FastAPI:
    """Intake: accepts run requests (HTTP API, HTML form, `intake.requested`, the contracts'
    event topics, their cron schedules, Mike's Execute form) and stages them in its outbox."""
    runtime = ServiceRuntime.build("intake", settings)
    contracts = load_contracts(settings.contracts_dir)  # a broken contract stops the start
    validate = contract_input_validator(contracts)
    upstream = IdempotentConsumer(
        "intake.upstream",
        upstream_handler(validate, settings.topic_prefix),
        runtime.session_factory,
        runtime.consumer_policy(),
    )
    subscribe(runtime.broker, settings, Topic.INTAKE_REQUESTED, upstream)
    admin = IdempotentConsumer(
        "intake.admin",
        admin_handler(contracts, validate, settings.topic_prefix),
        runtime.session_factory,
        runtime.consumer_policy(),
    )
    # Mike starts a run now and then: one group member is enough.
    subscribe(runtime.broker, settings, Topic.INTAKE_ADMIN_REQUESTED, admin, quiet=True)
    subscribe_event_triggers(runtime, contracts, validate)
    scheduler = CronScheduler(contracts, runtime.session_factory, settings, validate)
    if scheduler.workflow_types:
        runtime.add_background(scheduler.run, "cron scheduler")
    app = create_service_app(runtime, "Cascade intake")
    install_outage_handler(app, settings.http_retry_after_s, outage_body)
    app.state.catalog = Catalog(contracts, validate)
    app.include_router(api.router)
    app.include_router(form.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app
