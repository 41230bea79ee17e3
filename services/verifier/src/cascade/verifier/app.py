"""Composition root of the verifier service."""

from __future__ import annotations

from fastapi import FastAPI

from cascade.shared.runtime import ServiceRuntime, create_service_app
from cascade.shared.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """The verifier service: runs the delayed checks of finished runs."""
    runtime = ServiceRuntime.build("verifier", settings)
    return create_service_app(runtime, "Cascade verifier")
