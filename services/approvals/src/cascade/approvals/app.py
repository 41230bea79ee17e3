"""Composition root of the approvals service."""

from __future__ import annotations

from fastapi import FastAPI

from cascade.shared.runtime import ServiceRuntime, create_service_app
from cascade.shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """The approvals service: the admin's decisions on staged proposals."""
    runtime = ServiceRuntime.build("approvals", settings)
    return create_service_app(runtime, "Cascade approvals")
