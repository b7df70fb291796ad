"""RED metrics (rate, errors, duration) of HTTP requests: Prometheus at /metrics, and OTel for OTLP."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from opentelemetry import metrics, propagate, trace
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import CollectorRegistry, Counter, Histogram

# The SLO latency thresholds (0.3, 0.5 and 1 s by tier) are bucket bounds, so good events can be counted.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)
UNOBSERVED_PATHS = frozenset({"/healthz", "/metrics"})
UNMATCHED_ROUTE = "unmatched"

CallNext = Callable[[Request], Awaitable[Response]]


class RedMetrics:
    """Request counters and latency histograms, labelled by route template rather than raw path."""

    def __init__(self, registry: CollectorRegistry, meter: metrics.Meter) -> None:
        self.requests = Counter(
            "http_requests", "HTTP requests handled.", ["method", "route", "code"], registry=registry
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to handle an HTTP request.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.otel_duration = meter.create_histogram(
            "http.server.request.duration", unit="s", description="Time to handle an HTTP request."
        )

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method=method, route=route, code=str(status)).inc()
        self.duration.labels(method=method, route=route).observe(seconds)
        self.otel_duration.record(
            seconds,
            {"http.request.method": method, "http.route": route, "http.response.status_code": status},
        )


def route_template(request: Request) -> str:
    """Return the matched route's template (/items/{item_id}), so that labels stay few."""
    return getattr(request.scope.get("route"), "path", UNMATCHED_ROUTE)


def observe_requests(tracer: trace.Tracer, red: RedMetrics) -> Callable[[Request, CallNext], Awaitable[Response]]:
    """Return an HTTP middleware that opens a server span and records RED metrics for each request."""

    async def middleware(request: Request, call_next: CallNext) -> Response:
        if request.url.path in UNOBSERVED_PATHS:
            return await call_next(request)
        started = time.perf_counter()
        parent = propagate.extract(request.headers)
        with tracer.start_as_current_span(request.method, context=parent, kind=SpanKind.SERVER) as span:
            status = 500
            try:
                response = await call_next(request)
                status = response.status_code
                return response
            finally:
                route = route_template(request)
                span.update_name(f"{request.method} {route}")
                span.set_attribute("http.request.method", request.method)
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(StatusCode.ERROR)
                red.observe(method=request.method, route=route, status=status, seconds=time.perf_counter() - started)

    return middleware
