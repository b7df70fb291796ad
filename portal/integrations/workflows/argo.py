"""Argo Workflows: each workflow is a Workflow object created through the Kubernetes API, then read back.

Built-in actions (restart, rollback, scale_out) run `kubectl` in `image` (the registry.k8s.io/kubectl build
matching the cluster's minor version is a good choice; any image with kubectl on its PATH works) under the
`service_account`, which needs RBAC to patch deployments, deployments/scale and scaledobjects.keda.sh in the
target namespace. A step that names its own image runs that image with its own command and args instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from kubernetes import client

from portal.integrations.errors import IntegrationError
from portal.integrations.kubernetes.base import AlreadyExists, name_check
from portal.integrations.kubernetes.client import Access, kubernetes_api
from portal.integrations.workflows import argo_manifest
from portal.integrations.workflows.argo_manifest import FINGERPRINT, GROUP, PLURAL, VERSION, Obj
from portal.integrations.workflows.base import (
    Step,
    WorkflowEngine,
    WorkflowRef,
    WorkflowStatus,
    fingerprint,
    steps_check,
)

DEFAULT_IMAGE = "registry.k8s.io/kubectl:v1.34.1"


class ArgoWorkflows(WorkflowEngine):
    """Options: image, service_account, deadline_seconds, ttl_seconds, and the Kubernetes connection options."""

    engine = "argo"

    def __init__(
        self,
        *,
        image: str = DEFAULT_IMAGE,
        service_account: str = "portal-remediation",
        deadline_seconds: int = 1800,
        ttl_seconds: int = 7 * 24 * 3600,
        host: str = "",
        token: str = "",
        ca_file: str = "",
        verify_ssl: bool = True,
        kubeconfig: str = "",
        context: str = "",
        in_cluster: bool = False,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.image, self.service_account = image, service_account
        self.deadline_seconds, self.ttl_seconds = deadline_seconds, ttl_seconds
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
        self.custom = client.CustomObjectsApi(self.api.api_client)

    def manifest(self, name: str, namespace: str, steps: list[Step], parameters: Mapping[str, str]) -> Obj:
        """The Workflow that submit() creates."""
        steps_check(name, steps, parameters)
        return argo_manifest.workflow_manifest(
            name,
            name_check("namespace", namespace),
            steps,
            parameters,
            image=self.image,
            service_account=self.service_account,
            deadline_seconds=self.deadline_seconds,
            ttl_seconds=self.ttl_seconds,
            fingerprint=fingerprint(steps, parameters),
        )

    def submit(self, name: str, namespace: str, steps: list[Step], parameters: Mapping[str, str]) -> WorkflowRef:
        body = self.manifest(name, namespace, steps, parameters)
        ref = WorkflowRef(self.engine, namespace, name)
        access = Access("create", PLURAL, GROUP, namespace, name)
        try:
            self.api.call(access, self.custom.create_namespaced_custom_object, GROUP, VERSION, namespace, PLURAL, body)
        except AlreadyExists:
            # A retry after a lost answer finds its own workflow; another workflow of that name is a clash.
            existing = self._workflow(ref)["metadata"].get("annotations") or {}
            if existing.get(FINGERPRINT) != body["metadata"]["annotations"][FINGERPRINT]:
                raise IntegrationError(f"Another workflow named {namespace}/{name} exists already.") from None
        return ref

    def _workflow(self, ref: WorkflowRef) -> Obj:
        if ref.engine != self.engine:
            raise IntegrationError(f"Workflow {ref.name} was run by {ref.engine}, not {self.engine}.")
        access = Access("get", PLURAL, GROUP, ref.namespace, ref.name)
        return self.api.call(
            access, self.custom.get_namespaced_custom_object, GROUP, VERSION, ref.namespace, PLURAL, ref.name
        )

    def status(self, ref: WorkflowRef) -> WorkflowStatus:
        return argo_manifest.status_from(self._workflow(ref))
