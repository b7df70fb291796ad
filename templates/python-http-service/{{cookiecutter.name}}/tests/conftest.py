"""Fixtures: telemetry kept in memory, and a client for a fresh app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from app.main import create_app
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


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def client(telemetry: Telemetry, registry: CollectorRegistry) -> TestClient:
    return TestClient(create_app(telemetry=telemetry, registry=registry), raise_server_exceptions=False)
