from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families


def test_healthz_answers_ok(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_greeting_uses_the_path_parameter(client: TestClient) -> None:
    response = client.get("/api/v1/greetings/ada")

    assert response.status_code == 200
    assert response.json() == {"message": "Hello, ada!"}


def test_requests_are_counted_by_route_template_and_status(client: TestClient, registry: CollectorRegistry) -> None:
    client.get("/api/v1/greetings/ada")
    client.get("/api/v1/greetings/grace")
    client.get("/no-such-page")

    ok = {"method": "GET", "route": "/api/v1/greetings/{name}", "code": "200"}
    assert registry.get_sample_value("http_requests_total", ok) == 2
    assert registry.get_sample_value("http_requests_total", {"method": "GET", "route": "unmatched", "code": "404"}) == 1
    duration = {"method": "GET", "route": "/api/v1/greetings/{name}"}
    assert registry.get_sample_value("http_request_duration_seconds_count", duration) == 2
    assert registry.get_sample_value("http_request_duration_seconds_bucket", {**duration, "le": "0.3"}) is not None


def test_a_failing_route_is_counted_as_a_server_error(client: TestClient, registry: CollectorRegistry) -> None:
    def explode() -> None:
        raise RuntimeError("boom")

    client.app.add_api_route("/explode", explode)  # type: ignore[attr-defined]

    assert client.get("/explode").status_code == 500
    assert registry.get_sample_value("http_requests_total", {"method": "GET", "route": "/explode", "code": "500"}) == 1


def test_probes_and_scrapes_are_not_counted(client: TestClient, registry: CollectorRegistry) -> None:
    client.get("/healthz")
    client.get("/metrics")

    assert (
        registry.get_sample_value("http_requests_total", {"method": "GET", "route": "/healthz", "code": "200"}) is None
    )


def test_metrics_are_exposed_in_prometheus_text_format(client: TestClient) -> None:
    client.get("/api/v1/greetings/ada")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    labels = (("code", "200"), ("method", "GET"), ("route", "/api/v1/greetings/{name}"))
    assert samples[("http_requests_total", labels)] == 1
