"""Kubernetes objects, as the API serves them, read into the capability's results; kubectl's rollout rules."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from portal.integrations.errors import IntegrationError
from portal.integrations.kubernetes.base import (
    ContainerStatus,
    Deployment,
    Event,
    Pod,
    Revision,
    ScaledObject,
)

Obj = dict[str, Any]

REVISION = "deployment.kubernetes.io/revision"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
CHANGE_CAUSE = "kubernetes.io/change-cause"
POD_TEMPLATE_HASH = "pod-template-hash"
# kubectl rollout undo keeps these from the Deployment and never copies them from the ReplicaSet.
ANNOTATIONS_KEPT = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    }
)
KEDA_MIN_DEFAULT, KEDA_MAX_DEFAULT = 0, 100


def timestamp(value: str | None) -> datetime | None:
    """An RFC 3339 Time or MicroTime ("2024-05-01T10:00:00Z"), or None."""
    return datetime.fromisoformat(value) if value else None


def annotations_of(obj: Obj) -> dict[str, str]:
    return dict(obj.get("metadata", {}).get("annotations") or {})


def revision_of(obj: Obj) -> int | None:
    value = annotations_of(obj).get(REVISION, "")
    return int(value) if value.isdigit() else None


def images_of(template: Obj) -> dict[str, str]:
    containers = template.get("spec", {}).get("containers") or []
    return {container["name"]: container.get("image", "") for container in containers}


def deployment_from(obj: Obj) -> Deployment:
    meta, spec, status = obj["metadata"], obj.get("spec", {}), obj.get("status", {})
    return Deployment(
        namespace=meta.get("namespace", ""),
        name=meta["name"],
        replicas=spec.get("replicas", 1),
        ready_replicas=status.get("readyReplicas", 0),
        updated_replicas=status.get("updatedReplicas", 0),
        available_replicas=status.get("availableReplicas", 0),
        images=images_of(spec.get("template", {})),
        revision=revision_of(obj),
        selector=dict(spec.get("selector", {}).get("matchLabels") or {}),
        paused=bool(spec.get("paused", False)),
        generation=meta.get("generation", 0),
        observed_generation=status.get("observedGeneration", 0),
    )


def owned_by(replicaset: Obj, deployment: Obj) -> bool:
    """The ReplicaSet's controller is this Deployment (by uid when the Deployment has one)."""
    meta = deployment["metadata"]
    for ref in replicaset["metadata"].get("ownerReferences") or []:
        if ref.get("kind") == "Deployment" and ref.get("controller", False):
            return ref.get("uid") == meta["uid"] if meta.get("uid") else ref.get("name") == meta["name"]
    return False


def history(deployment: Obj, replicasets: list[Obj]) -> list[Obj]:
    """The Deployment's ReplicaSets that carry a revision, oldest revision first."""
    owned = [rs for rs in replicasets if owned_by(rs, deployment) and revision_of(rs) is not None]
    return sorted(owned, key=lambda rs: revision_of(rs) or 0)


def revision_from(replicaset: Obj) -> Revision:
    meta = replicaset["metadata"]
    return Revision(
        revision=revision_of(replicaset) or 0,
        replicaset=meta["name"],
        images=images_of(replicaset.get("spec", {}).get("template", {})),
        replicas=replicaset.get("status", {}).get("replicas", 0),
        created=timestamp(meta.get("creationTimestamp")),
        change_cause=annotations_of(replicaset).get(CHANGE_CAUSE, ""),
    )


def replicaset_for(deployment: Obj, replicasets: list[Obj], to_revision: int | None) -> Obj:
    """The ReplicaSet holding the revision to return to: the given one, or the one before the newest."""
    name = deployment["metadata"]["name"]
    owned = history(deployment, replicasets)
    if to_revision:
        for rs in owned:
            if revision_of(rs) == to_revision:
                return rs
        known = ", ".join(str(revision_of(rs)) for rs in owned) or "none"
        raise IntegrationError(f"Deployment {name} has no revision {to_revision} (revisions: {known}).")
    if len(owned) < 2:
        raise IntegrationError(f"Deployment {name} has no earlier revision to roll back to.")
    return owned[-2]


def template_without_hash(template: Obj) -> Obj:
    """The pod template with the controller's pod-template-hash label taken off (what rollout undo compares)."""
    clean = copy.deepcopy(template)
    labels = clean.get("metadata", {}).get("labels")
    if labels is not None:
        labels.pop(POD_TEMPLATE_HASH, None)
    return clean


def rollback_patch(deployment: Obj, replicaset: Obj) -> list[Obj] | None:
    """The JSON patch `kubectl rollout undo` sends, or None when the template already matches."""
    if deployment.get("spec", {}).get("paused"):
        raise IntegrationError(f"Deployment {deployment['metadata']['name']} is paused; resume it before rolling back.")
    template = template_without_hash(replicaset["spec"]["template"])
    if template == template_without_hash(deployment["spec"]["template"]):
        return None
    kept = {k: v for k, v in annotations_of(deployment).items() if k in ANNOTATIONS_KEPT}
    copied = {k: v for k, v in annotations_of(replicaset).items() if k not in ANNOTATIONS_KEPT}
    return [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": {**kept, **copied}},
    ]


def restart_patch(now: datetime) -> Obj:
    """The strategic-merge patch `kubectl rollout restart` sends."""
    stamp = now.isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}


def container_from(status: Obj) -> ContainerStatus:
    states: Obj = status.get("state") or {}
    state_kind: str = next(iter(states), "")
    state: Obj = states.get(state_kind) or {}
    last = (status.get("lastState") or {}).get("terminated") or {}
    return ContainerStatus(
        name=status["name"],
        image=status.get("image", ""),
        ready=bool(status.get("ready", False)),
        restarts=status.get("restartCount", 0),
        state=state_kind,
        reason=state.get("reason", ""),
        last_termination_reason=last.get("reason", ""),
        last_exit_code=last.get("exitCode"),
    )


def pod_from(obj: Obj) -> Pod:
    meta, status = obj["metadata"], obj.get("status", {})
    statuses = [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]
    return Pod(
        namespace=meta.get("namespace", ""),
        name=meta["name"],
        phase=status.get("phase", "Unknown"),
        node=obj.get("spec", {}).get("nodeName", ""),
        containers=tuple(container_from(s) for s in statuses),
        started=timestamp(status.get("startTime")),
    )


def event_from(obj: Obj) -> Event:
    """A core/v1 Event; newer reporters fill eventTime and series instead of the timestamps and count."""
    involved, series = obj.get("involvedObject", {}), obj.get("series") or {}
    first = obj.get("firstTimestamp") or obj.get("eventTime")
    last = obj.get("lastTimestamp") or series.get("lastObservedTime") or obj.get("eventTime")
    return Event(
        type=obj.get("type", "Normal"),
        reason=obj.get("reason", ""),
        message=obj.get("message", ""),
        object_kind=involved.get("kind", ""),
        object_name=involved.get("name", ""),
        count=obj.get("count") or series.get("count") or 1,
        first_seen=timestamp(first),
        last_seen=timestamp(last),
    )


def events_sorted(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.last_seen is None, e.last_seen or datetime.min, e.reason))


def scaledobject_from(obj: Obj) -> ScaledObject:
    meta, spec = obj["metadata"], obj.get("spec", {})
    return ScaledObject(
        namespace=meta.get("namespace", ""),
        name=meta["name"],
        target=spec.get("scaleTargetRef", {}).get("name", ""),
        min_replicas=spec.get("minReplicaCount", KEDA_MIN_DEFAULT),
        max_replicas=spec.get("maxReplicaCount", KEDA_MAX_DEFAULT),
    )
