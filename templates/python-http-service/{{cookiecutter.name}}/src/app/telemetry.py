"""OpenTelemetry traces, metrics and logs for this service.

Nothing leaves the process unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then spans, metrics and log
records go over OTLP/HTTP to that collector (the exporters read the other standard OTEL_EXPORTER_OTLP_*
variables themselves). Logs always go to stdout as JSON lines carrying the current trace and span ids.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from opentelemetry import metrics, trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from app import SERVICE_NAME, __version__


@dataclass(frozen=True)
class OtlpExporters:
    spans: OTLPSpanExporter
    metrics: OTLPMetricExporter
    logs: OTLPLogExporter


@dataclass(frozen=True)
class Telemetry:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    logger_provider: LoggerProvider | None

    @property
    def tracer(self) -> trace.Tracer:
        return self.tracer_provider.get_tracer(SERVICE_NAME, __version__)

    @property
    def meter(self) -> metrics.Meter:
        return self.meter_provider.get_meter(SERVICE_NAME, __version__)

    def shutdown(self) -> None:
        """Flush and stop every provider (call before the process exits)."""
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
        if self.logger_provider is not None:
            self.logger_provider.shutdown()


def service_resource(env: Mapping[str, str]) -> Resource:
    """Return the resource that tags every span, metric and log record of this service."""
    return Resource.create(
        {
            "service.name": SERVICE_NAME,
            "service.version": __version__,
            "deployment.environment.name": env.get("DEPLOYMENT_ENVIRONMENT", "local"),
        }
    )


def otlp_exporters(env: Mapping[str, str]) -> OtlpExporters | None:
    """Return OTLP/HTTP exporters when OTEL_EXPORTER_OTLP_ENDPOINT is set, else None (export nothing)."""
    endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").rstrip("/")
    if not endpoint:
        return None
    return OtlpExporters(
        spans=OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"),
        metrics=OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics"),
        logs=OTLPLogExporter(endpoint=f"{endpoint}/v1/logs"),
    )


def build_telemetry(
    env: Mapping[str, str],
    *,
    span_processors: Sequence[SpanProcessor] = (),
    metric_readers: Sequence[MetricReader] = (),
) -> Telemetry:
    """Build providers: OTLP exporters when configured, plus any processors and readers given (tests)."""
    resource = service_resource(env)
    exporters = otlp_exporters(env)
    tracer_provider = TracerProvider(resource=resource)
    readers = list(metric_readers)
    logger_provider = None
    if exporters is not None:
        tracer_provider.add_span_processor(BatchSpanProcessor(exporters.spans))
        readers.append(PeriodicExportingMetricReader(exporters.metrics))
        logger_provider = LoggerProvider(resource=resource)
        logger_provider.add_log_record_processor(BatchLogRecordProcessor(exporters.logs))
    for processor in span_processors:
        tracer_provider.add_span_processor(processor)
    return Telemetry(tracer_provider, MeterProvider(resource=resource, metric_readers=readers), logger_provider)


def configure_telemetry(env: Mapping[str, str] | None = None) -> Telemetry:
    """Build the providers from the environment, make them global and send logs through them."""
    env = os.environ if env is None else env
    telemetry = build_telemetry(env)
    trace.set_tracer_provider(telemetry.tracer_provider)
    metrics.set_meter_provider(telemetry.meter_provider)
    if telemetry.logger_provider is not None:
        set_logger_provider(telemetry.logger_provider)
    configure_logging(telemetry, level=env.get("LOG_LEVEL", "INFO"))
    return telemetry


def configure_logging(telemetry: Telemetry, *, level: str = "INFO") -> None:
    """Log JSON lines to stdout, and to OTLP as well when a collector is configured."""
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(level.upper())
    stdout = logging.StreamHandler(sys.stdout)
    stdout.setFormatter(JsonLogFormatter())
    root.addHandler(stdout)
    if telemetry.logger_provider is not None:
        root.addHandler(LoggingHandler(logger_provider=telemetry.logger_provider))


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record, with the trace and span ids of the current span when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            entry["trace_id"] = format(span_context.trace_id, "032x")
            entry["span_id"] = format(span_context.span_id, "016x")
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)
