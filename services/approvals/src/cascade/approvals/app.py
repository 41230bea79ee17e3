"""Composition root of the approvals service."""

from __future__ import annotations

from fastapi import FastAPI

from cascade.approvals.api_proposals import proposals_router
from cascade.approvals.api_runs import runs_router
from cascade.approvals.auth import admin_dependency
from cascade.approvals.errors import install_error_handlers
from cascade.approvals.headers import SecurityHeaders
from cascade.shared.runtime import ServiceRuntime, create_service_app
from cascade.shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """The approvals service: the admin's decisions on staged proposals, and run status."""
    runtime = ServiceRuntime.build("approvals", settings)
    app = create_service_app(runtime, "Cascade approvals")
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)
    require_admin = admin_dependency(settings.admin_token, settings.admin_name)
    app.include_router(proposals_router(runtime, require_admin))
    app.include_router(runs_router(runtime, require_admin))
    return app
