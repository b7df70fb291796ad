"""The Argo Rollouts AnalysisTemplate: labelled, token from a Secret, and its web metric works against the API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from portal.catalog.models import Environment, Service, ServiceEnvironment
from portal.core.labels import missing_labels
from portal.core.models import PlatformRole
from portal.core.services import service_account_token_create
from portal.delivery.rollouts import analysis_template
from portal.integrations.metrics import metrics
from tests.conftest import client_for

EXAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "examples" / "argo-rollouts"


def _documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_the_shipped_example_is_what_the_portal_renders() -> None:
    (shipped,) = _documents(EXAMPLES / "analysis-template.yaml")
    rendered = analysis_template(
        service="payments-api",
        team="payments",
        environment="prod",
        cost_centre="cc-1042",
        portal_url="https://portal.example.com",
        namespace="payments",
    )
    assert shipped == rendered


def test_the_shipped_manifests_carry_the_standard_labels_and_no_token() -> None:
    for path in EXAMPLES.glob("*.yaml"):
        for document in _documents(path):
            assert missing_labels(document) == [], (path.name, document["kind"])
            assert "portal-token" not in json.dumps(document) or "secretKeyRef" in json.dumps(document)
    (rollout,) = _documents(EXAMPLES / "rollout.yaml")
    args = {a["name"]: a["valueFrom"] for a in rollout["spec"]["strategy"]["canary"]["analysis"]["args"]}
    assert args == {
        "stable-hash": {"podTemplateHashValue": "Stable"},
        "canary-hash": {"podTemplateHashValue": "Latest"},
    }


def test_the_api_renders_it_for_a_service_in_its_namespace(
    local_adapters, payments_api: Service, prod: Environment, owner, settings
) -> None:
    settings.SITE_URL = "https://portal.test"
    payments_api.owner.cost_centre = "cc-7"
    payments_api.owner.save()
    ServiceEnvironment.objects.create(service=payments_api, environment=prod, namespace="payments", cluster="prod-eu-1")
    url = "/api/v1/delivery/canary/services/payments-api/analysis-template"

    template = client_for(owner).get(url, {"environment": "prod"}).json()["analysis_template"]
    as_yaml = client_for(owner).get(url, {"environment": "prod", "format": "yaml"})

    assert missing_labels(template) == []
    assert template["metadata"]["namespace"] == "payments"
    assert template["metadata"]["labels"]["platform-portal/cost-centre"] == "cc-7"
    token = next(a for a in template["spec"]["args"] if a["name"] == "portal-token")
    assert token == {
        "name": "portal-token",
        "valueFrom": {"secretKeyRef": {"name": "platform-portal-token", "key": "token"}},
    }
    assert (
        template["spec"]["metrics"][0]["provider"]["web"]["url"]
        == "https://portal.test/api/v1/delivery/canary/judgements"
    )
    assert as_yaml["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.content) == template
    assert client_for(owner).get(url).status_code == 400


def _resolve(value: object, args: dict[str, str]) -> object:
    """Substitute {{args.x}} as Argo Rollouts does in a metric before it runs."""
    text = json.dumps(value)
    return json.loads(re.sub(r"\{\{\s*args\.([a-z-]+)\s*\}\}", lambda m: args[m.group(1)], text))


def test_argo_rollouts_web_metric_gets_an_outcome_its_conditions_understand(
    local_adapters, payments_api, prod, payments
) -> None:
    _, secret = service_account_token_create(
        name="argo-rollouts", platform_role=PlatformRole.DEVELOPER, teams=[payments]
    )
    template = analysis_template(
        service="payments-api", team="payments", environment="prod", cost_centre="", portal_url="http://testserver"
    )
    stable_hash = metrics().fleet().pod_names("payments-api")[0].split("-")[-2]  # type: ignore[attr-defined]
    args = {
        "service": "payments-api",
        "environment": "prod",
        "config": "default",
        "stable-hash": stable_hash,
        "canary-hash": stable_hash,
        "portal-token": secret,
    }
    web = _resolve(template["spec"]["metrics"][0]["provider"]["web"], args)
    assert isinstance(web, dict)
    headers = {
        f"HTTP_{h['key'].upper().replace('-', '_')}": h["value"] for h in web["headers"] if h["key"] != "Content-Type"
    }

    response = client_for(None).post(
        web["url"].removeprefix("http://testserver"), web["jsonBody"], format="json", **headers
    )

    assert response.status_code == 201, response.json()
    assert web["jsonPath"] == "{$.outcome}"
    result = response.json()["outcome"]  # what {$.outcome} selects
    assert result == "pass"  # both hashes name the same pods: identical data
    assert template["spec"]["metrics"][0]["successCondition"] == 'result == "pass"'
