"""The labels every manifest the portal writes carries: who owns it, what it is for, and who pays for it.

Golden paths, resource requests, preview environments and remediation changes all label their
Kubernetes objects with the same five keys, so that cost allocation (OpenCost, our FinOps roll-ups),
cluster policy and people reading `kubectl get -L` agree on service, team, environment and cost centre.
Pure: no Django imports, so renderers and policy tests can use it anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SERVICE = "platform-portal/service"
TEAM = "platform-portal/team"
ENVIRONMENT = "platform-portal/environment"
COST_CENTRE = "platform-portal/cost-centre"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "platform-portal"
REQUIRED = (SERVICE, TEAM, ENVIRONMENT, COST_CENTRE, MANAGED_BY)
UNASSIGNED = "unassigned"  # the cost centre of a team that has not set one: visible in every roll-up

_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
# Objects whose pods are created from a template: the pods must carry the labels too (cost is per pod).
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Rollout": ("spec", "template"),
}
# Objects that create other labelled objects from a template of their own: a CronJob's Jobs take jobTemplate's labels.
OBJECT_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {"CronJob": ("spec", "jobTemplate")}


def label_value_valid(value: str) -> bool:
    return bool(_VALUE.match(value))


def standard_labels(*, service: str, team: str, environment: str, cost_centre: str = "") -> dict[str, str]:
    """The five labels, in a fixed order; raises ValueError naming the label whose value Kubernetes would refuse."""
    labels = {
        SERVICE: service,
        TEAM: team,
        ENVIRONMENT: environment,
        COST_CENTRE: cost_centre or UNASSIGNED,
        MANAGED_BY: MANAGED_BY_VALUE,
    }
    for key, value in labels.items():
        if not value or not label_value_valid(value):
            raise ValueError(f"label {key}={value!r} is not a valid Kubernetes label value")
    return labels


def _dig(obj: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    current: Any = obj
    for key in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def missing_labels(obj: Mapping[str, Any]) -> list[str]:
    """What an object lacks: 'metadata.labels[KEY]', or the same under its pod (or job) template, per gap."""
    gaps: list[str] = []
    labels = _dig(obj, ("metadata", "labels")) or {}
    gaps += [f"metadata.labels[{key}]" for key in REQUIRED if not labels.get(key)]
    kind = str(obj.get("kind", ""))
    for template_path in (OBJECT_TEMPLATE_PATHS.get(kind), POD_TEMPLATE_PATHS.get(kind)):
        if template_path is not None:
            template_labels = _dig(obj, (*template_path, "metadata", "labels")) or {}
            where = ".".join(template_path)
            gaps += [f"{where}.metadata.labels[{key}]" for key in REQUIRED if not template_labels.get(key)]
    return gaps
