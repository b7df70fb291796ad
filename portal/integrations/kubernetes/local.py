"""A cluster with no API server: the objects `kubectl get -o json` prints, kept in memory or in a JSON file.

Writes do at once what the deployment controller would do (a new or reused ReplicaSet and the next revision), so
the portal reads back what a real cluster would show. Pods and events stay as they were loaded.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import yaml

from portal.integrations.kubernetes import manifests
from portal.integrations.kubernetes.base import (
    Cluster,
    Deployment,
    Event,
    NotFound,
    Pod,
    Revision,
    ScaledObject,
    bounds_check,
    kind_check,
    label_selector,
    name_check,
    replicas_check,
)
from portal.integrations.kubernetes.manifests import ANNOTATIONS_KEPT, POD_TEMPLATE_HASH, REVISION, Obj

PLURALS = {"Deployment": "deployments.apps", "ScaledObject": "scaledobjects.keda.sh"}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in_namespace(obj: Obj, namespace: str) -> bool:
    meta = obj.get("metadata") or {}
    if obj.get("kind") == "Namespace":
        return bool(meta.get("name") == namespace)
    return bool(meta.get("namespace") == namespace)


def _key(obj: Obj) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return obj.get("kind", ""), meta.get("namespace", ""), meta["name"]


class LocalCluster(Cluster):
    """Options: state_file (JSON or YAML, a `kind: List`; written back on change) or objects to start from."""

    provider = "local"

    def __init__(
        self,
        *,
        state_file: str = "",
        objects: list[Obj] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.path = Path(state_file) if state_file else None
        self.clock = clock
        self._memory: list[Obj] = copy.deepcopy(objects or [])
        self._lock = threading.Lock()

    @contextmanager
    def _state(self) -> Iterator[list[Obj]]:
        """The objects, held against other writers; what the block leaves in the list is kept."""
        if self.path is None:
            with self._lock:
                yield self._memory
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path.with_name(self.path.name + ".lock"), "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            items = self._load()
            before = json.dumps(items, sort_keys=True)
            yield items
            if json.dumps(items, sort_keys=True) != before:
                self._save(items)

    def _load(self) -> list[Obj]:
        assert self.path is not None
        if not self.path.exists():
            return []
        document = yaml.safe_load(self.path.read_text()) or {}
        return list(document.get("items") or []) if document.get("kind") == "List" else [document]

    def _save(self, items: list[Obj]) -> None:
        assert self.path is not None
        document = {"apiVersion": "v1", "kind": "List", "items": items}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name)
        with os.fdopen(fd, "w") as out:
            json.dump(document, out, indent=2)
        os.replace(tmp, self.path)

    def objects_add(self, *objects: Obj) -> None:
        """Add or replace objects (seeding the model, or a test's cluster)."""
        with self._state() as items:
            added = {_key(obj) for obj in objects}
            items[:] = [obj for obj in items if _key(obj) not in added] + copy.deepcopy(list(objects))

    def namespace_objects(self, namespace: str) -> list[Obj]:
        """The Namespace object itself and everything in it."""
        with self._state() as items:
            return copy.deepcopy([obj for obj in items if _in_namespace(obj, namespace)])

    def namespace_delete(self, namespace: str) -> int:
        """Delete a namespace and everything in it, as deleting a Namespace does; idempotent. Returns what went."""
        with self._state() as items:
            before = len(items)
            items[:] = [obj for obj in items if not _in_namespace(obj, namespace)]
            return before - len(items)

    @staticmethod
    def _find(items: list[Obj], kind: str, namespace: str, name: str) -> Obj:
        for obj in items:
            if _key(obj) == (kind, name_check("namespace", namespace), name_check(kind, name)):
                return obj
        raise NotFound(f"{PLURALS.get(kind, kind)} {namespace}/{name} not found.")

    @staticmethod
    def _of(items: list[Obj], kind: str, namespace: str) -> list[Obj]:
        return [obj for obj in items if obj.get("kind") == kind and obj["metadata"].get("namespace") == namespace]

    def deployment_get(self, namespace: str, name: str) -> Deployment:
        with self._state() as items:
            return manifests.deployment_from(self._find(items, "Deployment", namespace, name))

    def deployment_revisions(self, namespace: str, name: str) -> list[Revision]:
        with self._state() as items:
            deployment = self._find(items, "Deployment", namespace, name)
            history = manifests.history(deployment, self._of(items, "ReplicaSet", namespace))
            return [manifests.revision_from(rs) for rs in history]

    def pods(self, namespace: str, selector: Mapping[str, str]) -> list[Pod]:
        label_selector(selector)
        with self._state() as items:
            matching = [
                pod
                for pod in self._of(items, "Pod", name_check("namespace", namespace))
                if all((pod["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
            ]
        return sorted((manifests.pod_from(pod) for pod in matching), key=lambda pod: pod.name)

    def events(self, namespace: str, involved_object: str, *, kind: str | None = None) -> list[Event]:
        kind_check(kind)
        with self._state() as items:
            found = [manifests.event_from(e) for e in self._of(items, "Event", name_check("namespace", namespace))]
        return manifests.events_sorted(
            [e for e in found if e.object_name == involved_object and kind in (None, e.object_kind)]
        )

    def scale(self, namespace: str, name: str, replicas: int) -> Deployment:
        with self._state() as items:
            deployment = self._find(items, "Deployment", namespace, name)
            deployment["spec"]["replicas"] = replicas_check(replicas)
            return self._rolled_out(items, deployment)

    def rollback(self, namespace: str, name: str, to_revision: int | None = None) -> Deployment:
        with self._state() as items:
            deployment = self._find(items, "Deployment", namespace, name)
            replicaset = manifests.replicaset_for(deployment, self._of(items, "ReplicaSet", namespace), to_revision)
            patch = manifests.rollback_patch(deployment, replicaset)
            if patch is None:
                return manifests.deployment_from(deployment)
            deployment["spec"]["template"] = patch[0]["value"]
            deployment["metadata"]["annotations"] = patch[1]["value"]
            return self._rolled_out(items, deployment)

    def restart(self, namespace: str, name: str) -> Deployment:
        with self._state() as items:
            deployment = self._find(items, "Deployment", namespace, name)
            stamp = manifests.restart_patch(self.clock())["spec"]["template"]["metadata"]["annotations"]
            template_meta = deployment["spec"]["template"].setdefault("metadata", {})
            template_meta["annotations"] = {**(template_meta.get("annotations") or {}), **stamp}
            return self._rolled_out(items, deployment)

    def scaledobject_bounds(self, namespace: str, name: str, min_replicas: int, max_replicas: int) -> ScaledObject:
        low, high = bounds_check(min_replicas, max_replicas)
        with self._state() as items:
            scaled = self._find(items, "ScaledObject", namespace, name)
            scaled.setdefault("spec", {}).update({"minReplicaCount": low, "maxReplicaCount": high})
            return manifests.scaledobject_from(scaled)

    def _rolled_out(self, items: list[Obj], deployment: Obj) -> Deployment:
        """Do the deployment controller's work at once: the template's ReplicaSet runs every replica."""
        meta = deployment["metadata"]
        meta["generation"] = meta.get("generation", 1) + 1
        owned = [rs for rs in self._of(items, "ReplicaSet", meta["namespace"]) if manifests.owned_by(rs, deployment)]
        current = _replicaset_current(deployment, owned) or _replicaset_new(deployment)
        if not any(rs is current for rs in owned):
            items.append(current)
            owned.append(current)
        _revision_next(current, owned)
        replicas = deployment["spec"].get("replicas", 1)
        for rs in owned:
            count = replicas if rs is current else 0
            rs["spec"]["replicas"] = count
            rs["status"] = {"replicas": count, "readyReplicas": count, "availableReplicas": count}
        meta.setdefault("annotations", {})[REVISION] = current["metadata"]["annotations"][REVISION]
        deployment["status"] = {
            "observedGeneration": meta["generation"],
            "replicas": replicas,
            "readyReplicas": replicas,
            "updatedReplicas": replicas,
            "availableReplicas": replicas,
        }
        return manifests.deployment_from(deployment)


def _replicaset_current(deployment: Obj, owned: list[Obj]) -> Obj | None:
    template = manifests.template_without_hash(deployment["spec"]["template"])
    return next((rs for rs in owned if manifests.template_without_hash(rs["spec"]["template"]) == template), None)


def _replicaset_new(deployment: Obj) -> Obj:
    meta, template = deployment["metadata"], copy.deepcopy(deployment["spec"]["template"])
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
    template.setdefault("metadata", {}).setdefault("labels", {})[POD_TEMPLATE_HASH] = digest
    copied = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in ANNOTATIONS_KEPT}
    owner = {"apiVersion": "apps/v1", "kind": "Deployment", "name": meta["name"], "controller": True}
    selector = dict(deployment["spec"]["selector"].get("matchLabels") or {})
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{meta['name']}-{digest}",
            "namespace": meta["namespace"],
            "labels": dict(template["metadata"]["labels"]),
            "annotations": copied,
            "ownerReferences": [{**owner, **({"uid": meta["uid"]} if meta.get("uid") else {})}],
        },
        "spec": {"selector": {"matchLabels": {**selector, POD_TEMPLATE_HASH: digest}}, "template": template},
    }


def _revision_next(current: Obj, owned: list[Obj]) -> None:
    """The controller gives the template's ReplicaSet the next revision; a reused one records its old number."""
    top = max((manifests.revision_of(rs) or 0 for rs in owned if rs is not current), default=0)
    old = manifests.revision_of(current)
    if old is not None and old > top:
        return
    notes = current["metadata"].setdefault("annotations", {})
    if old is not None:
        earlier = notes.get("deployment.kubernetes.io/revision-history", "")
        notes["deployment.kubernetes.io/revision-history"] = f"{earlier},{old}".lstrip(",")
    notes[REVISION] = str(top + 1)
