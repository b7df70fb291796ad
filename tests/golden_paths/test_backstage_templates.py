"""The Backstage templates in golden_paths/ pass Backstage's template validator and call the portal correctly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.golden_paths.support import BACKSTAGE_TEMPLATES, PATHS, golden_path_meta
from tests.support.backstage import backstage_validate, rejections

VARIANTS = ("template.yaml", "template-action.yaml")
# Templates for other portal features, validated here with the golden paths (their calls: tests/<app>/).
OTHER_TEMPLATES = ("resource-request",)  # tests/infra/test_backstage.py
RUN_FIELDS = {
    "repo_url": "repoUrl",
    "pull_request_url": "pullRequestUrl",
    "entity_ref": "entityRef",
    "run_url": "runUrl",
}


def load(path: str, variant: str) -> dict[str, Any]:
    return yaml.safe_load((BACKSTAGE_TEMPLATES / path / variant).read_text())


def form_properties(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: rules for page in template["spec"]["parameters"] for name, rules in page["properties"].items()}


def links(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {link["title"]: link for link in template["spec"]["output"]["links"]}


def test_every_template_passes_backstage_validation() -> None:
    files = sorted(BACKSTAGE_TEMPLATES.glob("*/template*.yaml"))
    verdict = backstage_validate("\n---\n".join(f.read_text() for f in files))

    assert len(files) == (len(PATHS) + len(OTHER_TEMPLATES)) * len(VARIANTS)
    assert verdict["ok"], rejections(verdict)
    assert {r["kind"] for r in verdict["results"]} == {"Template"}


def test_the_validator_rejects_a_broken_template() -> None:
    """A control: the check above can fail."""
    template = load("python-http-service", "template.yaml")
    del template["spec"]["steps"][0]["action"]

    assert not backstage_validate(yaml.safe_dump(template))["ok"]


@pytest.mark.parametrize("path", PATHS)
def test_the_default_template_posts_the_run_through_the_proxy_with_an_idempotency_key(path: str) -> None:
    template = load(path, "template.yaml")
    (step,) = template["spec"]["steps"]
    request = step["input"]

    assert step["action"] == "http:backstage:request"
    assert request["method"] == "POST"
    assert request["path"] == f"/proxy/platform-portal/api/v1/golden-paths/{path}/runs"
    assert request["headers"] == {"content-type": "application/json"}
    assert set(request["body"]) == {"idempotency_key", "requested_for", "parameters"}  # the portal's strict input
    assert request["body"]["idempotency_key"] == "${{ context.task.id }}"
    assert request["body"]["requested_for"] == "${{ user.ref }}"
    assert request["body"]["parameters"] == {
        name: f"${{{{ parameters.{name} }}}}" for name in form_properties(template)
    }
    for field in RUN_FIELDS:
        link = next(link for link in links(template).values() if field in str(link))
        assert f"steps['{step['id']}'].output.body.{field}" in link.get("url", link.get("entityRef", ""))


@pytest.mark.parametrize("path", PATHS)
def test_the_action_template_runs_the_portals_own_action(path: str) -> None:
    template = load(path, "template-action.yaml")
    (step,) = template["spec"]["steps"]

    assert step["action"] == "portal:golden-path:run"
    assert step["input"]["path"] == path
    assert step["input"]["parameters"] == {name: f"${{{{ parameters.{name} }}}}" for name in form_properties(template)}
    outputs = " ".join(str(link) for link in template["spec"]["output"]["links"])
    for output in RUN_FIELDS.values():
        assert f"steps['{step['id']}'].output.{output}" in outputs
    assert links(template)["Open in catalog"]["entityRef"].endswith(".output.entityRef }}")


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("path", PATHS)
def test_the_form_asks_for_answers_the_golden_path_accepts_with_the_same_rules(path: str, variant: str) -> None:
    schema = golden_path_meta(path)["parameters"]
    form = form_properties(load(path, variant))

    assert {"name", "owner", "tier", "python_version", "description"} <= set(form)
    assert set(form) <= set(schema["properties"])
    for name, rules in form.items():
        expected = schema["properties"][name]
        for keyword in ("pattern", "maxLength"):
            assert rules.get(keyword) == expected.get(keyword), (name, keyword)
        if "enum" in expected:
            assert sorted(rules["enum"]) == sorted(expected["enum"]), name
            assert rules["default"] == expected["default"], name


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("path", PATHS)
def test_owners_are_picked_among_groups_and_names_are_dns_labels(path: str, variant: str) -> None:
    template = load(path, variant)
    form = form_properties(template)
    required = {name for page in template["spec"]["parameters"] for name in page.get("required", [])}

    assert form["owner"]["ui:field"] == "OwnerPicker"
    assert form["owner"]["ui:options"]["catalogFilter"] == {"kind": ["Group"]}
    assert form["name"]["pattern"] == "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
    assert {"name", "owner", "tier"} <= required
    assert template["metadata"]["name"] == (path if variant == "template.yaml" else f"{path}-via-action")


def test_the_readme_documents_the_proxy_route_and_its_token() -> None:
    readme = (Path(BACKSTAGE_TEMPLATES) / "README.md").read_text()

    assert "/platform-portal:" in readme
    assert "Authorization: Bearer ${PORTAL_TOKEN}" in readme
    assert "credentials: require" in readme
