"""Resource requests through the API on the local providers: steps, GitOps commit, catalog, approvals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml
from django.utils import timezone

from portal.catalog.models import Resource, Service
from portal.core.audit import AuditEvent
from portal.core.models import User
from portal.infra.models import ResourceRequest
from portal.infra.services import approvals_sync, requests_sweep
from portal.integrations.source_control import source_control
from portal.remediation.models import ActionRequest
from tests.conftest import client_for
from tests.infra.conftest import REQUESTS, Post

pytestmark = pytest.mark.usefixtures("environments", "service")


def detail(user: User, body: dict[str, Any], after: int = 0) -> dict[str, Any]:
    path = body["status_url"].split("8000", 1)[-1]
    response = client_for(user).get(path, {"after": after})
    assert response.status_code == 200, response.json()
    data: dict[str, Any] = response.json()
    return data


def gitops_documents(path: str) -> list[dict[str, Any]]:
    raw = source_control().file_read("platform/gitops", "main", path)
    assert raw is not None, f"{path} is not on platform/gitops@main"
    return list(yaml.safe_load_all(raw))


@pytest.mark.parametrize(
    ("kind", "claim_kind", "catalog_type"),
    [
        ("postgresql", "PostgreSQLInstance", "database"),
        ("redis", "RedisInstance", "cache"),
        ("queue", "MessageQueue", "queue"),
        ("bucket", "ObjectBucket", "bucket"),
    ],
)
def test_each_kind_is_committed_as_a_claim_and_lands_in_the_catalog(
    owner: User, post: Post, kind: str, claim_kind: str, catalog_type: str
) -> None:
    response = post(client_for(owner), kind=kind, name="ledger-store")
    assert response.status_code == 202, response.json()
    body = detail(owner, response.json())

    assert body["state"] == "succeeded", body["log"]
    assert [s["name"] for s in body["steps"]] == ["validate", "approval", "render", "deliver", "register"]
    assert all(s["state"] == "succeeded" and s["duration_ms"] is not None for s in body["steps"])
    assert body["entity_ref"] == "resource:default/ledger-store-dev"
    claim, secret = gitops_documents("infra/payments/dev/ledger-store-dev.yaml")
    assert (claim["kind"], claim["metadata"]["namespace"]) == (claim_kind, "payments-dev")
    assert claim["metadata"]["labels"]["platform-portal/cost-centre"] == "cc-1042"
    assert secret["kind"] == "ExternalSecret"
    assert secret["spec"]["target"]["name"] == "ledger-store-dev-connection"
    resource = Resource.objects.get(name="ledger-store-dev")
    assert (resource.type, resource.owner.name) == (catalog_type, "payments")
    assert list(Service.objects.filter(resources=resource).values_list("name", flat=True)) == ["payments-api"]
    assert AuditEvent.objects.filter(action="request", object_id=body["id"]).exists()


def test_dev_defaults_are_small_without_backups_and_prod_defaults_have_backups_and_ha(
    owner: User, sre: User, post: Post
) -> None:
    dev = detail(owner, post(client_for(owner)).json())
    prod = detail(owner, post(client_for(owner), environment="prod").json())

    assert dev["parameters"]["size"] == "small"
    assert dev["parameters"]["backup"] is False
    assert dev["parameters"]["retention_days"] == 1
    assert prod["parameters"]["backup"] is True
    assert prod["parameters"]["high_availability"] is True
    assert prod["parameters"]["retention_days"] == 30


def test_the_catalog_export_links_the_service_and_names_the_secret_reference_only(owner: User, post: Post) -> None:
    post(client_for(owner), kind="redis", name="sessions")
    entities = client_for(owner).get("/api/v1/catalog/entities").json()["items"]
    resource = next(e for e in entities if e["kind"] == "Resource" and e["metadata"]["name"] == "sessions-dev")
    component = next(e for e in entities if e["kind"] == "Component" and e["metadata"]["name"] == "payments-api")

    assert "resource:default/sessions-dev" in component["spec"]["dependsOn"]
    annotations = resource["metadata"]["annotations"]
    assert annotations["platform-portal/connection-secret"] == "payments-dev/sessions-dev-connection"
    assert annotations["platform-portal/connection-secret-store-path"] == "platform/payments/dev/sessions-dev"
    assert all("/" in value for key, value in annotations.items() if "secret" in key)  # paths, never values


def test_production_waits_for_an_sre_who_is_not_the_requester_then_continues(
    owner: User, sre: User, post: Post, django_capture_on_commit_callbacks: Any
) -> None:
    body = detail(owner, post(client_for(owner), environment="prod").json())
    assert body["state"] == "awaiting_approval", body["log"]
    assert body["approval_reasons"] == ["production resources need an SRE's approval"]
    assert source_control().repository_get("platform/gitops") is None  # nothing written before approval
    action = ActionRequest.objects.get(pk=int(body["approval_url"].rstrip("/").rsplit("/", 1)[-1]))

    own = client_for(owner).post(f"/api/v1/remediation/action-requests/{action.pk}/approve", {"comment": "mine"})
    assert own.status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        approved = client_for(sre).post(
            f"/api/v1/remediation/action-requests/{action.pk}/approve", {"comment": "sized right"}, format="json"
        )
    assert approved.status_code == 200, approved.json()

    body = detail(owner, body)
    assert body["state"] == "succeeded", body["log"]
    assert any("approved by sam" in line["message"] for line in body["log"])
    assert gitops_documents("infra/payments/prod/ledger-db-prod.yaml")[0]["spec"]["parameters"]["backup"] is True


def test_a_large_size_class_needs_approval_even_in_dev(owner: User, post: Post) -> None:
    body = detail(owner, post(client_for(owner), parameters={"size": "xlarge"}).json())

    assert body["state"] == "awaiting_approval"
    assert body["approval_reasons"] == ["size class xlarge needs an SRE's approval"]
    action = ResourceRequest.objects.get(pk=body["id"]).action_request
    assert action is not None
    assert "a xlarge resource needs an SRE's approval" in action.decision_reasons


def test_a_rejection_ends_the_request_with_nothing_created(owner: User, sre: User, post: Post) -> None:
    body = detail(owner, post(client_for(owner), environment="prod").json())
    action_id = ResourceRequest.objects.get(pk=body["id"]).action_request_id
    rejected = client_for(sre).post(
        f"/api/v1/remediation/action-requests/{action_id}/reject", {"comment": "use the shared cluster"}, format="json"
    )
    assert rejected.status_code == 200, rejected.json()

    body = detail(owner, body)  # ended by the decision itself, not by the next sweep
    assert approvals_sync() == 0
    assert body["state"] == "rejected"
    assert body["error"] == "approval rejected: use the shared cluster"
    assert not Resource.objects.filter(name="ledger-db-prod").exists()
    assert source_control().repository_get("platform/gitops") is None
    assert client_for(owner).post(f"{REQUESTS}/{body['id']}/retry").status_code == 409
    again = post(client_for(owner), environment="prod")  # the name is free again for a new request
    assert again.status_code == 202, again.json()


def test_the_same_idempotency_key_answers_with_the_same_request(owner: User, post: Post) -> None:
    first = post(client_for(owner), idempotency_key="task-1:step")
    second = post(client_for(owner), idempotency_key="task-1:step")

    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["id"] == second.json()["id"]
    assert ResourceRequest.objects.count() == 1
    assert len(source_control().commit_messages("platform/gitops", "main")) == 2  # start + one request


def test_a_second_request_for_a_provisioned_name_is_a_conflict(owner: User, post: Post) -> None:
    post(client_for(owner))
    again = post(client_for(owner))

    assert again.status_code == 409
    assert again.json()["error"]["fields"] == {"name": ["already taken"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "mongodb"}, "kind"),
        ({"parameters": {"size": "huge"}}, "parameters.size"),
        ({"parameters": {"retention_days": 0}}, "parameters.retention_days"),
        ({"parameters": {"colour": "blue"}}, "parameters.colour"),
        ({"environment": "prod", "parameters": {"backup": False}}, "parameters.backup"),
        ({"service": "nope"}, "service"),
        ({"environment": "moon"}, "environment"),
        ({"name": "Bad_Name"}, "name"),
    ],
)
def test_bad_input_answers_400_naming_the_field_and_records_nothing(
    owner: User, post: Post, body: dict[str, Any], field: str
) -> None:
    response = post(client_for(owner), **body)

    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert ResourceRequest.objects.count() == 0


def test_only_the_owning_team_or_platform_admins_may_request(
    outsider: User, platform_admin: User, owner: User, post: Post
) -> None:
    refused = post(client_for(outsider))
    assert refused.status_code == 403
    assert post(client_for(platform_admin)).status_code == 202
    assert client_for(None).post(REQUESTS, {}, format="json").status_code in (401, 403)
    listed = client_for(outsider).get(REQUESTS).json()
    assert listed["count"] == 0


def test_dry_run_returns_the_files_and_writes_nothing(owner: User, post: Post) -> None:
    response = post(client_for(owner), dry_run=True, kind="bucket", name="invoices")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [f["path"] for f in body["files"]] == ["infra/payments/dev/invoices-dev.yaml"]
    assert "kind: ObjectBucket" in body["files"][0]["content"]
    assert body["connection_secret"]["kubernetes_secret"] == "payments-dev/invoices-dev-connection"
    assert ResourceRequest.objects.count() == 0
    assert source_control().repository_get("platform/gitops") is None


def test_the_terraform_renderer_opens_a_pull_request_on_the_teams_infrastructure_repository(
    owner: User, post: Post, settings: Any
) -> None:
    settings.INFRA_RENDERER = "terraform"
    body = detail(owner, post(client_for(owner), kind="queue", name="orders").json())

    assert body["state"] == "succeeded", body["log"]
    assert body["renderer"] == "terraform"
    assert body["pull_request_url"].endswith("/acme/payments-infrastructure/pulls/1")
    sc = source_control()
    module = sc.file_read(
        "acme/payments-infrastructure", "refs/heads/portal/resource/orders-dev", "environments/dev/orders-dev.tf"
    )
    assert module is not None
    assert b'module "orders_dev"' in module
    assert sc.file_read("acme/payments-infrastructure", "main", "environments/dev/orders-dev.tf") is None
    (secret,) = gitops_documents("infra/payments/dev/orders-dev.yaml")
    assert secret["kind"] == "ExternalSecret"


def test_a_failed_step_is_retried_from_where_it_stopped(owner: User, post: Post, settings: Any) -> None:
    settings.GITOPS_REPOSITORY = "Not A Slug"
    body = detail(owner, post(client_for(owner)).json())
    assert body["state"] == "failed"
    assert body["current_step"] == "deliver"

    settings.GITOPS_REPOSITORY = "platform/gitops"
    retried = client_for(owner).post(f"{REQUESTS}/{body['id']}/retry")
    assert retried.status_code == 202
    from portal.infra.services import request_execute

    request_execute(body["id"])
    body = detail(owner, body)
    assert body["state"] == "succeeded", body["log"]
    assert [s["attempts"] for s in body["steps"]] == [1, 1, 1, 2, 1]


def test_the_log_is_followed_with_after(owner: User, post: Post) -> None:
    body = detail(owner, post(client_for(owner)).json())
    last = body["log"][-3]["id"]

    newer = detail(owner, body, after=last)["log"]
    assert [line["id"] for line in newer] == [line["id"] for line in body["log"][-2:]]


def test_kinds_are_listed_with_schema_and_defaults(owner: User) -> None:
    kinds = {k["name"]: k for k in client_for(owner).get("/api/v1/infra/kinds").json()}

    assert set(kinds) == {"postgresql", "redis", "queue", "bucket"}
    assert kinds["postgresql"]["parameters"]["properties"]["size"]["enum"] == ["small", "medium", "large", "xlarge"]
    assert kinds["postgresql"]["defaults"]["prod"]["backup"] is True
    assert kinds["bucket"]["defaults"]["dev"]["size"] == "small"


def test_a_request_left_by_a_dead_worker_is_resumed_at_its_unfinished_step(
    owner: User, post: Post, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    body = detail(owner, post(client_for(owner), kind="redis", name="cache").json())
    request = ResourceRequest.objects.get(pk=body["id"])
    # Rewind to "the worker died during deliver": running, deliver running, no progress for a long time.
    request.steps.filter(name__in=["deliver", "register"]).update(state="pending")
    request.steps.filter(name="deliver").update(state="running")
    ResourceRequest.objects.filter(pk=request.pk).update(state="running", finished_at=None)
    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    request.log_lines.update(created_at=long_ago)

    assert requests_sweep() == 1
    body = detail(owner, body)
    assert body["state"] == "succeeded", body["log"]
    assert any("stopped mid-step" in line["message"] for line in body["log"])
    assert len(source_control().commit_messages("platform/gitops", "main")) == 2  # the commit was not repeated


def test_an_approval_nobody_decides_in_time_ends_the_request(owner: User, post: Post) -> None:
    body = detail(owner, post(client_for(owner), environment="prod").json())
    action = ResourceRequest.objects.get(pk=body["id"]).action_request
    assert action is not None
    ActionRequest.objects.filter(pk=action.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert approvals_sync() == 1
    body = detail(owner, body)
    assert body["state"] == "rejected"
    assert body["error"].startswith("approval expired")


def test_the_approver_sees_the_claim_that_approving_would_commit(owner: User, post: Post) -> None:
    from portal.web.previews import action_preview

    body = detail(owner, post(client_for(owner), environment="prod", kind="bucket", name="invoices").json())
    action = ResourceRequest.objects.get(pk=body["id"]).action_request
    assert action is not None
    changes, problem = action_preview(action)

    assert problem == ""
    (change,) = changes
    assert change.path == "infra/payments/prod/invoices-prod.yaml"
    assert change.new_file
    added = "\n".join(text for css, text in change.lines if css == "add")
    assert "kind: ObjectBucket" in added
    assert "kind: ExternalSecret" in added


def test_other_teams_neither_see_nor_retry_a_request(owner: User, outsider: User, sre: User, post: Post) -> None:
    body = post(client_for(owner), parameters={"size": "large"}).json()
    path = f"{REQUESTS}/{body['id']}"

    assert client_for(outsider).get(path).status_code == 404
    assert client_for(outsider).post(f"{path}/retry").status_code == 404
    assert client_for(sre).get(path).status_code == 200  # SREs see every request (they approve them)
    assert client_for(owner).get(REQUESTS, {"state": "awaiting_approval"}).json()["count"] == 1
