"""SLOs in the portal: specs in, rules out, tier defaults, and budgets read from a real Prometheus."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from portal.catalog.models import Service
from portal.core.models import User
from portal.integrations.backends import backends_reset
from portal.integrations.metrics.sandbox.fleet import Fleet, Scenario, ServiceProfile
from portal.integrations.metrics.sandbox.openmetrics import openmetrics_export
from portal.slo.models import SLODefinition
from portal.slo.services import slo_status, slos_default_for
from tests.conftest import client_for
from tests.support.prometheus import prometheus_server, promtool

EPOCH = 1_793_491_200.0
SPEC = """
version: prometheus/v1
service: payments-api
slos:
  - name: checkout-requests
    objective: 99.5
    sli:
      events:
        error_query: sum(rate(http_requests_total{service="payments-api",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{service="payments-api"}[{{.window}}]))
    alerting:
      name: PaymentsAvailability
      page_alert: {labels: {severity: page}}
      ticket_alert: {labels: {severity: ticket}}
"""


def test_a_spec_is_stored_and_its_rules_pass_promtool(owner: User, payments_api: Service, tmp_path: Path) -> None:
    created = client_for(owner).post("/api/v1/slo", SPEC, content_type="application/yaml")
    assert created.status_code == 201, created.json()
    slo = created.json()[0]
    assert (slo["service"], slo["objective"], slo["spec_format"]) == ("payments-api", 99.5, "prometheus/v1")
    rules = client_for(owner).get(f"/api/v1/slo/{slo['id']}/rules").content.decode()
    path = tmp_path / "rules.yaml"
    path.write_text(rules)
    check = subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    names = [r.get("alert") for g in yaml.safe_load(rules)["groups"] for r in g["rules"]]
    assert "PaymentsAvailability" in names
    crd = yaml.safe_load(client_for(owner).get(f"/api/v1/slo/{slo['id']}/rules", {"output": "prometheusrule"}).content)
    assert crd["kind"] == "PrometheusRule"


@pytest.mark.parametrize(
    ("change", "field"),
    [("objective: 99.5", "objective: 120"), ("{{.window}}]))\n        total", "5m]))\n        total")],
)
def test_invalid_specs_name_the_field(owner: User, payments_api: Service, change: str, field: str) -> None:
    response = client_for(owner).post("/api/v1/slo", SPEC.replace(change, field), content_type="application/yaml")
    assert response.status_code == 400
    assert any("slos[0]" in name for name in response.json()["error"]["fields"]), response.json()
    assert not SLODefinition.objects.exists()


def test_only_the_owning_team_adds_slos(outsider: User, payments_api: Service) -> None:
    assert client_for(outsider).post("/api/v1/slo", SPEC, content_type="application/yaml").status_code == 403


def test_every_service_gets_the_slos_of_its_tier(payments_api: Service, owner: User) -> None:
    slos = slos_default_for(payments_api)
    assert sorted((s.name, s.objective) for s in slos) == [("requests-availability", 99.9), ("requests-latency", 99.0)]
    assert slos_default_for(payments_api) == slos  # once
    entity = client_for(owner).get("/api/v1/catalog/entities").json()["items"][-1]
    assert entity["metadata"]["annotations"]["prometheus.io/rule"].startswith("slo:sli_error:ratio_rate5m{")
    dashboard = client_for(owner).get("/api/v1/slo/services/payments-api/dashboard").json()
    assert len(dashboard["panels"]) == 6 + 2 * 2


def test_budgets_from_a_real_prometheus_match_the_data(settings, payments_api: Service, tmp_path: Path) -> None:
    end = EPOCH + 3 * 86400 + 12 * 3600
    leak = Scenario("memory-leak", "payments-api", end - 5 * 3600)
    fleet = Fleet(services=(ServiceProfile("payments-api", replicas=2),), epoch=EPOCH, scenarios=(leak,))
    slos = slos_default_for(payments_api)
    SLODefinition.objects.update(period_days=1)  # one day of data is enough to prove the arithmetic
    with prometheus_server(tmp_path, openmetrics_export(fleet, start=end - 86400 - 3600, end=end)) as url:
        settings.METRICS = {
            "BACKEND": "portal.integrations.metrics.prometheus.PrometheusMetrics",
            "OPTIONS": {"url": url},
        }
        backends_reset()
        try:
            status = {s.name: slo_status(SLODefinition.objects.get(pk=s.pk), at=end) for s in slos}
        finally:
            backends_reset()
    pods = [fleet.pod("payments-api", i, end) for i in range(2)]

    def direct(attr: str, window: float, bucket: int | None = None) -> float:
        total = 0.0
        for pod in pods:
            i, j = np.searchsorted(pod.times, [end, end - window], side="right") - 1
            values = getattr(pod, attr) if bucket is None else pod.buckets[bucket]
            total += float(values[i] - values[j])
        return total

    ratio = direct("errors", 86400) / direct("requests", 86400)
    availability = status["requests-availability"]
    assert availability["period_error_ratio"] == pytest.approx(ratio, rel=0.01)
    assert availability["error_budget_remaining"] == pytest.approx(1 - ratio / 0.001, rel=0.01)
    hour_ratio = direct("errors", 3600) / direct("requests", 3600)
    assert availability["burn_rates"]["1h"] == pytest.approx(hour_ratio / 0.001, rel=0.01)
    assert availability["status"] in ("exhausted", "warning")  # the leak burns far faster than allowed
    latency = status["requests-latency"]
    slow = 1 - direct("buckets", 86400, bucket=5) / direct("requests", 86400)  # bucket 5 is le=0.25
    assert latency["period_error_ratio"] == pytest.approx(slow, rel=0.01)


def test_dashboards_are_provisioned_to_grafana_when_configured(owner: User, payments_api: Service, settings) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[dict] = []

    class FakeGrafana(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(
                {
                    "auth": self.headers["Authorization"],
                    "body": json.loads(self.rfile.read(int(self.headers["Content-Length"]))),
                }
            )
            payload = json.dumps(
                {
                    "id": 7,
                    "uid": "portal-payments-api",
                    "url": "/d/portal-payments-api/x",
                    "status": "success",
                    "version": 1,
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    url = "/api/v1/slo/services/payments-api/dashboard/provision"
    assert client_for(owner).post(url).status_code == 409  # not configured yet: says what to set
    server = HTTPServer(("127.0.0.1", 0), FakeGrafana)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.GRAFANA_URL = f"http://127.0.0.1:{server.server_port}"
        settings.GRAFANA_TOKEN = "glsa_test"
        answer = client_for(owner).post(url).json()
    finally:
        server.shutdown()
    assert answer == {"uid": "portal-payments-api", "url": "/d/portal-payments-api/x", "version": 1}
    assert received[0]["auth"] == "Bearer glsa_test"
    assert received[0]["body"]["overwrite"] is True
    assert received[0]["body"]["dashboard"]["uid"] == "portal-payments-api"
