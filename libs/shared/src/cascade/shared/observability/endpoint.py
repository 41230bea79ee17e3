"""`GET /metrics`: the service's registry in Prometheus' text format."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from cascade.shared.observability.metrics import ServiceMetrics


async def service_metrics(request: Request) -> ServiceMetrics:
    """The registry of the app's runtime (`app.state.runtime`). Not through
    `runtime.RuntimeDep`: `runtime` includes this router, so importing it here would be a
    cycle."""
    metrics: ServiceMetrics = request.app.state.runtime.metrics
    return metrics


metrics_router = APIRouter()


# Scrape-time families are read (bounded) before rendering.
@metrics_router.get("/metrics", tags=["health"], include_in_schema=False)
async def scrape(metrics: Annotated[ServiceMetrics, Depends(service_metrics)]) -> Response:
    return Response(await metrics.render(), media_type=CONTENT_TYPE_LATEST)
