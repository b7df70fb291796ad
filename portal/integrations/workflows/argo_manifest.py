"""Argo Workflows objects (argoproj.io/v1alpha1 Workflow): built from runbook steps, and their status read back."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from portal.integrations.errors import IntegrationError
from portal.integrations.workflows.base import NAME, NodeStatus, Step, WorkflowStatus, step_name

Obj = dict[str, Any]
GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "workflows"
ENTRYPOINT = "remediate"
FINGERPRINT = "platform-portal/fingerprint"
MANAGED_BY = {"app.kubernetes.io/managed-by": "platform-portal"}
# kubectl steps act on the Deployment these workflow parameters name.
TARGET = "deployment/{{workflow.parameters.deployment}}"
IN_NAMESPACE = "--namespace={{workflow.parameters.deployment_namespace}}"
TARGET_PARAMETERS = ("deployment", "deployment_namespace")


def _whole(step: Step, key: str) -> int:
    value = step.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise IntegrationError(f"Step '{step['action']}' needs {key} as a whole number, not {value!r}.")
    return value


def kubectl_args(step: Step) -> list[str]:
    """The kubectl command line (after `kubectl`) for one built-in action."""
    action = step["action"]
    if action == "restart":
        return ["rollout", "restart", TARGET, IN_NAMESPACE]
    if action == "rollback":
        if step.get("to_version"):
            raise IntegrationError("Argo steps roll back to a revision: give to_revision (Cluster.revision_with_tag).")
        revision = [f"--to-revision={_whole(step, 'to_revision')}"] if step.get("to_revision") else []
        return ["rollout", "undo", TARGET, IN_NAMESPACE, *revision]
    if action == "scale_out" and step.get("keda_max"):
        bounds = {"minReplicaCount": _whole(step, "replicas"), "maxReplicaCount": _whole(step, "keda_max")}
        scaledobject = step.get("scaledobject") or "{{workflow.parameters.deployment}}"
        if not NAME.match(scaledobject) and scaledobject != "{{workflow.parameters.deployment}}":
            raise IntegrationError(f"'{scaledobject}' is not a valid ScaledObject name.")
        patch = json.dumps({"spec": bounds})
        return ["patch", f"scaledobject.keda.sh/{scaledobject}", IN_NAMESPACE, "--type=merge", f"--patch={patch}"]
    if action == "scale_out":
        return ["scale", TARGET, IN_NAMESPACE, f"--replicas={_whole(step, 'replicas')}"]
    raise IntegrationError(f"Argo has no container for '{action}': give the step an image (and command and args).")


def _strings(step: Step, key: str) -> list[str]:
    value = step.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise IntegrationError(f"Step '{step['action']}' needs {key} as a list of strings.")
    return list(value)


def container_for(step: Step, image: str) -> Obj:
    """The step's own image, command and args when it names an image; else kubectl in `image`."""
    if step.get("image"):
        if not isinstance(step["image"], str):
            raise IntegrationError(f"Step '{step['action']}' needs image as a string.")
        own = {"image": step["image"], "command": _strings(step, "command"), "args": _strings(step, "args")}
        return {key: value for key, value in own.items() if value}
    return {
        "image": image,
        "command": ["kubectl"],
        "args": kubectl_args(step),
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }


def workflow_manifest(
    name: str,
    namespace: str,
    steps: list[Step],
    parameters: Mapping[str, str],
    *,
    image: str,
    service_account: str,
    deadline_seconds: int,
    ttl_seconds: int,
    fingerprint: str,
) -> Obj:
    """A Workflow whose entrypoint runs one container template per step, one step after another."""
    names = [step_name(index, step) for index, step in enumerate(steps, start=1)]
    uses_kubectl = any(not step.get("image") for step in steps)
    missing = [key for key in TARGET_PARAMETERS if uses_kubectl and not parameters.get(key)]
    if missing:
        raise IntegrationError(f"kubectl steps need the workflow parameters {', '.join(missing)}.")
    templates = [{"name": n, "container": container_for(step, image)} for n, step in zip(names, steps, strict=True)]
    spec: Obj = {
        "entrypoint": ENTRYPOINT,
        "arguments": {"parameters": [{"name": key, "value": value} for key, value in sorted(parameters.items())]},
        "activeDeadlineSeconds": deadline_seconds,
        "ttlStrategy": {"secondsAfterCompletion": ttl_seconds},
        "podGC": {"strategy": "OnPodSuccess"},
        "templates": [{"name": ENTRYPOINT, "steps": [[{"name": n, "template": n}] for n in names]}, *templates],
    }
    if service_account:
        spec["serviceAccountName"] = service_account
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Workflow",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": dict(MANAGED_BY),
            "annotations": {FINGERPRINT: fingerprint},
        },
        "spec": spec,
    }


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _nodes(status: Obj) -> dict[str, Obj]:
    """status.nodes, or status.compressedNodes (gzip, then base64) when the controller compressed them."""
    if status.get("nodes"):
        return dict(status["nodes"])
    if status.get("compressedNodes"):
        return dict(json.loads(gzip.decompress(base64.b64decode(status["compressedNodes"]))))
    return {}


def status_from(workflow: Obj) -> WorkflowStatus:
    """The workflow's phase and its pod steps, in the order they started."""
    status = workflow.get("status") or {}
    nodes = _nodes(status)
    pods = sorted(
        (node for node in nodes.values() if node.get("type") == "Pod"),
        key=lambda node: (node.get("startedAt") or "~", node.get("displayName", "")),
    )
    message = status.get("message", "")
    if status.get("offloadNodeStatusVersion") and not nodes:
        message = f"{message} (Argo keeps this workflow's node status in its database)".strip()
    return WorkflowStatus(
        phase=status.get("phase") or "Pending",  # a workflow the controller has not picked up has no status
        nodes=tuple(
            NodeStatus(
                name=node.get("displayName") or node["name"],
                phase=node.get("phase", "Pending"),
                message=node.get("message", ""),
                started=_time(node.get("startedAt")),
                finished=_time(node.get("finishedAt")),
            )
            for node in pods
        ),
        message=message,
        started=_time(status.get("startedAt")),
        finished=_time(status.get("finishedAt")),
    )
