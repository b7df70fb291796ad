"""What Backstage consumes passes Backstage's own validators; what it sends in is imported safely."""

from __future__ import annotations

import yaml

from portal.catalog.demo import demo_load
from portal.catalog.models import Environment, Resource, Service, ServiceEnvironment, System
from portal.core.models import AuditEvent, Team, User
from tests.conftest import client_for
from tests.support.backstage import backstage_validate, rejections
from tests.support.processes import ROOT

ENTITIES = "/api/v1/catalog/entities"
IMPORT = "/api/v1/catalog/import"


def _entities(client) -> list[dict]:
    return client.get(ENTITIES).json()["items"]


def test_every_exported_entity_passes_backstage_validation(platform_admin: User) -> None:
    demo_load()
    client = client_for(platform_admin)
    yaml_text = client.get(ENTITIES, {"format": "yaml"}).content.decode()
    verdict = backstage_validate(yaml_text)
    assert verdict["ok"], rejections(verdict)
    kinds = {r["kind"] for r in verdict["results"]}
    assert kinds == {"Group", "User", "System", "Resource", "Component"}
    assert len(verdict["results"]) == len(_entities(client))


def test_the_validator_rejects_what_backstage_would_reject(platform_admin: User) -> None:
    """A control: the check above can fail."""
    demo_load()
    components = [e for e in _entities(client_for(platform_admin)) if e["kind"] == "Component"][:2]
    components[0]["metadata"]["tags"] = ["Python"]
    components[1]["metadata"]["annotations"]["platform-portal/tier"] = 1
    verdict = backstage_validate(yaml.safe_dump_all(components))
    assert [r["ok"] for r in verdict["results"]] == [False, False]
    assert "tags" in verdict["results"][0]["errors"][0]
    assert "must be string" in verdict["results"][1]["errors"][0]


def test_a_service_catalog_info_carries_the_annotations_plugins_read(
    owner: User, payments_api: Service, prod: Environment
) -> None:
    ServiceEnvironment.objects.create(
        service=payments_api,
        environment=prod,
        namespace="payments",
        cluster="prod-eu-1",
        argocd_app_name="payments-api-prod",
    )
    response = client_for(owner).get("/api/v1/catalog/services/payments-api/catalog-info.yaml")
    assert response["Content-Type"].startswith("application/yaml")
    text = response.content.decode()
    verdict = backstage_validate(text)
    assert verdict["ok"], rejections(verdict)
    entity = yaml.safe_load(text)
    annotations = entity["metadata"]["annotations"]
    assert annotations["backstage.io/kubernetes-id"] == "payments-api"
    assert annotations["backstage.io/kubernetes-namespace"] == "payments"
    assert annotations["argocd/app-name"] == "payments-api-prod"
    assert annotations["github.com/project-slug"] == "example-org/payments-api"
    assert annotations["backstage.io/source-location"] == "url:https://github.com/example-org/payments-api/"
    assert annotations["platform-portal/tier"] == "1"
    assert entity["spec"] == {"type": "service", "lifecycle": "production", "owner": "group:default/payments"}


def test_a_gitlab_repository_gets_the_gitlab_slug(owner: User, payments_api: Service) -> None:
    payments_api.repo_url = "https://gitlab.example.com/money/payments-api.git"
    payments_api.save()
    text = client_for(owner).get("/api/v1/catalog/services/payments-api/catalog-info.yaml").content.decode()
    annotations = yaml.safe_load(text)["metadata"]["annotations"]
    assert annotations["gitlab.com/project-slug"] == "money/payments-api"
    assert annotations["gitlab.com/instance"] == "gitlab.example.com"
    assert "github.com/project-slug" not in annotations


def test_export_then_import_reproduces_the_catalog(platform_admin: User) -> None:
    demo_load()
    client = client_for(platform_admin)
    exported = client.get(ENTITIES, {"format": "yaml"}).content.decode()
    before = [e for e in _entities(client) if e["kind"] != "User"]
    Service.objects.all().delete()
    Resource.objects.all().delete()
    System.objects.all().delete()
    response = client.post(IMPORT, exported, content_type="application/yaml")
    assert response.status_code == 200, response.json()
    assert len(response.json()["created"]) == 8 + 3 + 2  # services, resources, systems
    after = [e for e in _entities(client) if e["kind"] != "User"]
    strip = ("kubernetes-namespace", "argocd/app-name", "platform-portal/origin", "prometheus.io/rule")

    def comparable(entity: dict) -> dict:
        annotations = entity["metadata"].get("annotations", {})
        entity["metadata"]["annotations"] = {k: v for k, v in annotations.items() if not k.endswith(strip)}
        return entity

    assert [comparable(e) for e in after] == [comparable(e) for e in before]


def test_importing_the_same_file_twice_changes_nothing(platform_admin: User) -> None:
    demo_load()
    client = client_for(platform_admin)
    exported = client.get(ENTITIES, {"format": "yaml"}).content.decode()
    events = AuditEvent.objects.count()
    result = client.post(IMPORT, exported, content_type="application/yaml").json()
    assert result["created"] == []
    assert result["updated"] == []
    assert AuditEvent.objects.count() == events


COMPONENT = """
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ledger
  annotations:
    github.com/project-slug: example-org/ledger
    platform-portal/tier: "2"
  tags: [python]
spec:
  type: service
  lifecycle: production
  owner: group:default/ledger-team
  dependsOn: [resource:default/ledger-db]
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: ledger-team
spec:
  type: team
  profile: {displayName: Ledger team}
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: ledger-db
spec:
  type: database
  owner: ledger-team
"""


def test_a_multi_document_import_creates_teams_resources_and_services(platform_admin: User) -> None:
    response = client_for(platform_admin).post(IMPORT, COMPONENT, content_type="application/yaml")
    assert response.status_code == 200, response.json()
    assert sorted(response.json()["created"]) == ["component:ledger", "group:ledger-team", "resource:ledger-db"]
    service = Service.objects.get(name="ledger")
    assert (service.owner.name, service.tier, service.origin) == ("ledger-team", 2, "import")
    assert service.repo_url == "https://github.com/example-org/ledger"
    assert [r.name for r in service.resources.all()] == ["ledger-db"]
    assert Team.objects.get(name="ledger-team").title == "Ledger team"


def _rejected(client, text: str) -> dict:
    counts = (Team.objects.count(), Service.objects.count(), Resource.objects.count(), AuditEvent.objects.count())
    response = client.post(IMPORT, text, content_type="application/yaml")
    assert response.status_code == 400, response.json()
    after = (Team.objects.count(), Service.objects.count(), Resource.objects.count(), AuditEvent.objects.count())
    assert after == counts, "a rejected import must write nothing"
    return response.json()["error"]


def test_one_bad_document_rejects_the_whole_import_naming_document_and_field(platform_admin: User) -> None:
    bad = COMPONENT.replace("lifecycle: production", "lifecycle: forever")
    error = _rejected(client_for(platform_admin), bad)
    assert list(error["fields"]) == ["documents[0](Component:ledger).spec.lifecycle"]
    assert "nothing was written" in error["message"]


def test_unknown_kinds_and_fields_are_rejected(platform_admin: User) -> None:
    client = client_for(platform_admin)
    location = "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: x}\nspec: {targets: []}\n"
    error = _rejected(client, COMPONENT + "---\n" + location)
    assert "documents[3](Location:x).kind" in error["fields"]
    error = _rejected(client, COMPONENT.replace("kind: Group", "kind: Group\nextra: 1"))
    assert "documents[1](Group:ledger-team).extra" in error["fields"]
    error = _rejected(client, COMPONENT.replace('platform-portal/tier: "2"', "platform-portal/tier: 2"))
    assert "documents[0](Component:ledger).metadata.annotations.platform-portal/tier" in error["fields"]


def test_dangling_references_and_bad_yaml_are_rejected(platform_admin: User) -> None:
    client = client_for(platform_admin)
    error = _rejected(client, COMPONENT.replace("resource:default/ledger-db", "resource:default/ghost"))
    assert error["fields"]["documents[0](Component:ledger).spec.dependsOn[0]"] == [
        "no resource named 'ghost' in the catalog or in this import"
    ]
    error = _rejected(client, "kind: [unclosed")
    assert "body" in error["fields"]


def test_a_member_cannot_import_a_service_for_another_team(owner: User, checkout: Team) -> None:
    text = COMPONENT.split("---")[0].replace("group:default/ledger-team", "checkout")
    text = text.replace("  dependsOn: [resource:default/ledger-db]\n", "")
    response = client_for(owner).post(IMPORT, text, content_type="application/yaml")
    assert response.status_code == 403
    assert not Service.objects.exists()


def test_json_clients_may_wrap_the_yaml(platform_admin: User) -> None:
    response = client_for(platform_admin).post(IMPORT, {"yaml": COMPONENT}, format="json")
    assert response.status_code == 200
    missing = client_for(platform_admin).post(IMPORT, {"text": COMPONENT}, format="json")
    assert missing.status_code == 400
    assert "yaml" in missing.json()["error"]["fields"]


def test_the_portals_own_catalog_info_is_valid() -> None:
    verdict = backstage_validate((ROOT / "catalog-info.yaml").read_text())
    assert verdict["ok"], rejections(verdict)
    assert {r["kind"] for r in verdict["results"]} == {"System", "Component", "Resource"}
