from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter

from app.health import serve_in_background


@pytest.fixture
def base_url(registry: CollectorRegistry) -> Iterator[str]:
    server = serve_in_background(registry, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_healthz_answers_ok(base_url: str) -> None:
    with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as response:
        assert response.status == 200


def test_metrics_are_served_for_prometheus(base_url: str, registry: CollectorRegistry) -> None:
    Counter("example_events", "Example.", registry=registry).inc()

    with urllib.request.urlopen(f"{base_url}/metrics", timeout=5) as response:
        assert b"example_events_total 1.0" in response.read()
