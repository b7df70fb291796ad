"""The portal's own telemetry: JSON logs with request and task ids, task and work metrics, optional traces."""

from __future__ import annotations

import json
import logging
import os
import time
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from portal.core.metrics import database_collector_register
from portal.core.middleware import request_id_var

task_id_var: ContextVar[str] = ContextVar("task_id", default="")

TASK_SECONDS = Histogram(
    "portal_task_duration_seconds",
    "Celery task run time.",
    ["task"],
    buckets=(0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
TASK_FAILURES = Counter("portal_task_failures_total", "Celery tasks that raised.", ["task"])
SCAFFOLD_SECONDS = Histogram(
    "portal_scaffold_run_duration_seconds",
    "Request-to-done time of scaffold runs.",
    ["golden_path", "outcome"],
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600),
)
ANALYSIS_SECONDS = Histogram(
    "portal_incident_analysis_duration_seconds",
    "Time to analyse an incident.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request or task it belongs to."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id_var.get() != "-":
            body["request_id"] = request_id_var.get()
        if task_id_var.get():
            body["task_id"] = task_id_var.get()
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, default=str)


class QueueLengthCollector(Collector):
    """Messages waiting in the Celery queue (Redis list length, or files in the filesystem broker)."""

    def describe(self) -> list[GaugeMetricFamily]:
        return [GaugeMetricFamily("portal_celery_queue_length", "Messages waiting for a worker.", labels=["queue"])]

    def collect(self) -> list[GaugeMetricFamily]:
        family = GaugeMetricFamily("portal_celery_queue_length", "Messages waiting for a worker.", labels=["queue"])
        length = queue_length("celery")
        if length is not None:
            family.add_metric(["celery"], float(length))
        return [family]


def queue_length(queue: str) -> int | None:
    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith("redis"):
            import redis

            return int(redis.Redis.from_url(url, socket_timeout=1).llen(queue))
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])  # type: ignore[arg-type]
        return sum(1 for name in os.listdir(folder) if f"_{queue}." in name or name.endswith(f".{queue}.msg"))
    except Exception:  # noqa: BLE001 - a scrape must not fail because the broker is away
        return None


_started: dict[str, float] = {}


def _task_prerun(task_id: str = "", task: Any = None, **_: Any) -> None:
    task_id_var.set(task_id or "")
    _started[task_id] = time.monotonic()


def _task_postrun(task_id: str = "", task: Any = None, **_: Any) -> None:
    started = _started.pop(task_id, None)
    if started is not None and task is not None:
        TASK_SECONDS.labels(task.name).observe(time.monotonic() - started)
    task_id_var.set("")


def _task_failure(sender: Any = None, **_: Any) -> None:
    TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()


def celery_signals_connect() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_prerun, weak=False)
    signals.task_postrun.connect(_task_postrun, weak=False)
    signals.task_failure.connect(_task_failure, weak=False)


def tracing_configure() -> bool:
    """Export traces of requests and tasks over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set (off otherwise)."""
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "platform-portal")})
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()
    CeleryInstrumentor().instrument()
    return True


_QUEUE = QueueLengthCollector()


def telemetry_start() -> None:
    database_collector_register(_QUEUE)
    celery_signals_connect()
    tracing_configure()
