"""The canary judgement API: the pipeline's minimal body, sandbox selectors, scoping, validation, retries."""

from __future__ import annotations

import time

import numpy as np
import pytest

from portal.catalog.models import Environment, Service
from portal.core.models import AuditEvent, User
from portal.delivery.models import CanaryJudgement
from portal.integrations.metrics import metrics
from tests.conftest import client_for

URL = "/api/v1/delivery/canary/judgements"


@pytest.fixture
def world(local_adapters, payments_api: Service, prod: Environment, owner: User) -> Service:
    return payments_api


def _pods(service: str) -> list[str]:
    return metrics().fleet().pod_names(service)  # type: ignore[attr-defined]


def test_the_pipeline_steps_minimal_body_is_judged(world: Service, owner: User) -> None:
    body = {
        "service": "payments-api",
        "environment": "prod",
        "baseline": {"version": "1.4.2"},
        "canary": {"version": "1.5.0"},
    }
    response = client_for(owner).post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) >= {"id", "outcome", "score", "metrics", "reasons"}
    assert data["outcome"] in ("pass", "marginal", "fail")
    assert [m["name"] for m in data["metrics"]] == [
        "error_ratio",
        "latency_p99",
        "latency_p50",
        "cpu_per_pod",
        "memory_per_pod",
    ]
    assert data["baseline"] == {"version": "1.4.2"}
    assert data["config"] == "default"
    assert AuditEvent.objects.filter(action="canary_judge", object_id=str(data["id"])).exists()


def test_sibling_pods_of_the_same_build_pass(world: Service, owner: User) -> None:
    pods = _pods("payments-api")
    body = {
        "service": "payments-api",
        "environment": "prod",
        "baseline": {"pod_regex": "|".join(pods[:2])},
        "canary": {"pod_regex": pods[2]},
    }
    data = client_for(owner).post(URL, body, format="json").json()

    assert data["outcome"] == "pass", data["reasons"]
    assert all(m["baseline"]["count"] == 31 and m["canary"]["count"] == 31 for m in data["metrics"])


def test_a_cpu_regression_after_a_release_is_caught_comparing_before_and_after(world: Service, owner: User) -> None:
    release = float(int(time.time() // 60 * 60) - 3 * 3600)
    metrics().scenario_start("cpu-regression", "payments-api", start=release)  # type: ignore[attr-defined]
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
    body = {
        "service": "payments-api",
        "environment": "prod",
        "baseline": {"start": iso(release - 3600), "end": iso(release - 60)},
        "canary": {"start": iso(release + 120), "end": iso(release + 3600)},
    }
    data = client_for(owner).post(URL, body, format="json").json()

    cpu = next(m for m in data["metrics"] if m["name"] == "cpu_per_pod")
    assert cpu["classification"] == "high"
    assert cpu["ratio"] > 3
    assert data["outcome"] != "pass"
    assert any(r.startswith("cpu_per_pod: canary higher than baseline") for r in data["reasons"])


def test_inline_series_are_judged_without_the_metrics_adapter(world: Service, owner: User) -> None:
    rng = np.random.default_rng(4)
    base = {"error_ratio": list(rng.normal(0.001, 0.0001, 30)), "latency_p99": list(rng.normal(0.2, 0.01, 30))}
    bad = {"error_ratio": list(rng.normal(0.01, 0.001, 30)), "latency_p99": list(rng.normal(0.2, 0.01, 30))}
    body = {"service": "payments-api", "environment": "prod", "baseline": {"series": base}, "canary": {"series": bad}}
    data = client_for(owner).post(URL, body, format="json").json()

    assert data["outcome"] == "fail"
    assert data["reasons"][0].startswith("Critical metric failed: error_ratio")
    assert data["baseline"] == {"series": "inline"}


def test_missing_data_fails_with_the_reason(world: Service, owner: User) -> None:
    body = {
        "service": "payments-api",
        "environment": "prod",
        "baseline": {"pod_regex": "nothing-.*"},
        "canary": {"pod_regex": "none-.*"},
    }
    data = client_for(owner).post(URL, body, format="json").json()

    assert data["outcome"] == "fail"
    assert data["score"] == 0
    assert data["reasons"][0] == "Critical metric failed: error_ratio: no baseline and canary data in the window"
    assert data["reasons"][1].startswith("5 of 5 metrics have no data (50% or more fails the canary)")
    assert "The canary selector (pod_regex=none-.*) found no series" in data["reasons"][-1]


def test_a_repeated_idempotency_key_returns_the_first_judgement(world: Service, owner: User) -> None:
    body = {"service": "payments-api", "environment": "prod", "baseline": {"version": "1"}, "canary": {"version": "2"}}
    client = client_for(owner)
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="deploy-42")
    second = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="deploy-42")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert CanaryJudgement.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"baseline": {}}, "baseline"),
        ({"baseline": {"pod_regex": 'x"}'}}, "baseline.pod_regex"),
        ({"canary": {"version": "a b"}}, "canary.version"),
        ({"service": "no-such-service"}, "service"),
        ({"environment": "moon"}, "environment"),
        ({"config": "no-such-config"}, "config"),
        ({"colour": "blue"}, "colour"),
        ({"canary": {"version": "2", "start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}}, "canary.start"),
        ({"end": "0001-01-01T00:00:00Z"}, "end"),
        ({"canary": {"version": "2", "end": "2999-01-01T00:00:00Z"}}, "canary.end"),
    ],
)
def test_invalid_requests_answer_400_naming_the_field(world: Service, owner: User, change: dict, field: str) -> None:
    body = {
        "service": "payments-api",
        "environment": "prod",
        "baseline": {"version": "1"},
        "canary": {"version": "2"},
        **change,
    }
    response = client_for(owner).post(URL, body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert CanaryJudgement.objects.count() == 0


def test_only_the_owning_team_sres_and_admins_may_judge_and_see(
    world: Service, owner: User, outsider: User, sre: User
) -> None:
    body = {"service": "payments-api", "environment": "prod", "baseline": {"version": "1"}, "canary": {"version": "2"}}
    assert client_for(None).post(URL, body, format="json").status_code == 401
    assert client_for(outsider).post(URL, body, format="json").status_code == 403
    created = client_for(sre).post(URL, body, format="json").json()

    assert client_for(owner).get(f"{URL}/{created['id']}").status_code == 200
    assert client_for(outsider).get(f"{URL}/{created['id']}").status_code == 404
    assert client_for(outsider).get(URL).json()["results"] == []
    assert [j["id"] for j in client_for(owner).get(URL, {"service": "payments-api"}).json()["results"]] == [
        created["id"]
    ]


def test_a_named_config_changes_how_the_canary_is_judged(world: Service, owner: User, outsider: User) -> None:
    config = {
        "metrics": [{"name": "error_ratio", "signal": "error_ratio", "groups": ["errors"], "direction": "increase"}]
    }
    url = "/api/v1/delivery/canary/configs/payments-api/errors-only"
    assert client_for(outsider).put(url, config, format="json").status_code == 403
    bad = client_for(owner).put(url, {"metrics": [{**config["metrics"][0], "direction": "up"}]}, format="json")
    assert bad.status_code == 400
    assert "metrics[0].direction" in bad.json()["error"]["fields"]
    assert client_for(owner).put(url, config, format="json").status_code == 201

    body = {
        "service": "payments-api",
        "environment": "prod",
        "baseline": {"version": "1"},
        "canary": {"version": "2"},
        "config": "errors-only",
    }
    data = client_for(owner).post(URL, body, format="json").json()
    assert [m["name"] for m in data["metrics"]] == ["error_ratio"]
    assert (
        client_for(owner).get("/api/v1/delivery/canary/configs/payments-api/default").json()["pass_threshold"] == 95.0
    )
