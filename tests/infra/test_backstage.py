"""The resource-request templates pass Backstage's validator and call the portal as its API expects; the
catalog export with provisioned resources passes Backstage's entity validators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from portal.core.models import User
from portal.infra.apis import RequestListCreateApi
from portal.infra.kinds import KINDS, SIZE_CLASSES
from tests.conftest import client_for
from tests.infra.conftest import Post
from tests.support.backstage import backstage_validate, rejections

FOLDER = Path(__file__).resolve().parents[2] / "golden_paths" / "resource-request"
VARIANTS = ("template.yaml", "template-action.yaml")


def load(variant: str) -> dict[str, Any]:
    return yaml.safe_load((FOLDER / variant).read_text())


def form(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: rules for page in template["spec"]["parameters"] for name, rules in page["properties"].items()}


def test_both_templates_pass_backstage_validation() -> None:
    verdict = backstage_validate("\n---\n".join((FOLDER / v).read_text() for v in VARIANTS))

    assert verdict["ok"], rejections(verdict)
    assert sorted(r["name"] for r in verdict["results"]) == ["resource-request", "resource-request-via-action"]


def test_a_template_without_steps_is_refused() -> None:
    """A control: the validation above can fail."""
    template = load("template.yaml")
    template["spec"]["steps"] = "none"
    assert not backstage_validate(yaml.safe_dump(template))["ok"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_form_offers_what_the_portal_accepts(variant: str) -> None:
    fields = form(load(variant))

    assert fields["kind"]["enum"] == list(KINDS)
    assert fields["settings"]["properties"]["size"]["enum"] == list(SIZE_CLASSES)
    name_rule = RequestListCreateApi.Input().fields["name"]
    assert fields["name"]["maxLength"] == getattr(name_rule, "max_length", None)
    for name in fields["settings"]["properties"]:
        assert all(name in kind.properties for kind in KINDS.values()), f"{name} is not a parameter of every kind"
    assert fields["service"]["ui:options"]["catalogFilter"] == {"kind": ["Component"]}


def test_the_proxy_template_posts_the_portals_strict_input_with_the_task_as_idempotency_key() -> None:
    (step,) = load("template.yaml")["spec"]["steps"]
    body = step["input"]["body"]

    assert step["action"] == "http:backstage:request"
    assert step["input"]["path"] == "/proxy/platform-portal/api/v1/infra/requests"
    assert step["input"]["headers"] == {"content-type": "application/json"}
    assert set(body) <= set(RequestListCreateApi.Input().fields)
    assert body["idempotency_key"] == "${{ context.task.id }}"
    assert body["parameters"] == "${{ parameters.settings }}"


def test_the_action_template_runs_the_plugins_resource_action() -> None:
    template = load("template-action.yaml")
    (step,) = template["spec"]["steps"]

    assert step["action"] == "platform-portal:resource:request"
    assert set(step["input"]) == {"kind", "name", "service", "environment", "parameters"}
    links = {link["title"]: link for link in template["spec"]["output"]["links"]}
    assert links["Open in catalog"]["entityRef"] == "${{ steps['request'].output.entityRef }}"


@pytest.mark.usefixtures("environments", "service")
def test_an_entity_picker_value_names_the_service(owner: User, post: Post) -> None:
    response = post(client_for(owner), service="component:default/payments-api", kind="bucket", name="exports")

    assert response.status_code == 202, response.json()
    assert response.json()["service"] == "payments-api"


@pytest.mark.usefixtures("environments", "service")
def test_the_catalog_with_provisioned_resources_passes_backstages_validators(owner: User, post: Post) -> None:
    for kind in KINDS:
        assert post(client_for(owner), kind=kind, name=f"store-{kind}").status_code == 202
    exported = client_for(owner).get("/api/v1/catalog/entities", {"format": "yaml"})
    verdict = backstage_validate(exported.content.decode())

    assert verdict["ok"], rejections(verdict)
    resources = [r for r in verdict["results"] if r["kind"] == "Resource"]
    assert sorted(r["name"] for r in resources) == sorted(f"store-{kind}-dev" for kind in KINDS)
