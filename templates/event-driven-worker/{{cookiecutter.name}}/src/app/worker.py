"""The consumer loop: receive, handle, ack or dead-letter, with a span and metrics for every message."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from opentelemetry import propagate
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import CollectorRegistry, Counter, Histogram

from app.messages import Message, MessageSource
from app.telemetry import Telemetry

logger = logging.getLogger(__name__)

# The SLO latency thresholds (1, 2.5 and 5 s by tier) are bucket bounds, so good events can be counted.
PROCESSING_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

Handler = Callable[[Message], None]


class WorkerMetrics:
    """Messages handled by outcome and time spent per message: Prometheus, and OTel for OTLP."""

    def __init__(self, registry: CollectorRegistry, telemetry: Telemetry) -> None:
        self.processed = Counter("messages_processed", "Messages handled, by outcome.", ["outcome"], registry=registry)
        self.duration = Histogram(
            "message_processing_duration_seconds",
            "Time to handle one message.",
            buckets=PROCESSING_BUCKETS,
            registry=registry,
        )
        self.otel_duration = telemetry.meter.create_histogram(
            "messaging.process.duration", unit="s", description="Time to handle one message."
        )

    def observe(self, *, outcome: str, seconds: float) -> None:
        self.processed.labels(outcome=outcome).inc()
        self.duration.observe(seconds)
        self.otel_duration.record(seconds, {"outcome": outcome})


@dataclass
class Worker:
    source: MessageSource
    handler: Handler
    telemetry: Telemetry
    metrics: WorkerMetrics
    batch_size: int = 10
    poll_seconds: float = 1.0

    def run_once(self) -> int:
        """Handle one batch; return how many messages it held."""
        messages = self.source.receive(self.batch_size, self.poll_seconds)
        for message in messages:
            self._process(message)
        return len(messages)

    def run_until(self, stop: threading.Event) -> None:
        """Consume until stop is set (on SIGTERM, for instance when KEDA scales down)."""
        while not stop.is_set():
            self.run_once()
        self.source.close()

    def _process(self, message: Message) -> None:
        parent = propagate.extract(message.headers)
        started = time.perf_counter()
        with self.telemetry.tracer.start_as_current_span(
            "process message", context=parent, kind=SpanKind.CONSUMER
        ) as span:
            span.set_attribute("messaging.message.id", message.id)
            try:
                self.handler(message)
            except Exception as error:  # any failure of the handler dead-letters this message, not the worker
                logger.exception("message %s failed; sent to dead letters", message.id)
                span.record_exception(error)
                span.set_status(StatusCode.ERROR)
                self.source.reject(message)
                outcome = "failure"
            else:
                self.source.ack(message)
                outcome = "success"
        self.metrics.observe(outcome=outcome, seconds=time.perf_counter() - started)
