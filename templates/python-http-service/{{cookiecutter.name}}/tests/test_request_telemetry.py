from __future__ import annotations

from fastapi.testclient import TestClient
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_each_request_is_a_server_span_named_by_route(client: TestClient, spans: InMemorySpanExporter) -> None:
    client.get("/api/v1/greetings/ada")

    (span,) = spans.get_finished_spans()
    assert span.name == "GET /api/v1/greetings/{name}"
    assert span.kind == SpanKind.SERVER
    assert span.attributes["http.response.status_code"] == 200


def test_an_incoming_traceparent_is_continued(client: TestClient, spans: InMemorySpanExporter) -> None:
    client.get("/api/v1/greetings/ada", headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"})

    (span,) = spans.get_finished_spans()
    assert format(span.context.trace_id, "032x") == TRACE_ID


def test_server_errors_mark_the_span_as_failed(client: TestClient, spans: InMemorySpanExporter) -> None:
    def explode() -> None:
        raise RuntimeError("boom")

    client.app.add_api_route("/explode", explode)  # type: ignore[attr-defined]
    client.get("/explode")

    (span,) = spans.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR


def test_probes_open_no_span(client: TestClient, spans: InMemorySpanExporter) -> None:
    client.get("/healthz")

    assert spans.get_finished_spans() == ()


def test_request_duration_is_recorded_as_an_otel_metric(
    client: TestClient, metric_reader: InMemoryMetricReader
) -> None:
    client.get("/api/v1/greetings/ada")

    data = metric_reader.get_metrics_data()
    names = {m.name for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    assert "http.server.request.duration" in names
