"""Change events arrive from GitHub, GitLab, Argo CD and the API: signed, stored once, on the right service."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from portal.catalog.models import Environment, Service, ServiceEnvironment
from portal.changes.models import ChangeEvent
from portal.core.models import User
from tests.conftest import client_for

SECRET = "s3cret-webhook"


@pytest.fixture(autouse=True)
def secrets(settings) -> None:
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    settings.GITLAB_WEBHOOK_TOKEN = SECRET
    settings.ARGOCD_WEBHOOK_TOKEN = SECRET


@pytest.fixture
def placed(payments_api: Service, prod: Environment) -> Service:
    ServiceEnvironment.objects.create(
        service=payments_api,
        environment=prod,
        namespace="payments",
        cluster="prod-eu-1",
        argocd_app_name="payments-api-prod",
    )
    return payments_api


def _github(event: str, payload: dict[str, Any], *, delivery: str = "d-1", secret: str = SECRET):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return APIClient().post(
        "/api/v1/changes/webhooks/github",
        body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT=event,
        HTTP_X_GITHUB_DELIVERY=delivery,
        HTTP_X_HUB_SIGNATURE_256=signature,
    )


REPO = {
    "full_name": "example-org/payments-api",
    "default_branch": "main",
    "html_url": "https://github.com/example-org/payments-api",
}
WORKFLOW_RUN = {
    "action": "completed",
    "workflow_run": {
        "id": 30433642,
        "name": "CI",
        "head_branch": "main",
        "head_sha": "acb5820ced9479c",
        "status": "completed",
        "conclusion": "failure",
        "run_attempt": 1,
        "html_url": "https://github.com/example-org/payments-api/actions/runs/30433642",
        "created_at": "2026-11-20T10:00:00Z",
        "run_started_at": "2026-11-20T10:00:05Z",
        "updated_at": "2026-11-20T10:04:35Z",
        "actor": {"login": "octocat"},
    },
    "repository": REPO,
}
DEPLOYMENT_STATUS = {
    "action": "created",
    "deployment_status": {
        "id": 1,
        "state": "success",
        "environment": "production",
        "creator": {"login": "lee"},
        "target_url": "https://example.com/deploys/1",
        "created_at": "2026-11-20T11:00:00Z",
    },
    "deployment": {"id": 42, "sha": "9f1c2d3", "ref": "v1.4.0", "environment": "production"},
    "repository": REPO,
}


def test_a_signed_github_deployment_is_stored_on_its_service(placed: Service) -> None:
    response = _github("deployment_status", DEPLOYMENT_STATUS)
    assert response.status_code == 202, response.json()
    event = ChangeEvent.objects.get()
    assert (event.service.name, event.environment.name, event.kind, event.status, event.version, event.author) == (
        "payments-api",
        "prod",
        "deploy",
        "succeeded",
        "9f1c2d3",
        "lee",
    )


def test_a_completed_workflow_run_becomes_a_pipeline_change_with_its_duration(placed: Service) -> None:
    _github("workflow_run", WORKFLOW_RUN)
    event = ChangeEvent.objects.get()
    assert (event.kind, event.status, event.duration_seconds) == ("pipeline", "failed", 270.0)


def test_a_replayed_delivery_is_stored_once(placed: Service) -> None:
    first = _github("deployment_status", DEPLOYMENT_STATUS, delivery="same").json()
    again = _github("deployment_status", DEPLOYMENT_STATUS, delivery="same").json()
    assert (len(first["stored"]), again["stored"], again["duplicates"]) == (1, [], 1)
    assert ChangeEvent.objects.count() == 1


@pytest.mark.parametrize("secret", ["wrong", ""])
def test_a_bad_signature_is_401_and_stores_nothing(placed: Service, secret: str) -> None:
    response = _github("deployment_status", DEPLOYMENT_STATUS, secret=secret or "x")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert not ChangeEvent.objects.exists()


def test_an_unconfigured_secret_refuses_every_delivery(placed: Service, settings) -> None:
    settings.GITHUB_WEBHOOK_SECRET = ""
    assert _github("deployment_status", DEPLOYMENT_STATUS, secret="").status_code == 401


def test_pushes_to_other_branches_and_unknown_repositories_are_skipped_with_a_reason(placed: Service) -> None:
    push = {
        "ref": "refs/heads/feature",
        "after": "abc",
        "repository": REPO,
        "head_commit": {"id": "abc", "message": "wip", "timestamp": "2026-11-20T10:00:00Z"},
    }
    assert _github("push", push).json()["stored"] == []
    other = {**DEPLOYMENT_STATUS, "repository": {"full_name": "someone/else"}}
    body = _github("deployment_status", other, delivery="d-2").json()
    assert body["skipped"] == ["no service in the catalog has repository 'someone/else'"]
    push["ref"] = "refs/heads/main"
    assert len(_github("push", push, delivery="d-3").json()["stored"]) == 1
    assert ChangeEvent.objects.get().kind == "commit"


def test_gitlab_pipeline_and_deployment_events_need_the_token(payments_api: Service, prod: Environment) -> None:
    payments_api.repo_url = "https://gitlab.example.com/money/payments-api"
    payments_api.save()
    pipeline = {
        "object_kind": "pipeline",
        "user": {"username": "lee"},
        "project": {"path_with_namespace": "money/payments-api"},
        "object_attributes": {
            "id": 31,
            "ref": "main",
            "sha": "bcbb5ec",
            "status": "success",
            "duration": 63,
            "created_at": "2026-11-20 10:00:00 UTC",
            "finished_at": "2026-11-20 10:01:03 UTC",
        },
    }
    client = APIClient()
    denied = client.post("/api/v1/changes/webhooks/gitlab", pipeline, format="json", HTTP_X_GITLAB_TOKEN="nope")
    assert denied.status_code == 401
    ok = client.post(
        "/api/v1/changes/webhooks/gitlab",
        pipeline,
        format="json",
        HTTP_X_GITLAB_TOKEN=SECRET,
        HTTP_X_GITLAB_EVENT_UUID="u-1",
    )
    assert ok.status_code == 202
    deployment = {
        "object_kind": "deployment",
        "status": "failed",
        "deployment_id": 15,
        "environment": "prod",
        "sha": "bcbb5ec",
        "user": {"username": "lee"},
        "status_changed_at": "2026-11-20 10:05:00 +0000",
        "project": {"path_with_namespace": "money/payments-api"},
    }
    client.post(
        "/api/v1/changes/webhooks/gitlab",
        deployment,
        format="json",
        HTTP_X_GITLAB_TOKEN=SECRET,
        HTTP_X_GITLAB_EVENT_UUID="u-2",
    )
    kinds = sorted(ChangeEvent.objects.values_list("kind", "status", "duration_seconds"))
    assert kinds == [("deploy", "failed", None), ("pipeline", "succeeded", 63.0)]


def test_argocd_sync_notifications_map_the_application_to_service_and_environment(placed: Service) -> None:
    payload = {
        "app": "payments-api-prod",
        "revision": "9f1c2d3",
        "phase": "Succeeded",
        "finishedAt": "2026-11-20T11:02:00Z",
        "id": "payments-api-prod:9f1c2d3:1",
    }
    client = APIClient()
    assert client.post("/api/v1/changes/webhooks/argocd", payload, format="json").status_code == 401
    response = client.post(
        "/api/v1/changes/webhooks/argocd", payload, format="json", HTTP_AUTHORIZATION=f"Bearer {SECRET}"
    )
    assert response.status_code == 202
    event = ChangeEvent.objects.get()
    assert (event.service.name, event.environment.name, event.source) == ("payments-api", "prod", "argocd")


def test_a_body_that_is_not_json_is_a_clear_400(placed: Service) -> None:
    body = b"not json"
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = APIClient().post(
        "/api/v1/changes/webhooks/github",
        body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="push",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    assert response.status_code == 400
    assert "body" in response.json()["error"]["fields"]


def test_the_generic_api_records_config_changes_once_for_owners_only(
    owner: User, outsider: User, placed: Service
) -> None:
    body = {
        "service": "payments-api",
        "environment": "prod",
        "kind": "feature_flag",
        "version": "new-checkout=on",
        "external_id": "flag-7",
    }
    assert client_for(outsider).post("/api/v1/changes", body, format="json").status_code == 403
    first = client_for(owner).post("/api/v1/changes", body, format="json")
    again = client_for(owner).post("/api/v1/changes", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    bad = client_for(owner).post("/api/v1/changes", {**body, "kind": "earthquake"}, format="json")
    assert "kind" in bad.json()["error"]["fields"]
    listed = client_for(outsider).get("/api/v1/changes", {"service": "payments-api", "kind": "feature_flag"}).json()
    assert listed["count"] == 1


def test_delivery_stats_and_metrics(owner: User, placed: Service) -> None:
    _github("workflow_run", WORKFLOW_RUN, delivery="a")
    _github("deployment_status", DEPLOYMENT_STATUS, delivery="b")
    assert client_for(owner).get("/api/v1/changes/stats", {"days": 3650}).status_code == 400
    stats = client_for(owner).get("/api/v1/changes/stats", {"days": 365}).json()["services"]
    assert stats[0]["service"] == "payments-api"
    assert (stats[0]["deploys"], stats[0]["pipeline_failure_rate"], stats[0]["pipeline_duration_seconds"]) == (
        1,
        1.0,
        270.0,
    )
    body = client_for(owner).get("/metrics").content.decode()
    assert 'portal_service_pipeline_failure_ratio{service="payments-api"} 1.0' in body
    assert 'portal_service_pipeline_duration_seconds{service="payments-api"} 270.0' in body
