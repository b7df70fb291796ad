"""Every Kubernetes object the portal writes carries the five standard labels (portal/core/labels.py).

Rendered here with the real tools: every golden path variant in every overlay (`kubectl kustomize`), a real scaffold
run with its Argo CD Applications, every resource kind and preview environment the portal generates, the GitOps
files remediation commits, and the overlay a rightsizing pull request leaves behind. A failure lists every object
and every missing label.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from portal.catalog.models import Environment, Service
from portal.core import labels
from portal.core.models import Team, User
from portal.integrations.source_control import source_control
from tests.conftest import client_for
from tests.golden_paths.support import TEMPLATES, kustomize
from tests.policy.conftest import Manifests

Found = list[tuple[str, Mapping[str, Any]]]


def gaps(found: Found) -> dict[str, list[str]]:
    """'<where>: <Kind>/<name>' -> the labels it lacks, for every object that lacks any."""
    out = {}
    for where, obj in found:
        missing = labels.missing_labels(obj)
        if missing:
            out[f"{where}: {obj.get('kind')}/{obj.get('metadata', {}).get('name')}"] = missing
    return out


def kubernetes_objects(value: Any) -> Iterator[Mapping[str, Any]]:
    """Every Kubernetes object in a value: a manifest, a YAML text, or lists and mappings of them."""
    if isinstance(value, str):
        yield from kubernetes_objects([doc for doc in yaml.safe_load_all(value) if doc])
    elif isinstance(value, Mapping) and "apiVersion" in value and "kind" in value:
        if value["kind"] == "List":
            yield from kubernetes_objects(value.get("items", []))
        else:
            yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from kubernetes_objects(item)
    elif isinstance(value, Iterable):
        for item in value:
            yield from kubernetes_objects(item)


def example_manifests(module: str) -> Found:
    """The examples another part of the portal publishes as `<module>.example_manifests()`."""
    try:
        examples = importlib.import_module(module).example_manifests
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{module}.example_manifests() is needed to check its manifests' labels: {exc}")
    found = list(kubernetes_objects(examples()))
    assert found, f"{module}.example_manifests() returned no Kubernetes objects"
    return [(module, obj) for obj in found]


def test_every_golden_path_object_in_every_overlay_carries_the_standard_labels(
    golden_path_manifests: Manifests,
) -> None:
    found: Found = [(where, doc) for where, docs in golden_path_manifests.items() for doc in docs]

    assert gaps(found) == {}
    assert len(found) > 3 * 9  # every variant, every environment, several objects each


def test_each_overlay_labels_its_own_environment_and_the_given_cost_centre(golden_path_manifests: Manifests) -> None:
    for where, docs in golden_path_manifests.items():
        env = where.rsplit("/", 1)[1]
        for doc in docs:
            assert doc["metadata"]["labels"][labels.ENVIRONMENT] == env, where
            assert doc["metadata"]["labels"][labels.COST_CENTRE] == "CC-4711", where
            assert doc["metadata"]["labels"][labels.MANAGED_BY] == labels.MANAGED_BY_VALUE, where


def test_the_check_names_each_object_and_each_missing_label() -> None:
    """A control: an object without labels and a Deployment whose pods lack one are both reported."""
    bare = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}}
    full = labels.standard_labels(service="a", team="t", environment="dev", cost_centre="cc")
    pods = {k: v for k, v in full.items() if k != labels.TEAM}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "labels": full},
        "spec": {"template": {"metadata": {"labels": pods}}},
    }

    assert gaps([("x", bare), ("y", deployment)]) == {
        "x: ConfigMap/settings": [f"metadata.labels[{key}]" for key in labels.REQUIRED],
        "y: Deployment/api": [f"spec.template.metadata.labels[{labels.TEAM}]"],
    }


def test_every_resource_kind_the_portal_generates_carries_the_standard_labels() -> None:
    assert gaps(example_manifests("portal.infra.examples")) == {}


def test_every_preview_environment_object_carries_the_standard_labels() -> None:
    assert gaps(example_manifests("portal.previews.examples")) == {}


@pytest.fixture
def golden_paths_live(settings, local_adapters: Path) -> Iterator[Path]:
    from portal.celery import app as celery_app

    settings.GOLDEN_PATHS_DIR = TEMPLATES
    celery_app.conf.task_always_eager = True
    yield local_adapters
    celery_app.conf.task_always_eager = False


def checkout(slug: str, ref: str, into: Path) -> Path:
    """The files of a branch of a repository, written to a folder."""
    sc = source_control()
    for name in filter(None, sc.file_list(slug, ref)):
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(sc.file_read(slug, ref, name) or b"")
    return into


def test_a_scaffolded_service_is_labelled_with_its_teams_cost_centre_everywhere(
    golden_paths_live: Path, owner: User, payments: Team, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    for name in ("dev", "staging", "prod"):
        Environment.objects.create(name=name, kind=name, default_cluster=f"{name}-1")
    payments.cost_centre = "FIN-0042"
    payments.save()
    body = {"parameters": {"name": "ledger", "owner": "group:default/payments", "tier": "2"}}

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post("/api/v1/golden-paths/python-http-service/runs", body, format="json")

    assert response.status_code == 202, response.json()
    repo = checkout("acme/ledger", "main", tmp_path / "repo")
    gitops = checkout("platform/gitops", "refs/heads/scaffold/ledger", tmp_path / "gitops")
    found: Found = [
        (f"repo {env}", d) for env in ("dev", "staging", "prod") for d in kustomize(repo / f"deploy/overlays/{env}")
    ]
    found += [
        (str(p.relative_to(gitops)), d)
        for p in sorted(gitops.rglob("*.yaml"))
        for d in kubernetes_objects(p.read_text())
    ]
    assert gaps(found) == {}
    assert {obj["kind"] for _, obj in found} >= {"Deployment", "Service", "Application"}
    assert {obj["metadata"]["labels"][labels.COST_CENTRE] for _, obj in found} == {"FIN-0042"}
    assert {obj["metadata"]["labels"][labels.TEAM] for _, obj in found} == {"payments"}
    applications = {obj["metadata"]["name"]: obj for _, obj in found if obj["kind"] == "Application"}
    assert {n: a["metadata"]["labels"][labels.ENVIRONMENT] for n, a in applications.items()} == {
        "ledger-dev": "dev",
        "ledger-staging": "staging",
        "ledger-prod": "prod",
    }


def test_a_team_without_a_cost_centre_is_labelled_unassigned(
    golden_paths_live: Path, payments: Team, tmp_path: Path
) -> None:
    from portal.scaffolder.models import ScaffoldRun
    from portal.scaffolder.registry import golden_path_get
    from portal.scaffolder.steps import render, template_context

    path = golden_path_get("scheduled-job")
    run = ScaffoldRun(golden_path=path.name, service_name="nightly", owner=payments, parameters={"tier": "3"})
    # The requester cannot choose whom the cost goes to: the team's cost centre wins over a parameter.
    run.parameters["cost_centre"] = "SOMEONE-ELSE"

    repo = render(path, template_context(path, run, repo_slug="acme/nightly", repo_url="x"), tmp_path / "render")

    (cronjob,) = (d for d in kustomize(repo / "deploy/overlays/prod") if d["kind"] == "CronJob")
    assert cronjob["metadata"]["labels"][labels.COST_CENTRE] == labels.UNASSIGNED
    template = cronjob["spec"]["jobTemplate"]["spec"]["template"]
    assert template["metadata"]["labels"][labels.COST_CENTRE] == labels.UNASSIGNED


def test_the_gitops_files_remediation_commits_carry_the_standard_labels(
    local_adapters: Path, payments_api: Service, payments: Team
) -> None:
    from portal.remediation.models import Runbook
    from portal.remediation.services import action_execute, action_request

    payments.cost_centre = "FIN-0042"
    payments.save()
    dev = Environment.objects.create(name="dev", kind="dev")
    found: Found = []
    for runbook, parameters in (("restart", {}), ("scale-out", {"replicas": 3})):
        action = action_request(
            runbook=Runbook.objects.get(name=runbook),
            service=payments_api,
            environment=dev,
            parameters=parameters,
            reason="labels check",
            evidence=[],
            requested_by=None,
        )
        assert action.state == "approved", (runbook, action.decision_reasons)
        action_execute(action.pk)
        raw = source_control().file_read("platform/gitops", "main", "apps/payments/payments-api/dev/runtime.yaml")
        runtime = yaml.safe_load(raw or b"")
        # runtime.yaml is the values file Argo CD renders the workload from; its labels go on every object.
        found.append((runbook, {"kind": "runtime.yaml", "metadata": {"name": runbook, "labels": runtime["labels"]}}))

    assert gaps(found) == {}
    assert found[-1][1]["metadata"]["labels"] == labels.standard_labels(
        service="payments-api", team="payments", environment="dev", cost_centre="FIN-0042"
    )


def test_the_overlay_a_rightsizing_pull_request_leaves_keeps_the_standard_labels(
    golden_paths_live: Path, payments_api: Service, prod: Environment, tmp_path: Path
) -> None:
    from portal.finops.models import RightsizingRecommendation
    from portal.finops.services import rightsizing_pull_request
    from tests.golden_paths.support import render as render_template

    sc = source_control()
    repo = render_template("python-http-service", tmp_path / "render", name="payments-api", owner="payments")
    sc.repository_create("acme/payments-api")
    sc.commit_tree("acme/payments-api", "main", root=repo, message="Create payments-api", replace=True)
    recommendation = RightsizingRecommendation.objects.create(
        service=payments_api,
        environment=prod,
        strategy="seasonal",
        current={"cpu_request": 0.25, "memory_request": 256 * 2**20, "memory_limit": 512 * 2**20},
        recommended={"cpu_request": 0.12, "memory_request": 200 * 2**20, "memory_limit": 300 * 2**20},
        monthly_saving=12.5,
    )

    rightsizing_pull_request(recommendation)

    branch = checkout("acme/payments-api", f"refs/heads/rightsizing/{recommendation.pk}", tmp_path / "branch")
    documents = kustomize(branch / "deploy/overlays/prod")
    (deployment,) = (d for d in documents if d["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "120m"
    assert gaps([("rightsizing prod", d) for d in documents]) == {}
