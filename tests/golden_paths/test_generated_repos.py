"""A repository generated from each golden path, in every tier and variant, is one a team can keep: its
own tests pass, Backstage accepts its catalog entry, and its manifests are valid Kubernetes for every
environment, sized, non-root and scaled as the path promises."""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from portal.core import labels
from tests.golden_paths.conftest import VARIANTS, Variant
from tests.golden_paths.schemas import CUSTOM_RESOURCES
from tests.golden_paths.support import (
    ENVIRONMENTS,
    KUBERNETES_VERSION,
    containers,
    pod_spec,
    quantity,
)
from tests.support.backstage import backstage_validate, rejections

COMPONENT_TYPE = {"python-http-service": "service", "event-driven-worker": "worker", "scheduled-job": "job"}
KINDS = {
    "python-http-service": {"ServiceAccount", "Deployment", "Service", "ExternalSecret"},
    "event-driven-worker": {"ServiceAccount", "Deployment", "ExternalSecret", "ScaledObject", "TriggerAuthentication"},
    "scheduled-job": {"ServiceAccount", "CronJob", "ExternalSecret"},
}
WORKERS = [v for v in VARIANTS if v.path == "event-driven-worker"]
JOBS = [v for v in VARIANTS if v.path == "scheduled-job"]


def owner_name(variant: Variant) -> str:
    return variant.context["owner"].split("/")[-1].split(":")[-1]


@pytest.fixture(scope="session")
def catalog_verdicts(rendered: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """Backstage's verdict on every variant's catalog-info.yaml, from a single validator run."""
    ids = list(rendered)
    stream = "\n---\n".join((rendered[i] / "catalog-info.yaml").read_text() for i in ids)
    verdict = backstage_validate(stream)
    assert len(verdict["results"]) == len(ids), verdict
    return dict(zip(ids, verdict["results"], strict=True))


def test_the_generated_repository_passes_its_own_tests(
    variant: Variant, generated_test_runs: dict[str, Future[subprocess.CompletedProcess[str]]]
) -> None:
    proc = generated_test_runs[variant.id].result(timeout=300)

    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", proc.stdout)


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_the_generated_code_is_clean_under_its_own_ruff_settings(repo: Path, command: list[str]) -> None:
    ruff = Path(sys.executable).parent / "ruff"
    proc = subprocess.run([str(ruff), *command, "."], cwd=repo, capture_output=True, text=True, timeout=60, check=False)

    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_catalog_info_passes_backstage_validation(
    variant: Variant, catalog_verdicts: dict[str, dict[str, Any]]
) -> None:
    result = catalog_verdicts[variant.id]

    assert result["ok"], rejections({"results": [result]})
    assert result["kind"] == "Component"


def test_catalog_info_carries_ownership_tier_and_deployment_annotations(variant: Variant, repo: Path) -> None:
    entity = yaml.safe_load((repo / "catalog-info.yaml").read_text())
    context, annotations = variant.context, entity["metadata"]["annotations"]
    name, slug = context["name"], f"{context['scm_org']}/{context['name']}"
    host, other = ("github.com", "gitlab.com") if context["scm"] == "github" else ("gitlab.com", "github.com")

    assert entity["metadata"]["name"] == name
    assert annotations["backstage.io/kubernetes-id"] == name
    assert annotations["argocd/app-name"] == f"{name}-prod"
    assert annotations[f"{host}/project-slug"] == slug
    assert f"{other}/project-slug" not in annotations
    assert annotations["backstage.io/source-location"].startswith(f"url:https://{host}/{slug}/")
    assert annotations["platform-portal/tier"] == context["tier"]
    assert all(re.fullmatch(r"[a-z0-9+#-]+", tag) for tag in entity["metadata"]["tags"])
    assert entity["spec"] == {
        "type": COMPONENT_TYPE[variant.path],
        "lifecycle": context["lifecycle"],
        "owner": f"group:default/{owner_name(variant)}",
        "system": context["system"],
    }


def test_every_manifest_is_valid_kubernetes_or_matches_its_crd_schema(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    for env, documents in manifests.items():
        for document in documents:
            schema = CUSTOM_RESOURCES.get((document["apiVersion"], document["kind"]))
            where = f"{env}: {document['kind']}/{document['metadata']['name']}"
            try:
                if schema is not None:
                    jsonschema.Draft202012Validator(schema).validate(document)
                else:
                    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
            except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as error:
                pytest.fail(f"{where}: {error}")


def test_each_environment_deploys_the_paths_resources_into_the_teams_namespace(
    variant: Variant, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    for env, documents in manifests.items():
        expected = KINDS[variant.path] | (
            {"PodDisruptionBudget"} if variant.path == "python-http-service" and env == "prod" else set()
        )
        assert {d["kind"] for d in documents} == expected, env
        assert {d["metadata"]["namespace"] for d in documents} == {f"{owner_name(variant)}-{env}"}
        for workload in filter(pod_spec, documents):
            env_vars = {e["name"]: e.get("value") for e in containers(workload)[0]["env"]}
            assert env_vars["DEPLOYMENT_ENVIRONMENT"] == env
            assert env_vars["OTEL_EXPORTER_OTLP_ENDPOINT"] == variant.context["otlp_endpoint"]


def test_every_container_has_cpu_and_memory_requests_within_limits(manifests: dict[str, list[dict[str, Any]]]) -> None:
    checked = 0
    for env, documents in manifests.items():
        for workload in documents:
            for container in containers(workload):
                resources = container.get("resources", {})
                for resource in ("cpu", "memory"):
                    request, limit = resources["requests"][resource], resources["limits"][resource]
                    assert quantity(request) <= quantity(limit), f"{env}/{workload['kind']}/{container['name']}"
                checked += 1
    assert checked == len(ENVIRONMENTS)


def test_prod_gets_more_capacity_than_dev(manifests: dict[str, list[dict[str, Any]]]) -> None:
    def memory_limit(env: str) -> float:
        (workload,) = filter(pod_spec, manifests[env])
        return quantity(containers(workload)[0]["resources"]["limits"]["memory"])

    assert memory_limit("dev") < memory_limit("staging") < memory_limit("prod")


def test_workloads_run_as_a_non_root_user_with_a_read_only_root(
    manifests: dict[str, list[dict[str, Any]]], repo: Path
) -> None:
    for documents in manifests.values():
        for workload in filter(pod_spec, documents):
            assert pod_spec(workload)["securityContext"]["runAsNonRoot"] is True
            for container in containers(workload):
                assert container["securityContext"]["allowPrivilegeEscalation"] is False
                assert container["securityContext"]["readOnlyRootFilesystem"] is True
    dockerfile = (repo / "Dockerfile").read_text()
    assert re.search(r"^USER 10001:10001$", dockerfile, re.MULTILINE)


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v.path == "python-http-service"], ids=lambda v: v.id)
def test_the_http_service_runs_more_replicas_in_prod_for_a_higher_tier(
    variant: Variant, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    (deployment,) = (d for d in manifests["prod"] if d["kind"] == "Deployment")

    assert deployment["spec"]["replicas"] == {"1": 3, "2": 2, "3": 2}[variant.context["tier"]]


@pytest.mark.parametrize("variant", WORKERS, ids=lambda v: v.id)
def test_the_worker_is_scaled_by_keda_down_to_zero(
    variant: Variant, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    context = variant.context
    for env, documents in manifests.items():
        by_kind = {d["kind"]: d for d in documents}
        scaled, deployment = by_kind["ScaledObject"]["spec"], by_kind["Deployment"]
        (trigger,) = scaled["triggers"]
        assert scaled["minReplicaCount"] == 0
        assert "replicas" not in deployment["spec"]  # KEDA owns the replica count
        assert scaled["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
        assert trigger["type"] == context["broker"]
        assert context["source_name"] in {trigger["metadata"].get(k) for k in ("stream", "queueName", "topic")}
        assert trigger["authenticationRef"]["name"] == by_kind["TriggerAuthentication"]["metadata"]["name"]
        if env == "prod":
            assert scaled["maxReplicaCount"] == {"1": 20, "2": 10, "3": 5}[context["tier"]]


@pytest.mark.parametrize("variant", JOBS, ids=lambda v: v.id)
def test_the_job_runs_on_its_schedule_without_overlap_and_pushes_its_outcome(
    variant: Variant, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    (cronjob,) = (d for d in manifests["prod"] if d["kind"] == "CronJob")
    env_vars = {e["name"]: e.get("value") for e in containers(cronjob)[0]["env"]}

    assert cronjob["spec"]["schedule"] == variant.context["schedule"]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    assert pod_spec(cronjob)["restartPolicy"] == "Never"
    assert env_vars["PUSHGATEWAY_URL"] == variant.context["pushgateway_url"]


def test_every_object_carries_the_standard_labels_of_its_team_and_environment(
    variant: Variant, manifests: dict[str, list[dict[str, Any]]]
) -> None:
    for env, documents in manifests.items():
        expected = labels.standard_labels(
            service=variant.context["name"], team=owner_name(variant), environment=env, cost_centre="unassigned"
        )
        for document in documents:
            where = f"{env}: {document['kind']}/{document['metadata']['name']}"
            assert labels.missing_labels(document) == [], where
            assert {k: document["metadata"]["labels"][k] for k in expected} == expected, where
