"""The HTTP API: routes, health and metrics endpoints, wired to telemetry."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel

from app import SERVICE_NAME, __version__
from app.red_metrics import RedMetrics, observe_requests
from app.telemetry import Telemetry

logger = logging.getLogger(__name__)


class Greeting(BaseModel):
    message: str


def create_app(*, telemetry: Telemetry, registry: CollectorRegistry | None = None) -> FastAPI:
    """Return the application; each app has its own metrics registry, so tests stay independent."""
    registry = registry or CollectorRegistry()
    app = FastAPI(title=SERVICE_NAME, version=__version__)
    app.middleware("http")(observe_requests(telemetry.tracer, RedMetrics(registry, telemetry.meter)))

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/api/v1/greetings/{name}")
    def greeting(name: str) -> Greeting:
        logger.info("greeting %s", name)
        return Greeting(message=f"Hello, {name}!")

    return app
