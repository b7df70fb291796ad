"""One small cluster, in the shapes `kubectl get -o json` prints: the `web` Deployment in `shop` at revision 2
(1.4.1 before it), its pods (one OOMKilled, one crash-looping), events, and a KEDA ScaledObject."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
NS = "shop"
IMAGE_OLD, IMAGE_NEW, ENVOY = "registry.example/web:1.4.1", "registry.example/web:1.4.2", "envoyproxy/envoy:v1.30.1"
NOW_1, NOW_2 = "2026-01-05T09:30:00Z", "2026-01-05T09:45:00Z"


def _template(image: str, digest: str = "", extra_labels: dict[str, str] | None = None) -> Obj:
    labels = {"app": "web", **(extra_labels or {}), **({"pod-template-hash": digest} if digest else {})}
    return {
        "metadata": {"labels": labels},
        "spec": {
            "containers": [
                {"name": "web", "image": image, "resources": {"limits": {"memory": "256Mi"}}},
                {"name": "envoy", "image": ENVOY},
            ]
        },
    }


def _owner(name: str) -> list[Obj]:
    return [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": f"uid-{name}", "controller": True}]


def _replicaset(name: str, revision: int, image: str, replicas: int, owner: str = "web", **labels: str) -> Obj:
    digest = name.rsplit("-", 1)[1]
    notes = {"deployment.kubernetes.io/revision": str(revision), "deployment.kubernetes.io/desired-replicas": "3"}
    if revision == 2:
        notes["kubernetes.io/change-cause"] = "deploy 1.4.2"
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {"app": "web", **labels, "pod-template-hash": digest},
            "annotations": notes,
            "ownerReferences": _owner(owner),
            "creationTimestamp": f"2026-01-0{revision}T09:00:00Z",
        },
        "spec": {"replicas": replicas, "template": _template(image, digest, labels)},
        "status": {"replicas": replicas},
    }


def _deployment(name: str, revision: int, image: str, **labels: str) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": f"uid-{name}",
            "generation": 4,
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web", **labels}},
            "template": _template(image, extra_labels=labels),
        },
        "status": {
            "observedGeneration": 4,
            "replicas": 3,
            "readyReplicas": 2,
            "updatedReplicas": 3,
            "availableReplicas": 2,
        },
    }


def _pod(name: str, *statuses: Obj, app: str = "web") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {"app": app, "pod-template-hash": "7d9f8b6c5d"}},
        "spec": {"nodeName": "node-a", "containers": [{"name": s["name"], "image": s["image"]} for s in statuses]},
        "status": {"phase": "Running", "startTime": "2026-01-02T09:01:00Z", "containerStatuses": list(statuses)},
    }


def _running(name: str, image: str, restarts: int = 0, last: Obj | None = None) -> Obj:
    state = {"running": {"startedAt": "2026-01-05T09:58:00Z"}}
    return {
        "name": name,
        "image": image,
        "ready": True,
        "restartCount": restarts,
        "state": state,
        "lastState": last or {},
    }


def _event(name: str, kind: str, obj: str, reason: str, message: str, last: str, **extra: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": NS},
        "involvedObject": {"kind": kind, "name": obj, "namespace": NS},
        "reason": reason,
        "message": message,
        "type": extra.pop("type", "Normal"),
        **({"firstTimestamp": last, "lastTimestamp": last, "count": 1} if last else {}),
        **extra,
    }


OOM = {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": "2026-01-05T09:00:00Z"}}
CRASHED = {"terminated": {"exitCode": 1, "reason": "Error"}}


def shop_objects() -> list[Obj]:
    crash_looping = {
        **_running("web", IMAGE_NEW, restarts=7, last=CRASHED),
        "ready": False,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}},
    }
    return [
        _deployment("web", 2, IMAGE_NEW),
        _replicaset("web-5c8f7d9b4a", 1, IMAGE_OLD, 0),
        _replicaset("web-7d9f8b6c5d", 2, IMAGE_NEW, 3),
        # A canary with overlapping labels: its ReplicaSet matches app=web but is not web's.
        _deployment("web-canary", 1, IMAGE_NEW, track="canary"),
        _replicaset("web-canary-6b7c8d9e0f", 1, IMAGE_NEW, 1, owner="web-canary", track="canary"),
        _pod("web-7d9f8b6c5d-aaaaa", _running("web", IMAGE_NEW, 3, OOM), _running("envoy", ENVOY)),
        _pod("web-7d9f8b6c5d-bbbbb", _running("web", IMAGE_NEW), _running("envoy", ENVOY)),
        _pod("web-7d9f8b6c5d-ccccc", crash_looping, _running("envoy", ENVOY)),
        _pod("api-6f5e4d3c2b-ddddd", _running("api", "registry.example/api:2.0.0"), app="api"),
        _event("web.2", "Deployment", "web", "ScalingReplicaSet", "Scaled up replica set web-7d9f8b6c5d to 3", NOW_2),
        _event("web.1", "Deployment", "web", "ScalingReplicaSet", "Scaled down replica set web-5c8f7d9b4a to 0", NOW_1),
        _event(
            "web.3",
            "Deployment",
            "web",
            "ScalingReplicaSet",
            "Scaled up replica set web-7d9f8b6c5d to 3",
            "",
            eventTime="2026-01-05T09:40:00.000000Z",
            series={"count": 4, "lastObservedTime": "2026-01-05T09:50:00.000000Z"},
        ),
        _event(
            "pod.1",
            "Pod",
            "web-7d9f8b6c5d-ccccc",
            "BackOff",
            "Back-off restarting failed container",
            NOW_2,
            type="Warning",
        ),
        _event("rs.1", "ReplicaSet", "web", "SuccessfulCreate", "Created pod", NOW_1),  # same name, another kind
        {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": {"name": "web", "namespace": NS},
            "spec": {"scaleTargetRef": {"name": "web"}, "minReplicaCount": 2, "maxReplicaCount": 10, "triggers": []},
        },
        {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": {"name": "worker", "namespace": NS},
            "spec": {"scaleTargetRef": {"name": "worker"}, "triggers": []},
        },
    ]
