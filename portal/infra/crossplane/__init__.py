"""Crossplane: the CompositeResourceDefinitions the platform ships and one namespaced claim per request (pure).

The claim's spec.parameters is exactly the XRD's schema (camelCase, as Kubernetes APIs spell fields);
connection details are published to the secret store (publishConnectionDetailsTo) for the
ExternalSecret to pick up, so no Secret value passes through Git or the portal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portal.core.labels import MANAGED_BY, MANAGED_BY_VALUE
from portal.infra.kinds import KINDS, ResourceKind
from portal.infra.spec import ResourceSpec

XRD_API_VERSION = "apiextensions.crossplane.io/v1"
VERSION = "v1alpha1"
XRD_DIR = Path(__file__).parent / "xrds"
OPENAPI_KEYWORDS = ("type", "enum", "minimum", "maximum", "description")


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def claim_parameters(kind: ResourceKind, parameters: dict[str, Any]) -> dict[str, Any]:
    return {camel(key): parameters[key] for key in kind.properties if key in parameters}


def parameters_openapi(kind: ResourceKind) -> dict[str, Any]:
    """The claim's spec.parameters schema (structural: Kubernetes prunes unknown fields instead of refusing them)."""
    properties = {
        camel(name): {key: rules[key] for key in OPENAPI_KEYWORDS if key in rules}
        for name, rules in kind.properties.items()
    }
    return {"type": "object", "properties": properties, "required": sorted(properties)}


def xrd(kind: ResourceKind, *, group: str) -> dict[str, Any]:
    """The CompositeResourceDefinition of a kind, with its claim names and connection secret keys."""
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"parameters": parameters_openapi(kind)},
                "required": ["parameters"],
            }
        },
    }
    return {
        "apiVersion": XRD_API_VERSION,
        "kind": "CompositeResourceDefinition",
        "metadata": {
            "name": f"x{kind.plural}.{group}",
            "labels": {MANAGED_BY: MANAGED_BY_VALUE, "platform-portal/resource-kind": kind.name},
        },
        "spec": {
            "group": group,
            "names": {"kind": kind.composite_kind, "plural": f"x{kind.plural}"},
            "claimNames": {"kind": kind.claim_kind, "plural": kind.plural},
            "connectionSecretKeys": list(kind.connection_keys),
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "referenceable": True,
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


def xrds(*, group: str) -> list[dict[str, Any]]:
    return [xrd(kind, group=group) for kind in KINDS.values()]


def claim(spec: ResourceSpec, *, group: str, store_config: str, provider: str, request_id: str) -> dict[str, Any]:
    """One claim for one request, in the team's namespace, carrying the standard labels."""
    return {
        "apiVersion": f"{group}/{VERSION}",
        "kind": spec.kind.claim_kind,
        "metadata": {
            "name": spec.name,
            "namespace": spec.namespace,
            "labels": spec.labels,
            "annotations": {"platform-portal/resource-request": request_id},
        },
        "spec": {
            "parameters": claim_parameters(spec.kind, spec.parameters),
            "compositionSelector": {"matchLabels": {"platform-portal/provider": provider}},
            "publishConnectionDetailsTo": {
                "name": spec.secret_path,
                "configRef": {"name": store_config},
                "metadata": {"labels": spec.labels},
            },
        },
    }
