"""A real cluster, through the official `kubernetes` client, with the same calls kubectl makes."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from kubernetes import client

from portal.integrations.kubernetes import manifests
from portal.integrations.kubernetes.base import (
    Cluster,
    Deployment,
    Event,
    Pod,
    Revision,
    ScaledObject,
    bounds_check,
    kind_check,
    label_selector,
    name_check,
    replicas_check,
)
from portal.integrations.kubernetes.client import Access, kubernetes_api
from portal.integrations.kubernetes.manifests import Obj

STRATEGIC_MERGE = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"  # custom resources accept no strategic merge
JSON_PATCH = "application/json-patch+json"


def utcnow() -> datetime:
    return datetime.now(UTC)


class KubernetesCluster(Cluster):
    """Options: host and token (with ca_file), or in_cluster, or a kubeconfig path and context; else the defaults."""

    provider = "kubernetes"

    def __init__(
        self,
        *,
        host: str = "",
        token: str = "",
        ca_file: str = "",
        verify_ssl: bool = True,
        kubeconfig: str = "",
        context: str = "",
        in_cluster: bool = False,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.api = kubernetes_api(
            host=host,
            token=token,
            ca_file=ca_file,
            verify_ssl=verify_ssl,
            kubeconfig=kubeconfig,
            context=context,
            in_cluster=in_cluster,
            timeout=timeout,
            sleep=sleep,
        )
        self.apps = client.AppsV1Api(self.api.api_client)
        self.core = client.CoreV1Api(self.api.api_client)
        self.custom = client.CustomObjectsApi(self.api.api_client)
        self.clock = clock

    def _deployment(self, namespace: str, name: str) -> Obj:
        access = Access(
            "get", "deployments", "apps", name_check("namespace", namespace), name_check("Deployment", name)
        )
        return self.api.call(access, self.apps.read_namespaced_deployment, name, namespace)

    def _replicasets(self, deployment: Obj) -> list[Obj]:
        namespace = deployment["metadata"]["namespace"]
        selector = label_selector(deployment["spec"]["selector"].get("matchLabels") or {})
        access = Access("list", "replicasets", "apps", namespace)
        answer = self.api.call(access, self.apps.list_namespaced_replica_set, namespace, label_selector=selector)
        return list(answer.get("items") or [])

    def _patch_deployment(self, deployment: Obj, patch: Obj | list[Obj], content_type: str) -> Deployment:
        meta = deployment["metadata"]
        access = Access("patch", "deployments", "apps", meta["namespace"], meta["name"])
        updated = self.api.call(
            access,
            self.apps.patch_namespaced_deployment,
            meta["name"],
            meta["namespace"],
            patch,
            _content_type=content_type,
        )
        return manifests.deployment_from(updated)

    def deployment_get(self, namespace: str, name: str) -> Deployment:
        return manifests.deployment_from(self._deployment(namespace, name))

    def deployment_revisions(self, namespace: str, name: str) -> list[Revision]:
        deployment = self._deployment(namespace, name)
        return [manifests.revision_from(rs) for rs in manifests.history(deployment, self._replicasets(deployment))]

    def pods(self, namespace: str, selector: Mapping[str, str]) -> list[Pod]:
        access = Access("list", "pods", "", name_check("namespace", namespace))
        answer = self.api.call(
            access, self.core.list_namespaced_pod, namespace, label_selector=label_selector(selector)
        )
        return sorted((manifests.pod_from(item) for item in answer.get("items") or []), key=lambda pod: pod.name)

    def events(self, namespace: str, involved_object: str, *, kind: str | None = None) -> list[Event]:
        terms = [f"involvedObject.name={name_check('object', involved_object)}"]
        if kind_check(kind):
            terms.append(f"involvedObject.kind={kind}")
        access = Access("list", "events", "", name_check("namespace", namespace))
        answer = self.api.call(access, self.core.list_namespaced_event, namespace, field_selector=",".join(terms))
        return manifests.events_sorted([manifests.event_from(item) for item in answer.get("items") or []])

    def scale(self, namespace: str, name: str, replicas: int) -> Deployment:
        access = Access("patch", "deployments/scale", "apps", name_check("namespace", namespace), name)
        body = {"spec": {"replicas": replicas_check(replicas)}}
        scale = self.apps.patch_namespaced_deployment_scale
        self.api.call(access, scale, name_check("Deployment", name), namespace, body, _content_type=MERGE)
        return self.deployment_get(namespace, name)

    def rollback(self, namespace: str, name: str, to_revision: int | None = None) -> Deployment:
        deployment = self._deployment(namespace, name)
        replicaset = manifests.replicaset_for(deployment, self._replicasets(deployment), to_revision)
        patch = manifests.rollback_patch(deployment, replicaset)
        if patch is None:  # the template already matches that revision: nothing to roll
            return manifests.deployment_from(deployment)
        return self._patch_deployment(deployment, patch, JSON_PATCH)

    def restart(self, namespace: str, name: str) -> Deployment:
        deployment = {
            "metadata": {"namespace": name_check("namespace", namespace), "name": name_check("Deployment", name)}
        }
        return self._patch_deployment(deployment, manifests.restart_patch(self.clock()), STRATEGIC_MERGE)

    def scaledobject_bounds(self, namespace: str, name: str, min_replicas: int, max_replicas: int) -> ScaledObject:
        low, high = bounds_check(min_replicas, max_replicas)
        access = Access("patch", "scaledobjects", "keda.sh", name_check("namespace", namespace), name)
        updated = self.api.call(
            access,
            self.custom.patch_namespaced_custom_object,
            "keda.sh",
            "v1alpha1",
            namespace,
            "scaledobjects",
            name_check("ScaledObject", name),
            {"spec": {"minReplicaCount": low, "maxReplicaCount": high}},
            _content_type=MERGE,
        )
        return manifests.scaledobject_from(updated)
