"""The services API: owners change what they own, bad input is named, nothing is half-written."""

from __future__ import annotations

from typing import Any

import pytest

from portal.catalog.models import Environment, Service
from portal.core.models import AuditEvent, Team, User
from tests.conftest import client_for

URL = "/api/v1/catalog/services"


def _new(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "ledger",
        "title": "Ledger",
        "owner": "payments",
        "tier": 1,
        "lifecycle": "production",
        "type": "service",
        "tags": ["python", "pci"],
        "repo_url": "https://github.com/example-org/ledger",
        "links": [{"url": "https://grafana.example.com/d/ledger", "title": "Dashboard"}],
        **overrides,
    }


def test_a_team_member_registers_a_service_for_their_team(owner: User) -> None:
    response = client_for(owner).post(URL, _new(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"] == "payments"
    assert body["tags"] == ["pci", "python"]
    assert body["origin"] == "manual"
    assert AuditEvent.objects.filter(action="create", object_repr="ledger", actor_name="lee").exists()


def test_an_outsider_cannot_register_a_service_for_another_team(outsider: User, payments: Team) -> None:
    response = client_for(outsider).post(URL, _new(), format="json")
    assert response.status_code == 403
    assert "payments" in response.json()["error"]["message"]
    assert not Service.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_platform_admin_registers_for_any_team(platform_admin: User, payments: Team) -> None:
    assert client_for(platform_admin).post(URL, _new(), format="json").status_code == 201


def test_a_repeated_create_answers_409_and_keeps_one_service(owner: User) -> None:
    client = client_for(owner)
    assert client.post(URL, _new(), format="json").status_code == 201
    again = client.post(URL, _new(title="Other"), format="json")
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "conflict",
        "message": "A service named 'ledger' already exists.",
        "fields": {"name": ["already exists"]},
    }
    assert Service.objects.get().title == "Ledger"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Ledger"}, "name"),
        ({"name": "a" * 64}, "name"),
        ({"name": "-ledger"}, "name"),
        ({"tier": 4}, "tier"),
        ({"lifecycle": "alive"}, "lifecycle"),
        ({"owner": "nobody"}, "owner"),
        ({"tags": ["Python"]}, "tags"),
        ({"repo_url": "not a url"}, "repo_url"),
        ({"links": [{"url": "ftp:/x"}]}, "links[0].url"),
        ({"colour": "blue"}, "colour"),
        ({"dependencies": ["ghost"]}, "dependencies"),
    ],
)
def test_bad_input_is_answered_400_naming_the_field(owner: User, payload: dict[str, Any], field: str) -> None:
    response = client_for(owner).post(URL, _new(**payload), format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert any(name == field or name.startswith(field) for name in error["fields"]), error
    assert error["message"]
    assert not Service.objects.exists()


def test_a_body_that_is_not_json_is_a_clear_400(owner: User) -> None:
    response = client_for(owner).post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_listing_filters_and_paginates(owner: User, payments: Team, checkout: Team) -> None:
    for i in range(5):
        Service.objects.create(
            name=f"svc-{i}", owner=payments if i % 2 else checkout, tier=1 + i % 3, tags=["python"] if i < 2 else ["go"]
        )
    client = client_for(owner)
    assert {s["name"] for s in client.get(URL, {"owner": "payments"}).json()["results"]} == {"svc-1", "svc-3"}
    assert {s["name"] for s in client.get(URL, {"tier": 1}).json()["results"]} == {"svc-0", "svc-3"}
    assert {s["name"] for s in client.get(URL, {"tag": "python"}).json()["results"]} == {"svc-0", "svc-1"}
    page = client.get(URL, {"page_size": 2, "page": 2}).json()
    assert page["count"] == 5
    assert [s["name"] for s in page["results"]] == ["svc-2", "svc-3"]
    bad = client.get(URL, {"tier": 9})
    assert bad.status_code == 400
    assert "tier" in bad.json()["error"]["fields"]


def test_an_owner_updates_and_the_change_is_audited(owner: User, payments_api: Service) -> None:
    response = client_for(owner).patch(f"{URL}/payments-api", {"lifecycle": "deprecated"}, format="json")
    assert response.status_code == 200
    assert response.json()["lifecycle"] == "deprecated"
    event = AuditEvent.objects.get(action="update")
    assert (event.before["lifecycle"], event.after["lifecycle"]) == ("production", "deprecated")


def test_an_outsider_cannot_update_or_delete(outsider: User, payments_api: Service) -> None:
    client = client_for(outsider)
    assert client.patch(f"{URL}/payments-api", {"tier": 3}, format="json").status_code == 403
    assert client.delete(f"{URL}/payments-api").status_code == 403
    payments_api.refresh_from_db()
    assert payments_api.tier == 1


def test_a_service_cannot_be_handed_to_a_team_one_is_not_in(owner: User, payments_api: Service, checkout: Team) -> None:
    response = client_for(owner).patch(f"{URL}/payments-api", {"owner": "checkout"}, format="json")
    assert response.status_code == 403
    payments_api.refresh_from_db()
    assert payments_api.owner.name == "payments"


def test_a_service_cannot_depend_on_itself(owner: User, payments_api: Service) -> None:
    response = client_for(owner).patch(f"{URL}/payments-api", {"dependencies": ["payments-api"]}, format="json")
    assert response.status_code == 400
    assert "dependencies" in response.json()["error"]["fields"]


def test_an_owner_deletes_a_service(owner: User, payments_api: Service) -> None:
    assert client_for(owner).delete(f"{URL}/payments-api").status_code == 204
    assert not Service.objects.exists()
    assert AuditEvent.objects.get(action="delete").before["name"] == "payments-api"
    assert client_for(owner).get(f"{URL}/payments-api").status_code == 404


def test_unknown_service_is_a_json_404(owner: User) -> None:
    response = client_for(owner).get(f"{URL}/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_placing_a_service_in_an_environment(owner: User, payments_api: Service, prod: Environment) -> None:
    client = client_for(owner)
    created = client.put(
        f"{URL}/payments-api/environments/prod", {"argocd_app_name": "payments-api-prod"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["namespace"] == "payments-api-prod"
    assert created.json()["cluster"] == "prod-eu-1"
    again = client.put(f"{URL}/payments-api/environments/prod", {"namespace": "payments"}, format="json")
    assert again.status_code == 200
    detail = client.get(f"{URL}/payments-api").json()
    assert detail["environments"] == [
        {
            "environment": "prod",
            "kind": "prod",
            "namespace": "payments",
            "cluster": "prod-eu-1",
            "argocd_app_name": "payments-api-prod",
            "url": "",
        }
    ]
    assert client.delete(f"{URL}/payments-api/environments/prod").status_code == 204
    assert client.get(f"{URL}/payments-api").json()["environments"] == []


def test_only_platform_admins_manage_environments(owner: User, platform_admin: User) -> None:
    body = {"name": "perf", "kind": "staging"}
    assert client_for(owner).post("/api/v1/catalog/environments", body, format="json").status_code == 403
    assert client_for(platform_admin).post("/api/v1/catalog/environments", body, format="json").status_code == 201
    assert client_for(platform_admin).post("/api/v1/catalog/environments", body, format="json").status_code == 409


def test_an_environment_in_use_cannot_be_deleted(
    platform_admin: User, payments_api: Service, prod: Environment
) -> None:
    client_for(platform_admin).put(f"{URL}/payments-api/environments/prod", {}, format="json")
    response = client_for(platform_admin).delete("/api/v1/catalog/environments/prod")
    assert response.status_code == 409
    assert Environment.objects.filter(name="prod").exists()
