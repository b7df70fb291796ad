"""The previews API: team-scoped reads, extend, wake and delete, settings, and the rendered ApplicationSet."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.utils import timezone

from portal.core.models import AuditEvent, User
from portal.previews import delivery
from portal.previews.models import PreviewConfig, PreviewEnvironment, PreviewState
from portal.previews.schedule import DAYS
from portal.previews.services import previews_sweep
from portal.previews.validation import applicationset_errors
from tests.conftest import client_for
from tests.previews.conftest import SHA_1, deliver, pull_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def preview(preview_config: PreviewConfig, previews_world: Path) -> PreviewEnvironment:
    found = deliver(pull_event("opened", sha=SHA_1), at=timezone.now())
    assert found is not None
    assert found.state == PreviewState.ACTIVE
    return found


def test_a_team_sees_its_previews_with_their_step_log(preview: PreviewEnvironment, owner: User) -> None:
    response = client_for(owner).get("/api/v1/previews/")
    assert response.status_code == 200
    assert [(p["service"], p["number"], p["state"]) for p in response.json()["results"]] == [
        ("payments-api", 7, "active")
    ]
    detail = client_for(owner).get(f"/api/v1/previews/{preview.pk}").json()
    assert detail["namespace"] == "pr-7-payments-api"
    assert detail["deployed_sha"] == SHA_1
    assert [step["action"] for step in detail["steps"]][:4] == ["requested", "deploy", "gitops", "apply"]
    last = detail["steps"][-1]["id"]
    assert client_for(owner).get(f"/api/v1/previews/{preview.pk}?after={last}").json()["steps"] == []


def test_other_teams_neither_see_nor_change_a_preview(preview: PreviewEnvironment, outsider: User) -> None:
    client = client_for(outsider)
    assert client.get("/api/v1/previews/").json()["results"] == []
    assert client.get(f"/api/v1/previews/{preview.pk}").status_code == 404
    assert client.post(f"/api/v1/previews/{preview.pk}/extend", {"hours": 5}, format="json").status_code == 404
    assert client.delete(f"/api/v1/previews/{preview.pk}").status_code == 404
    preview.refresh_from_db()
    assert preview.state == PreviewState.ACTIVE


def test_an_sre_reads_every_preview_but_only_the_team_changes_it(preview: PreviewEnvironment, sre: User) -> None:
    client = client_for(sre)
    assert client.get(f"/api/v1/previews/{preview.pk}").status_code == 200
    response = client.post(f"/api/v1/previews/{preview.pk}/wake")
    assert response.status_code == 403
    assert "payments" in response.json()["error"]["message"]


def test_anonymous_callers_are_refused(preview: PreviewEnvironment) -> None:
    assert client_for(None).get("/api/v1/previews/").status_code in (401, 403)


def test_extending_pushes_the_expiry_back_and_is_audited(preview: PreviewEnvironment, owner: User) -> None:
    before = preview.expires_at
    response = client_for(owner).post(f"/api/v1/previews/{preview.pk}/extend", {"hours": 24}, format="json")
    assert response.status_code == 200
    preview.refresh_from_db()
    assert preview.expires_at == before + timedelta(hours=24)
    event = AuditEvent.objects.get(action="preview.extend")
    assert event.actor_name == owner.username
    assert event.via == "api"


@pytest.mark.parametrize(
    ("body", "field"), [({"hours": 0}, "hours"), ({"hours": 10_000}, "hours"), ({"days": 1}, "days"), ({}, "hours")]
)
def test_bad_extensions_name_the_field(preview: PreviewEnvironment, owner: User, body: dict, field: str) -> None:
    response = client_for(owner).post(f"/api/v1/previews/{preview.pk}/extend", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_wake_through_the_api_scales_a_sleeping_preview_back_up(
    preview: PreviewEnvironment, owner: User, settings
) -> None:
    settings.PREVIEWS_WORKING_DAYS = DAYS[(timezone.now().weekday() + 3) % 7]  # today is a day off
    previews_sweep(now=timezone.now() + timedelta(hours=3))  # past any wake window
    preview.refresh_from_db()
    assert preview.state == PreviewState.SLEEPING
    response = client_for(owner).post(f"/api/v1/previews/{preview.pk}/wake")
    assert response.status_code == 200
    assert response.json()["state"] == "active"
    kinds = {obj["kind"]: obj for obj in delivery.cluster_objects(preview.namespace)}
    assert kinds["Deployment"]["spec"]["replicas"] == 2


def test_a_deleted_preview_cannot_be_woken_or_extended(preview: PreviewEnvironment, owner: User) -> None:
    client = client_for(owner)
    response = client.delete(f"/api/v1/previews/{preview.pk}")
    assert response.status_code == 202
    assert response.json()["state"] == "deleted"
    assert delivery.cluster_objects(preview.namespace) == []
    assert client.post(f"/api/v1/previews/{preview.pk}/wake").status_code == 409
    assert client.post(f"/api/v1/previews/{preview.pk}/extend", {"hours": 1}, format="json").status_code == 409
    assert client.delete(f"/api/v1/previews/{preview.pk}").status_code == 202  # deleting again changes nothing
    assert AuditEvent.objects.filter(action="preview.deleted").count() == 1


def test_a_team_turns_previews_on_and_gets_its_applicationset(
    previews_world: Path, payments_api: object, owner: User, outsider: User, settings
) -> None:
    settings.PREVIEWS_GENERATOR = "argocd"  # the ApplicationSet goes to the GitOps branch at once
    settings.PREVIEWS_TTL_HOURS = 48
    body = {"provider": "gitlab", "repository": "acme/payments/payments-api", "gitlab_project": "4242"}
    url = "/api/v1/previews/services/payments-api/config"
    assert client_for(outsider).put(url, body, format="json").status_code == 403
    response = client_for(owner).put(url, body, format="json")
    assert response.status_code == 200
    assert response.json()["ttl_hours"] == 48
    assert delivery.branch_files() == ["applicationsets/payments-api.yaml"]

    document = client_for(owner).get("/api/v1/previews/services/payments-api/applicationset").json()
    assert applicationset_errors(document) == []
    assert document["spec"]["generators"][0]["pullRequest"]["gitlab"]["project"] == "4242"
    text = client_for(owner).get("/api/v1/previews/services/payments-api/applicationset?output=yaml")
    assert text["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(text.content) == document
    assert AuditEvent.objects.filter(action="preview.config_set", actor_name=owner.username).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"repository": "no-owner"}, "repository"),
        ({"repository": "a/b", "provider": "bitbucket"}, "provider"),
        ({"repository": "a/b", "replicas": 50}, "replicas"),
        ({"repository": "a/b", "token_secret": "Not A Name"}, "token_secret"),
        ({"repository": "a/b", "surprise": 1}, "surprise"),
    ],
)
def test_bad_settings_name_the_field_and_change_nothing(
    previews_world: Path, payments_api: object, owner: User, body: dict, field: str
) -> None:
    response = client_for(owner).put("/api/v1/previews/services/payments-api/config", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not PreviewConfig.objects.exists()


def test_a_service_without_settings_answers_404_saying_how_to_turn_them_on(
    previews_world: Path, payments_api: object, owner: User
) -> None:
    response = client_for(owner).get("/api/v1/previews/services/payments-api/applicationset")
    assert response.status_code == 404
    assert "PUT" in response.json()["error"]["message"]
