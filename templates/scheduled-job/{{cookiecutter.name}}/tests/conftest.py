"""Fixtures: telemetry kept in memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.telemetry import Telemetry, build_telemetry


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def metric_reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def telemetry(spans: InMemorySpanExporter, metric_reader: InMemoryMetricReader) -> Iterator[Telemetry]:
    telemetry = build_telemetry({}, span_processors=[SimpleSpanProcessor(spans)], metric_readers=[metric_reader])
    yield telemetry
    telemetry.shutdown()
