"""Costs rolled up by the workloads' standard labels: per team, service, environment and cost centre, what escaped
the labels in its own bucket, and a Grafana dashboard of the same numbers."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from portal.catalog.models import Environment, Service, ServiceEnvironment
from portal.core import labels
from portal.core.models import Team, User
from portal.finops.models import CostRecord, WorkloadResources
from portal.finops.services import costs_compute
from portal.slo.dashboards import service_dashboard
from portal.slo.services import slos_default_for
from tests.conftest import client_for
from tests.finops.grafana_checks import dashboard_problems

URL = "/api/v1/finops/costs"
GROUPS = ("team", "service", "environment", "cost_centre")


@pytest.fixture
def world(demo_world: Path) -> Path:
    """The demo catalog plus one service deployed outside the portal (no Argo CD app: nobody labels it)."""
    search = Team.objects.get(name="search")
    legacy = Service.objects.create(name="legacy-indexer", owner=search, tier=3, lifecycle="production")
    ServiceEnvironment.objects.create(
        service=legacy, environment=Environment.objects.get(name="prod"), namespace="search-prod", cluster="prod-eu-1"
    )
    costs_compute(days=4)
    return demo_world


def costs(group_by: str, days: int = 3) -> dict[str, Any]:
    response = client_for(User.objects.get(username="lee")).get(URL, {"days": str(days), "group_by": group_by})
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.parametrize("group_by", GROUPS)
def test_each_roll_up_sums_to_the_total(world: Path, group_by: str) -> None:
    body = costs(group_by)
    total = sum(r.total for r in CostRecord.objects.filter(day__gte=datetime.now(UTC).date() - timedelta(days=3)))

    assert body["total"] == pytest.approx(total, abs=0.01)
    assert sum(row["cost"] for row in body["totals"]) == pytest.approx(total, abs=0.01)
    assert sum(row["cost"] for row in body["daily"]) == pytest.approx(total, abs=0.01)
    assert sum(row["share"] for row in body["totals"]) == pytest.approx(1.0, abs=0.001)
    assert (
        body["label"]
        == {
            "team": labels.TEAM,
            "service": labels.SERVICE,
            "environment": labels.ENVIRONMENT,
            "cost_centre": labels.COST_CENTRE,
        }[group_by]
    )


def test_costs_group_by_the_labels_with_the_unlabelled_workload_in_its_own_bucket(world: Path) -> None:
    legacy = sum(
        r.total
        for r in CostRecord.objects.filter(
            service__name="legacy-indexer", day__gte=datetime.now(UTC).date() - timedelta(days=3)
        )
    )
    by_team = {row["key"]: row["cost"] for row in costs("team")["totals"]}
    by_centre = {row["key"]: row["cost"] for row in costs("cost_centre")["totals"]}
    escaped = costs("service")["unlabelled"]

    assert set(by_team) == {"checkout", "payments", "search", "unlabelled"}
    assert by_team["unlabelled"] == pytest.approx(legacy, abs=1e-3)
    assert set(by_centre) == {"CC-2100", "CC-2200", labels.UNASSIGNED, "unlabelled"}  # search has no cost centre
    assert escaped["workloads"] == [
        {
            "service": "legacy-indexer",
            "environment": "prod",
            "cost": pytest.approx(legacy, abs=1e-3),
            "missing_labels": list(labels.REQUIRED),
        }
    ]
    assert escaped["cost"] == pytest.approx(legacy, abs=0.01)


def test_the_team_rolls_up_by_the_label_the_workload_carried(world: Path) -> None:
    """The label, not the catalog, decides: a workload labelled for another team counts for that team."""
    before = {row["key"]: row["cost"] for row in costs("team")["totals"]}
    workload = WorkloadResources.objects.get(service__name="payments-api", environment__name="prod")
    workload.labels = {**workload.labels, labels.TEAM: "checkout"}  # as observed in the cluster
    workload.save()
    Service.objects.filter(name="payments-api").update(origin="manual")
    ServiceEnvironment.objects.filter(service__name="payments-api").update(argocd_app_name="")  # not deployed by us

    costs_compute(days=4)

    since = datetime.now(UTC).date() - timedelta(days=3)
    moved = sum(
        r.total
        for r in CostRecord.objects.filter(service__name="payments-api", environment__name="prod", day__gte=since)
    )
    after = {row["key"]: row["cost"] for row in costs("team")["totals"]}
    assert moved > 0
    assert after["checkout"] == pytest.approx(before["checkout"] + moved, abs=0.01)
    assert after["payments"] == pytest.approx(before["payments"] - moved, abs=0.01)


def test_a_new_cost_centre_relabels_the_next_costs(world: Path) -> None:
    search = Team.objects.get(name="search")
    search.cost_centre = "CC-3300"
    search.save()

    costs_compute(days=4)

    by_centre = {row["key"] for row in costs("cost_centre")["totals"]}
    assert "CC-3300" in by_centre
    assert labels.UNASSIGNED not in by_centre


def test_an_unknown_grouping_is_refused_naming_the_choices(world: Path) -> None:
    response = client_for(User.objects.get(username="lee")).get(URL, {"group_by": "colour"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"group_by": ["unknown"]}
    assert "cost_centre" in response.json()["error"]["message"]


def test_the_dashboard_passes_the_checks_the_slo_dashboards_pass(world: Path) -> None:
    dashboard = client_for(User.objects.get(username="lee")).get("/api/v1/finops/dashboard").json()
    slo = service_dashboard(Service.objects.get(name="payments-api"))
    slos_default_for(Service.objects.get(name="payments-api"))

    assert dashboard_problems(slo) == []
    assert dashboard_problems(dashboard) == []
    assert {p["title"] for p in dashboard["panels"]} >= {"Cost per team", "Cost per service ($team)"}
    broken = json.loads(json.dumps(dashboard))
    broken["panels"][1]["gridPos"] = broken["panels"][0]["gridPos"]
    broken["panels"][2]["targets"][0]["rawSql"] += " AND $colour"
    assert len(dashboard_problems(broken)) == 2  # a control: the checks can fail


def grafana_sql(sql: str, *, start: datetime, end: datetime, variables: dict[str, list[str]]) -> str:
    """The query as Grafana's PostgreSQL data source sends it: macros and multi-value variables expanded."""
    sql = re.sub(
        r"\$__timeFilter\((\w+(?:\.\w+)?)\)", rf"\1 BETWEEN '{start.isoformat()}' AND '{end.isoformat()}'", sql
    )
    for name, values in variables.items():
        sql = sql.replace(f"${name}", ",".join("'" + v.replace("'", "''") + "'" for v in values))
    return sql


def run(sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def test_the_dashboards_queries_run_on_the_database_and_agree_with_the_api(world: Path) -> None:
    dashboard = client_for(User.objects.get(username="lee")).get("/api/v1/finops/dashboard").json()
    end = datetime.now(UTC)
    start = datetime.combine(end.date() - timedelta(days=3), datetime.min.time(), UTC)
    (team_variable,) = (v for v in dashboard["templating"]["list"] if v["name"] == "team")
    teams = [row[0] for row in run(team_variable["query"])]
    panels = {p["title"]: p["targets"][0]["rawSql"] for p in dashboard["panels"]}

    def query(title: str) -> list[tuple[Any, ...]]:
        return run(grafana_sql(panels[title], start=start, end=end, variables={"team": teams}))

    api = {group: {r["key"]: r["cost"] for r in costs(group)["totals"]} for group in GROUPS}
    for title, group in [
        ("Cost per team", "team"),
        ("Cost per service ($team)", "service"),
        ("Cost per cost centre", "cost_centre"),
        ("Cost per environment", "environment"),
    ]:
        sums: dict[str, float] = {}
        for _time, key, cost in query(title):
            sums[key] = sums.get(key, 0.0) + cost
        assert sums == pytest.approx(api[group], abs=1e-3), title
    assert query("Cost in the range")[0][0] == pytest.approx(costs("team")["total"], abs=0.01)
    assert query("Cost that escaped the labels")[0][0] == pytest.approx(costs("team")["unlabelled"]["cost"], abs=0.01)
    ((service, env, _cost, missing),) = query("Workloads without every standard label")
    assert (service, env, missing) == ("legacy-indexer", "prod", ", ".join(labels.REQUIRED))


@pytest.fixture
def fake_grafana() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A Grafana answering POST /api/dashboards/db as its HTTP API documents."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({"path": self.path, "auth": self.headers["Authorization"], "body": body})
            uid = body["dashboard"]["uid"]
            payload = {"id": 3, "uid": uid, "url": f"/d/{uid}/cost", "status": "success", "version": 2}
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()


def test_the_dashboard_is_provisioned_by_a_platform_admin_once_grafana_is_configured(
    world: Path, settings: Any, fake_grafana: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = fake_grafana
    admin, lee = User.objects.get(username="admin"), User.objects.get(username="lee")
    endpoint = "/api/v1/finops/dashboard/provision"

    unconfigured = client_for(admin).post(endpoint)
    settings.GRAFANA_URL, settings.GRAFANA_TOKEN = url, "glsa_cost"
    forbidden = client_for(lee).post(endpoint)
    answer = client_for(admin).post(endpoint)

    assert unconfigured.status_code == 409
    assert "GRAFANA_URL" in unconfigured.json()["error"]["message"]
    assert forbidden.status_code == 403
    assert answer.status_code == 200, answer.json()
    assert answer.json() == {"uid": "portal-costs", "url": "/d/portal-costs/cost", "version": 2}
    (request,) = received
    assert (request["path"], request["auth"]) == ("/api/dashboards/db", "Bearer glsa_cost")
    assert request["body"]["overwrite"] is True
    assert request["body"]["dashboard"]["title"] == "Cost per team and service"


def test_the_nightly_cost_task_keeps_the_dashboard_in_grafana(
    world: Path, settings: Any, fake_grafana: tuple[str, list[dict[str, Any]]]
) -> None:
    from portal.finops.tasks import cost_dashboard_provision_task

    url, received = fake_grafana
    settings.GRAFANA_URL, settings.GRAFANA_TOKEN = url, "glsa_cost"

    cost_dashboard_provision_task()

    assert [r["body"]["dashboard"]["uid"] for r in received] == ["portal-costs"]


def test_labels_recorded_in_the_admin_are_audited_and_move_the_cost(world: Path) -> None:
    from django.test import Client

    from portal.core.models import AuditEvent

    workload = WorkloadResources.objects.get(service__name="legacy-indexer")
    observed = labels.standard_labels(
        service="legacy-indexer", team="search", environment="prod", cost_centre="CC-3300"
    )
    client = Client()
    client.force_login(User.objects.get(username="admin"))

    response = client.post(
        f"/admin/finops/workloadresources/{workload.pk}/change/",
        {
            "service": workload.service_id,
            "environment": workload.environment_id,
            "container": workload.container,
            "replicas": workload.replicas,
            "cpu_request": workload.cpu_request,
            "cpu_limit": workload.cpu_limit,
            "memory_request": workload.memory_request,
            "memory_limit": workload.memory_limit,
            "labels": json.dumps(observed),
        },
    )
    costs_compute(days=4)

    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.filter(object_type="finops.workloadresources", object_id=str(workload.pk)).get()
    assert (event.actor_name, event.before["labels"], event.after["labels"]) == ("admin", {}, observed)
    assert costs("service")["unlabelled"] == {"cost": 0.0, "workloads": []}
    assert "CC-3300" in {row["key"] for row in costs("cost_centre")["totals"]}
