"""Executors. GitOps (the default): every action is a commit to the deployment repository for Argo CD to
apply; a direct cluster change would be reverted by Argo CD's self-heal anyway."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils import timezone

from portal.catalog.models import Environment, Service
from portal.changes.models import ChangeEvent
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
    base = runtime_path(action.service, action.environment)
    slug = settings.GITOPS_REPOSITORY
    runtime = _read(slug, f"{base}/runtime.yaml", {}) or {}
    runtime.setdefault("service", action.service.name)
    runtime.setdefault("environment", action.environment.name)
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


def execute(action: ActionRequest, *, at: float | None = None) -> dict[str, Any]:
    """Run the action's runbook; a workflow runs its steps in order (the in-process workflow runner)."""
    if action.runbook.action == "rightsize":
        from portal.finops.models import RightsizingRecommendation
        from portal.finops.services import rightsizing_pull_request

        recommendation = RightsizingRecommendation.objects.get(pk=action.parameters["recommendation"])
        return rightsizing_pull_request(recommendation)
    steps = (
        [{**step, **action.parameters} for step in action.runbook.steps if isinstance(step, dict)]
        if action.runbook.action == "workflow"
        else [{"action": action.runbook.action, **action.parameters}]
    )
    files: dict[str, str] = {}
    kinds = []
    for step in steps:
        parameters = dict(step)
        kinds.append(parameters.pop("action"))
        files.update(desired_state_change(action, kinds[-1], parameters))
    message = (
        f"{action.runbook.title} for {action.service.name} in {action.environment.name}\n\n"
        f"Action-Request: {action.pk}\nReason: {action.reason[:500]}"
    )
    commit = gitops_commit(action, files, message)
    _sandbox_apply(action, at=at)
    return {
        "executor": "gitops",
        "repository": settings.GITOPS_REPOSITORY,
        "commit": commit,
        "files": sorted(files),
        "steps": kinds,
    }


def _sandbox_apply(action: ActionRequest, *, at: float | None) -> None:
    """With the simulated fleet as the metrics source there is no Argo CD: the fleet applies the change itself."""
    from portal.integrations.metrics import metrics
    from portal.integrations.metrics.sandbox.catalog import CatalogSandbox

    source = metrics()
    if isinstance(source, CatalogSandbox) and action.runbook.action in ("rollback", "restart", "workflow"):
        source.scenarios_end(action.service.name, at=at)
