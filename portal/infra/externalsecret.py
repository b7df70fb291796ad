"""The ExternalSecret that brings a resource's connection details into the team's namespace (pure).

External Secrets Operator reads the secret store key the provisioner wrote (Crossplane's
publishConnectionDetailsTo or the Terraform module's connection_secret_path) and writes a Kubernetes
Secret; nothing the portal writes or stores ever holds a value.
"""

from __future__ import annotations

from typing import Any

from portal.infra.spec import ResourceSpec

API_VERSION = "external-secrets.io/v1beta1"


def external_secret(spec: ResourceSpec, *, store: str, store_kind: str = "ClusterSecretStore") -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "ExternalSecret",
        "metadata": {
            "name": spec.name,
            "namespace": spec.namespace,
            "labels": spec.labels,
            "annotations": {"platform-portal/resource": spec.name, "platform-portal/resource-kind": spec.kind.name},
        },
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"name": store, "kind": store_kind},
            "target": {
                "name": spec.secret_name,
                "creationPolicy": "Owner",
                "template": {"metadata": {"labels": spec.labels}},
            },
            "dataFrom": [{"extract": {"key": spec.secret_path}}],
        },
    }
