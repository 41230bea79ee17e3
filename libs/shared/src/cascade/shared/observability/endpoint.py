"""`GET /metrics`: the service's registry in Prometheus' text format."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from cascade.shared.observability.metrics import ServiceMetrics


def metrics_router(metrics: ServiceMetrics) -> APIRouter:
    """The scrape endpoint; scrape-time families are read (bounded) before rendering."""
    router = APIRouter()

    @router.get("/metrics", tags=["health"], include_in_schema=False)
    async def scrape() -> Response:
        return Response(await metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return router
