"""Fixtures: telemetry kept in memory, an in-memory source and a worker consuming it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from app.handler import handle
from app.sources.memory import InMemorySource
from app.telemetry import Telemetry, build_telemetry
from app.worker import Worker, WorkerMetrics


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


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def source() -> InMemorySource:
    return InMemorySource()


@pytest.fixture
def worker(source: InMemorySource, telemetry: Telemetry, registry: CollectorRegistry) -> Worker:
    return Worker(
        source=source, handler=handle, telemetry=telemetry, metrics=WorkerMetrics(registry, telemetry), poll_seconds=0
    )
