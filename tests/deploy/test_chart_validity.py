"""The chart renders with real Helm, passes `helm lint --strict`, and every manifest is valid: core kinds
against Kubernetes' own schemas (kubernetes-validate, strict) and custom resources against structural ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest

from tests.deploy.helm import (
    CHART,
    PRODUCTION_VALUES,
    Manifest,
    helm_run,
    helm_template,
    named,
    of_kind,
)
from tests.deploy.schemas import CORE_GROUPS, CUSTOM_RESOURCES

# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ["1.30.0", "1.37.0"]


def test_helm_is_the_real_binary(helm: Path) -> None:
    result = helm_run(helm, "version", "--short")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("v4."), result.stdout


@pytest.mark.parametrize("values", [(), (PRODUCTION_VALUES,)], ids=["default", "production"])
def test_chart_passes_helm_lint_strict(helm: Path, values: tuple[Path, ...]) -> None:
    args = [arg for path in values for arg in ("--values", str(path))]
    result = helm_run(helm, "lint", "--strict", str(CHART), *args)
    assert result.returncode == 0, result.stdout + result.stderr


def test_chart_refuses_kubernetes_older_than_it_supports(helm: Path) -> None:
    result = helm_template(helm, kube_version="1.29.0")
    assert result.returncode != 0
    assert "kubeVersion" in result.stderr or "incompatible" in result.stderr


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_core_manifest_is_valid_kubernetes(manifests: list[Manifest], version: str) -> None:
    core = [manifest for manifest in manifests if manifest["apiVersion"] in CORE_GROUPS]
    assert len(core) >= 8
    for manifest in core:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{manifest['kind']}/{manifest['metadata']['name']} on {version}: {error}")


def test_strict_validation_catches_a_misspelt_field(default_manifests: list[Manifest]) -> None:
    deployment = copy.deepcopy(named(default_manifests, "Deployment", "-web"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


def test_every_other_manifest_matches_its_custom_resource_schema(manifests: list[Manifest]) -> None:
    for manifest in manifests:
        if manifest["apiVersion"] in CORE_GROUPS:
            continue
        schema = CUSTOM_RESOURCES.get(manifest["kind"])
        assert schema is not None, f"no schema for {manifest['apiVersion']} {manifest['kind']}"
        try:
            jsonschema.Draft202012Validator(schema).validate(manifest)
        except jsonschema.ValidationError as error:
            pytest.fail(f"{manifest['kind']}/{manifest['metadata']['name']}: {error.message} at {list(error.path)}")


def test_custom_resource_schemas_catch_a_misspelt_field(production_manifests: list[Manifest]) -> None:
    for kind in CUSTOM_RESOURCES:
        manifest = copy.deepcopy(of_kind(production_manifests, kind)[0])
        manifest["spec"]["replicas"] = 1  # none of them has spec.replicas
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft202012Validator(CUSTOM_RESOURCES[kind]).validate(manifest)


def test_defaults_render_the_core_of_the_portal(default_manifests: list[Manifest]) -> None:
    kinds = sorted(manifest["kind"] for manifest in default_manifests)
    expected = ["ConfigMap", "Deployment", "Deployment", "Deployment", "ExternalSecret", "ExternalSecret", "Job"]
    expected += ["PodDisruptionBudget", "PodDisruptionBudget", "Service", "ServiceAccount", "ServiceAccount"]
    assert kinds == sorted(expected)


def test_production_values_add_ingress_keda_and_service_monitor(production_manifests: list[Manifest]) -> None:
    kinds = {manifest["kind"] for manifest in production_manifests}
    assert {"Ingress", "ScaledObject", "TriggerAuthentication", "ServiceMonitor"} <= kinds
    # The portal's settings, the migration hook's copy, KEDA's Redis password, Prometheus' scrape token.
    assert len(of_kind(production_manifests, "ExternalSecret")) == 4


def test_values_schema_refuses_unknown_keys_and_missing_limits(helm: Path) -> None:
    attempts = [
        {"web.replica": "3"},
        {"web.resources.limits": "null"},
        {"secrets.mountAs": "volume"},
        {"secrets.settings.SECRET_KEY": "null"},  # pods must share one key, not each make their own
    ]
    for sets in attempts:
        result = helm_template(helm, sets=sets)
        assert result.returncode != 0, sets
        assert "values don't meet the specifications of the schema" in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        ({"migrate.secretSettings": "{DATABASE_URL,GITHUB_TOKEN}"}, "GITHUB_TOKEN, which is not in secrets.settings"),
        ({"ingress.enabled": "true", "config.SITE_URL": ""}, "ingress.host or config.SITE_URL is needed"),
        ({"serviceAccount.create": "false"}, "serviceAccount.name is needed"),
    ],
)
def test_chart_explains_a_setup_it_cannot_render(helm: Path, sets: dict[str, str], message: str) -> None:
    result = helm_template(helm, sets=sets)
    assert result.returncode != 0
    assert message in result.stderr


def test_install_notes_render_and_warn_about_demo_backends(helm: Path) -> None:
    result = helm_run(helm, "install", "portal", str(CHART), "--dry-run=client", "--namespace", "platform")
    assert result.returncode == 0, result.stderr
    notes = result.stdout.split("NOTES:", 1)[1]
    assert "kubectl -n platform rollout status deployment/portal-platform-portal-web" in notes
    assert "LocalGit" in notes
    production = helm_run(
        helm, "install", "portal", str(CHART), "--dry-run=client", "-n", "platform", "-f", str(PRODUCTION_VALUES)
    )
    assert "LocalGit" not in production.stdout.split("NOTES:", 1)[1]


def test_values_schema_is_valid_json_schema() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
