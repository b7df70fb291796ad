"""FinOps in the portal: daily costs from the sandbox's usage, waste, and a rightsizing PR after approval."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from portal.catalog.models import Service
from portal.core.models import User
from portal.finops.models import CostRecord, RightsizingRecommendation, WorkloadResources
from portal.finops.prices import DEFAULT_PRICES
from portal.finops.services import costs_compute, rightsizing_compute
from portal.integrations.source_control import source_control
from portal.remediation.services import action_execute
from tests.conftest import client_for

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout-api
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: app
          resources:
            requests: {cpu: 500m, memory: 512Mi}
            limits: {cpu: 2000m, memory: 1024Mi}
"""


@pytest.fixture
def demo(demo_world: Path) -> Path:
    return demo_world


def test_daily_costs_follow_opencost_max_of_request_and_usage(demo: Path) -> None:
    costs_compute(days=3)
    service = Service.objects.get(name="checkout-api")
    record = CostRecord.objects.get(
        service=service, environment__kind="prod", day=datetime.now(UTC).date() - timedelta(days=1)
    )
    workload = WorkloadResources.objects.get(service=service, environment__kind="prod")
    per_pod_cpu = max(workload.cpu_request, record.cpu_usage / workload.replicas)
    assert record.cpu_cost == pytest.approx(per_pod_cpu * 24 * DEFAULT_PRICES.cpu * workload.replicas, rel=1e-6)
    assert record.requests > 1e6  # a tier-1 service serves millions of requests a day
    dev = CostRecord.objects.get(service=service, environment__kind="dev", day=record.day)
    assert dev.total == pytest.approx(
        (workload.cpu_request / 2 * DEFAULT_PRICES.cpu + workload.memory_request / 2 / 1024**3 * DEFAULT_PRICES.ram)
        * 24,
        rel=1e-6,
    )
    assert CostRecord.objects.count() == 3 * WorkloadResources.objects.count()


def test_cost_api_and_waste(demo: Path) -> None:
    costs_compute(days=8)
    client = client_for(User.objects.get(username="lee"))
    by_team = client.get("/api/v1/finops/costs", {"days": "7", "group_by": "team"}).json()
    assert {row["key"] for row in by_team["daily"]} == {"checkout", "payments", "search"}
    assert by_team["total"] > 0
    service = client.get("/api/v1/finops/services/payments-api/cost", {"days": "7"}).json()
    assert set(service) == {"service", "currency", "total", "daily", "trend_percent"}
    assert len(service["daily"]) == 7
    assert client.get("/api/v1/finops/costs", {"group_by": "moon"}).status_code == 400
    idle = client.get("/api/v1/finops/idle").json()
    kinds = {item["kind"] for item in idle["items"]}
    assert "off_hours_dev" in kinds
    assert idle["monthly_saving"] > 0


def test_a_rightsizing_pull_request_opens_only_after_approval(demo: Path) -> None:
    sre = User.objects.get(username="sam")
    lee = User.objects.get(username="carla")  # checkout's team admin
    service = Service.objects.get(name="checkout-api")
    sc = source_control()
    sc.repository_create("acme/checkout-api")
    (demo / "repo" / "deploy/overlays/prod").mkdir(parents=True)
    (demo / "repo" / "deploy/overlays/prod/deployment.yaml").write_text(DEPLOYMENT)
    sc.commit_tree("acme/checkout-api", "main", root=demo / "repo", message="init", replace=True)
    costs_compute(days=1)
    recommendation = rightsizing_compute(service, now=time.time())
    assert recommendation is not None
    assert recommendation.recommended["cpu_request"] < recommendation.current["cpu_request"]
    assert recommendation.monthly_saving > 0
    listed = client_for(sre).get("/api/v1/finops/rightsizing").json()
    assert listed["items"][0]["service"] == "checkout-api"

    requested = client_for(lee).post(f"/api/v1/finops/rightsizing/{recommendation.pk}/request", {}, format="json")
    assert requested.status_code == 201, requested.json()
    assert requested.json()["state"] == "pending"
    assert sc.pull_request_get("acme/checkout-api", 1) is None  # nothing before approval
    action_id = requested.json()["action_request"]
    approved = client_for(sre).post(
        f"/api/v1/remediation/action-requests/{action_id}/approve", {"comment": "numbers look right"}, format="json"
    )
    assert approved.status_code == 200
    action_execute(action_id)
    pull = sc.pull_request_get("acme/checkout-api", 1)
    assert pull is not None
    assert pull.state == "open"
    diff = sc.pull_request_diff("acme/checkout-api", 1)  # type: ignore[attr-defined]
    assert "-            requests: {cpu: 500m, memory: 512Mi}" in diff or "cpu: 500m" in diff
    new = yaml.safe_load(
        sc.file_read(
            "acme/checkout-api",
            f"refs/heads/{pull.source_branch}",  # type: ignore[arg-type]
            "deploy/overlays/prod/deployment.yaml",
        )
    )
    requests = new["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
    assert requests["cpu"] == f"{round(recommendation.recommended['cpu_request'] * 1000)}m"
    assert sc.file_read("acme/checkout-api", "main", "deploy/overlays/prod/deployment.yaml").decode() == DEPLOYMENT
    recommendation.refresh_from_db()
    assert recommendation.state == "pr_open"
    assert RightsizingRecommendation.objects.get().pull_request_url.endswith("/acme/checkout-api/pulls/1")


def test_a_deploy_that_raises_cost_per_request_is_flagged_and_attached_to_it(demo: Path) -> None:
    from portal.aiops.models import Anomaly
    from portal.catalog.models import Environment
    from portal.changes.models import ChangeEvent
    from portal.finops.services import cost_jump_anomalies, unit_costs, workloads_default
    from portal.integrations.metrics import metrics

    service = Service.objects.get(name="recommendations")
    workloads_default(service)
    now = (time.time() // 3600) * 3600
    deploy_at = now - 30 * 3600
    change = ChangeEvent.objects.create(
        service=service,
        environment=Environment.objects.get(name="prod"),
        kind="deploy",
        version="v9",
        occurred_at=datetime.fromtimestamp(deploy_at, UTC),
        source="api",
        external_id="v9",
    )
    metrics().scenario_start("cpu-regression", service.name, start=deploy_at)  # type: ignore[attr-defined]
    report = unit_costs(service, days=3, now=now)
    assert [d["version"] for d in report["per_deploy"]] == ["v9"]
    assert all(day["per_1k_requests"] for day in report["per_day"])
    jump = report["jumps"][0]
    assert (jump["version"], jump["change_id"]) == ("v9", change.pk)
    assert jump["change_percent"] >= 30
    anomalies = cost_jump_anomalies(service, days=3, now=now)
    assert [a.related_changes[0]["change_id"] for a in anomalies] == [change.pk]
    assert Anomaly.objects.filter(signal="cost_per_1k_requests", service=service).count() == 1


FOCUS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "finops" / "focus" / "data"


def test_a_focus_bill_is_imported_once_and_bad_values_are_named(platform_admin: User, owner: User) -> None:
    from portal.finops.models import BilledCost

    sample = FOCUS_DIR / "commitment_discount_usage_scenario_1.csv"
    text = sample.read_text(encoding="utf-8-sig")
    url = "/api/v1/finops/bills?source=sample"
    assert client_for(owner).post(url, text, content_type="text/csv").status_code == 403
    first = client_for(platform_admin).post(url, text, content_type="text/csv")
    assert first.status_code == 201, first.json()
    assert first.json()["lines"] > 0
    rows = BilledCost.objects.count()
    assert client_for(platform_admin).post(url, text, content_type="text/csv").status_code == 201
    assert BilledCost.objects.count() == rows  # the same source again replaces, never doubles
    header, *body = text.splitlines()
    broken = "\n".join([header, body[0].replace(body[0].split(",")[0], "not-a-date", 1)])
    bad = client_for(platform_admin).post("/api/v1/finops/bills", broken, content_type="text/csv")
    assert bad.status_code == 400
    assert any(name.startswith("line 2.") for name in bad.json()["error"]["fields"])
