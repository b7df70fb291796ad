"""Executors. GitOps (the default): every action is a commit to the deployment repository for Argo CD to
apply; a direct cluster change would be reverted by Argo CD's self-heal anyway."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils import timezone

from portal.catalog.models import Environment, Service
from portal.changes.models import ChangeEvent
from portal.core import labels
from portal.integrations.errors import IntegrationError
from portal.integrations.source_control import source_control
from portal.remediation.models import ActionRequest
from portal.scaffolder.steps import gitops_repository_ensure


def runtime_path(service: Service, environment: Environment) -> str:
    return f"apps/{service.owner.name}/{service.name}/{environment.name}"


def previous_version(service: Service, environment: Environment) -> str:
    """The version deployed before the latest successful deploy: what a rollback returns to."""
    deploys = (
        ChangeEvent.objects.filter(service=service, environment=environment, kind="deploy", status="succeeded")
        .exclude(version="")
        .order_by("-occurred_at")
    )
    versions = list(deploys.values_list("version", flat=True)[:2])
    if len(versions) < 2:
        raise IntegrationError(
            f"No earlier deploy of {service.name} in {environment.name} to roll back to; give to_version explicitly."
        )
    return versions[1]


def _read(slug: str, path: str, default: Any) -> Any:
    sc = source_control()
    repo = sc.repository_get(slug)
    if repo is None:
        return default
    data = sc.file_read(slug, repo.default_branch, path)
    if data is None:
        return default
    return json.loads(data) if path.endswith(".json") else yaml.safe_load(data)


def desired_state_change(action: ActionRequest, kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Apply one action to the runtime file (and flags file) and return the files' new contents."""
    if kind == "resource_request":  # what approving a resource request writes: its rendered claim or module call
        from portal.infra.services import approval_preview

        return approval_preview(action)
    base = runtime_path(action.service, action.environment)
    slug = settings.GITOPS_REPOSITORY
    runtime = _read(slug, f"{base}/runtime.yaml", {}) or {}
    runtime.setdefault("service", action.service.name)
    runtime.setdefault("environment", action.environment.name)
    runtime["labels"] = labels.standard_labels(  # refreshed on every change: a team's new cost centre shows up
        service=action.service.name,
        team=action.service.owner.name,
        environment=action.environment.name,
        cost_centre=action.service.owner.cost_centre,
    )
    files: dict[str, str] = {}
    if kind == "rollback":
        version = parameters.get("to_version") or previous_version(action.service, action.environment)
        runtime["image"] = {**runtime.get("image", {}), "tag": version}
    elif kind == "scale_out":
        runtime["replicas"] = int(parameters["replicas"])
        if parameters.get("keda_max"):
            runtime["keda"] = {
                "minReplicaCount": int(parameters["replicas"]),
                "maxReplicaCount": int(parameters["keda_max"]),
            }
    elif kind == "restart":
        runtime["restartedAt"] = timezone.now().isoformat()
    elif kind == "flag_disable":
        flags = _read(slug, f"{base}/flags.flagd.json", {"flags": {}})
        flag = flags["flags"].setdefault(
            parameters["flag"], {"state": "ENABLED", "variants": {"on": True, "off": False}}
        )
        flag["defaultVariant"] = "off"
        files[f"{base}/flags.flagd.json"] = json.dumps(flags, indent=2) + "\n"
    else:
        raise IntegrationError(f"The GitOps executor cannot run '{kind}'.")
    files[f"{base}/runtime.yaml"] = yaml.safe_dump(runtime, sort_keys=False)
    return files


def gitops_commit(action: ActionRequest, files: dict[str, str], message: str) -> str:
    sc = source_control()
    slug = settings.GITOPS_REPOSITORY
    branch = gitops_repository_ensure()
    with tempfile.TemporaryDirectory() as tmp:
        for path, text in files.items():
            target = Path(tmp) / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        return sc.commit_tree(slug, branch, root=Path(tmp), message=message, replace=False)


def workflow_step_apply(step: dict[str, Any], parameters: Mapping[str, str]) -> str:
    """Apply one workflow step (the in-process engine's step runner): a GitOps commit."""
    action = ActionRequest.objects.select_related("service__owner", "environment", "runbook").get(
        pk=int(parameters["action_request"])
    )
    step = dict(step)
    kind = step.pop("action")
    message = f"{action.runbook.title}: {kind}\n\nAction-Request: {action.pk}"
    return f"commit {gitops_commit(action, desired_state_change(action, kind, step), message)}"


def cluster_step_apply(action: ActionRequest, kind: str, step: dict[str, Any]) -> str:
    """Apply one step straight to a cluster that GitOps does not manage (REMEDIATION_EXECUTOR=kubernetes)."""
    from portal.catalog.models import ServiceEnvironment
    from portal.integrations.kubernetes import cluster

    namespace = ServiceEnvironment.objects.get(service=action.service, environment=action.environment).namespace
    k8s, name = cluster(), action.service.name
    if kind == "restart":
        k8s.restart(namespace, name)
    elif kind == "scale_out" and step.get("keda_max"):
        k8s.scaledobject_bounds(namespace, name, int(step["replicas"]), int(step["keda_max"]))
    elif kind == "scale_out":
        k8s.scale(namespace, name, int(step["replicas"]))
    elif kind == "rollback":
        revision = k8s.revision_with_tag(namespace, name, step["to_version"]) if step.get("to_version") else None
        k8s.rollback(namespace, name, revision)
    else:
        raise IntegrationError(f"The cluster executor cannot run '{kind}'; it stays a GitOps change.")
    return f"{kind} {namespace}/{name}: {k8s.deployment_get(namespace, name).images}"


def _workflow(action: ActionRequest) -> dict[str, Any]:
    """Run the runbook's steps as one workflow (Argo Workflows, or in process: one GitOps commit per step)."""
    from portal.catalog.models import ServiceEnvironment
    from portal.integrations.workflows import workflow_engine

    engine = workflow_engine()
    placement = ServiceEnvironment.objects.filter(service=action.service, environment=action.environment).first()
    steps = [{**step, **action.parameters} for step in action.runbook.steps if isinstance(step, dict)]
    attempt = ActionRequest.objects.filter(pk=action.pk).values_list("updated_at", flat=True).first()
    ref = engine.submit(
        f"remediate-{action.pk}-{int(attempt.timestamp()) if attempt else 0}",
        settings.WORKFLOWS_NAMESPACE,
        steps,
        {
            "action_request": str(action.pk),
            "deployment": action.service.name,
            "deployment_namespace": placement.namespace if placement else action.service.name,
        },
    )
    status = engine.wait(ref, timeout=600)
    if status.phase != "Succeeded":
        failed = status.failed_node
        raise IntegrationError(
            f"Workflow {ref.name} {status.phase}: "
            + (f"{failed.name}: {failed.message}" if failed else status.message),
            permanent=not status.retryable,
        )
    return {
        "executor": f"workflow:{engine.engine}",
        "workflow": ref.name,
        "steps": [n.name for n in status.nodes],
        "commit": "",
    }


def execute(action: ActionRequest, *, at: float | None = None) -> dict[str, Any]:
    """Run the action's runbook: GitOps by default, a workflow for workflow runbooks, or the cluster API."""
    if action.runbook.action == "rightsize":
        from portal.finops.models import RightsizingRecommendation
        from portal.finops.services import rightsizing_pull_request

        recommendation = RightsizingRecommendation.objects.get(pk=action.parameters["recommendation"])
        return rightsizing_pull_request(recommendation)
    if action.runbook.action == "resource_request":  # approved infrastructure: the request carries on
        from portal.infra.services import approval_granted

        return approval_granted(action)
    if action.runbook.action == "workflow":
        change = _workflow(action)
    elif settings.REMEDIATION_EXECUTOR == "kubernetes" and action.runbook.action != "flag_disable":
        result = cluster_step_apply(action, action.runbook.action, dict(action.parameters))
        change = {"executor": "kubernetes", "result": result, "commit": ""}
    else:
        files = desired_state_change(action, action.runbook.action, dict(action.parameters))
        message = (
            f"{action.runbook.title} for {action.service.name} in {action.environment.name}\n\n"
            f"Action-Request: {action.pk}\nReason: {action.reason[:500]}"
        )
        change = {
            "executor": "gitops",
            "repository": settings.GITOPS_REPOSITORY,
            "files": sorted(files),
            "commit": gitops_commit(action, files, message),
            "steps": [action.runbook.action],
        }
    _sandbox_apply(action, at=at)
    return change


def _sandbox_apply(action: ActionRequest, *, at: float | None) -> None:
    """With the simulated fleet as the metrics source there is no Argo CD: the fleet applies the change itself."""
    from portal.integrations.metrics import metrics
    from portal.integrations.metrics.sandbox.catalog import CatalogSandbox

    source = metrics()
    if isinstance(source, CatalogSandbox) and action.runbook.action in ("rollback", "restart", "workflow"):
        source.scenarios_end(action.service.name, at=at)
