"""Composition root of the approvals service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from cascade.approvals import (
    api_dlq,
    api_outbox,
    api_proposals,
    api_runs,
    ui_blocked,
    ui_execute,
    ui_inbox,
    ui_login,
    ui_proposal,
    ui_runs,
)
from cascade.approvals.auth import admin_gate
from cascade.approvals.email_sending import email_enqueuer, is_email_approval
from cascade.approvals.email_worker import email_pollers
from cascade.approvals.error_pages import error_page
from cascade.approvals.errors import install_error_handlers
from cascade.approvals.headers import SecurityHeaders
from cascade.approvals.ui_settings import UiSettings
from cascade.approvals.web import LoginRequired, Ui, login_redirect
from cascade.shared.consumer import IdempotentConsumer
from cascade.shared.contract import load_contracts
from cascade.shared.messaging import subscribe
from cascade.shared.observability.db_gauges import (
    APPROVAL_WAIT,
    EMAILS,
    approval_windows,
    proposals_reading,
)
from cascade.shared.runtime import ServiceRuntime, create_service_app
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic

EMAIL_CONSUMER = "approvals_email"


def create_app(settings: Settings, ui_settings: UiSettings | None = None) -> FastAPI:
    """The approvals service: the admin's decisions on staged proposals, run status, the UI,
    and the sending of approved emails."""
    contracts = load_contracts(settings.contracts_dir)
    ui = Ui(ServiceRuntime.build("approvals", settings), ui_settings or UiSettings(), contracts)
    runtime = ui.runtime
    consumer = IdempotentConsumer(
        EMAIL_CONSUMER, email_enqueuer(ui.settings.smtp_from), runtime.session_factory,
        runtime.consumer_policy(), accepts=is_email_approval,
    )  # fmt: skip
    # Only email approvals are kept, the rest pass by unclaimed: one group member is enough.
    subscribe(runtime.broker, settings, Topic.PROPOSAL_APPROVED, consumer, quiet=True)
    runtime.add_background(email_pollers(runtime, ui.settings))
    app = create_service_app(runtime, "Cascade approvals")
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app, settings.http_retry_after_s, error_page)
    app.add_exception_handler(LoginRequired, _login_required)
    # What the routes read (`auth.require_admin`, `web.UiDep`): the routers hold no state.
    app.state.admin = admin_gate(settings.admin_token, settings.admin_name)
    app.state.ui = ui
    app.include_router(api_proposals.router)
    app.include_router(api_runs.router)
    app.include_router(api_dlq.router)
    app.include_router(api_outbox.router)
    runtime.metrics.add_readings(
        proposals_reading(approval_windows(contracts.values())), APPROVAL_WAIT, EMAILS
    )
    app.include_router(ui_login.router)
    app.include_router(ui_inbox.router)
    app.include_router(ui_blocked.router)
    app.include_router(ui_proposal.router)
    app.include_router(ui_runs.router)
    app.include_router(ui_execute.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app


async def _login_required(request: Request, _exc: Exception) -> Response:
    return login_redirect(request)
