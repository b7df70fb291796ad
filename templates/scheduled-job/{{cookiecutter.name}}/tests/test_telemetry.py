"""Telemetry set-up shared by every golden path: identical in each generated repository."""

from __future__ import annotations

import json
import logging

import pytest
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

from app import SERVICE_NAME
from app.telemetry import JsonLogFormatter, Telemetry, build_telemetry, otlp_exporters, service_resource


def test_every_signal_names_the_service_and_environment() -> None:
    attributes = service_resource({"DEPLOYMENT_ENVIRONMENT": "dev"}).attributes

    assert attributes["service.name"] == SERVICE_NAME
    assert attributes["deployment.environment.name"] == "dev"


def test_logs_are_json_lines_carrying_the_current_trace_id(telemetry: Telemetry) -> None:
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "hello %s", ("ada",), None)

    with telemetry.tracer.start_as_current_span("work") as span:
        line = json.loads(JsonLogFormatter().format(record))

    assert line["message"] == "hello ada"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")


def test_logs_outside_a_span_have_no_trace_id() -> None:
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "idle", (), None)

    assert "trace_id" not in json.loads(JsonLogFormatter().format(record))


def test_nothing_is_exported_without_an_endpoint() -> None:
    assert otlp_exporters({}) is None
    assert build_telemetry({}).logger_provider is None


@pytest.mark.parametrize("endpoint", ["http://collector:4318", "http://collector:4318/"])
def test_an_endpoint_turns_on_otlp_export_of_all_three_signals(endpoint: str) -> None:
    exporters = otlp_exporters({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})

    assert exporters is not None
    assert isinstance(exporters.spans, OTLPSpanExporter)
    assert isinstance(exporters.metrics, OTLPMetricExporter)
    assert isinstance(exporters.logs, OTLPLogExporter)
    assert exporters.spans._endpoint == "http://collector:4318/v1/traces"
