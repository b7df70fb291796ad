"""Structural JSON Schemas for the custom resources kubernetes-validate has no schema for.

Written from the CRD references of External Secrets (ExternalSecret v1beta1/v1), KEDA (ScaledObject and
TriggerAuthentication v1alpha1) and the Prometheus Operator (ServiceMonitor v1), limited to the fields this
chart uses, with additionalProperties off so that a misspelt field fails: a subset, not the full CRDs.
"""

from __future__ import annotations

from typing import Any

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DURATION = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"
INTEGER_STRING = r"^[0-9]+$"

STRING = {"type": "string"}
STRING_MAP = {"type": "object", "additionalProperties": STRING}
NAME = {"type": "string", "pattern": DNS_SUBDOMAIN, "maxLength": 253}


def strict(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


METADATA = strict(
    ["name"],
    {
        "name": NAME,
        "namespace": {"type": "string", "pattern": DNS_LABEL},
        "labels": STRING_MAP,
        "annotations": STRING_MAP,
    },
)


def resource(api_versions: list[str], kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return strict(
        ["apiVersion", "kind", "metadata", "spec"],
        {"apiVersion": {"enum": api_versions}, "kind": {"const": kind}, "metadata": METADATA, "spec": spec},
    )


REMOTE_REF = strict(
    ["key"],
    {
        "key": {"type": "string", "minLength": 1},
        "property": STRING,
        "version": STRING,
        "conversionStrategy": {"enum": ["Default", "Unicode"]},
        "decodingStrategy": {"enum": ["Auto", "Base64", "Base64URL", "None"]},
    },
)
EXTERNAL_SECRET = resource(
    ["external-secrets.io/v1beta1", "external-secrets.io/v1"],
    "ExternalSecret",
    strict(
        ["secretStoreRef", "target", "data"],
        {
            "refreshInterval": {"type": "string", "pattern": DURATION},
            "secretStoreRef": strict(["name"], {"name": NAME, "kind": {"enum": ["SecretStore", "ClusterSecretStore"]}}),
            "target": strict(
                ["name"],
                {
                    "name": NAME,
                    "creationPolicy": {"enum": ["Owner", "Orphan", "Merge", "None"]},
                    "deletionPolicy": {"enum": ["Delete", "Merge", "Retain"]},
                },
            ),
            "data": {
                "type": "array",
                "minItems": 1,
                "items": strict(
                    ["secretKey", "remoteRef"],
                    {"secretKey": {"type": "string", "pattern": r"^[-._a-zA-Z0-9]+$"}, "remoteRef": REMOTE_REF},
                ),
            },
        },
    ),
)

REDIS_TRIGGER_METADATA = strict(
    ["listName"],
    {
        "address": {"type": "string", "pattern": r"^[^:/]+:[0-9]+$"},
        "host": STRING,
        "port": {"type": "string", "pattern": INTEGER_STRING},
        "listName": {"type": "string", "minLength": 1},
        "listLength": {"type": "string", "pattern": INTEGER_STRING},
        "activationListLength": {"type": "string", "pattern": INTEGER_STRING},
        "databaseIndex": {"type": "string", "pattern": INTEGER_STRING},
        "enableTLS": {"enum": ["true", "false"]},
        "unsafeSsl": {"enum": ["true", "false"]},
    },
)
SCALED_OBJECT = resource(
    ["keda.sh/v1alpha1"],
    "ScaledObject",
    strict(
        ["scaleTargetRef", "triggers"],
        {
            "scaleTargetRef": strict(["name"], {"name": NAME, "kind": STRING, "apiVersion": STRING}),
            "minReplicaCount": {"type": "integer", "minimum": 0},
            "maxReplicaCount": {"type": "integer", "minimum": 1},
            "pollingInterval": {"type": "integer", "minimum": 1},
            "cooldownPeriod": {"type": "integer", "minimum": 0},
            "triggers": {
                "type": "array",
                "minItems": 1,
                "items": strict(
                    ["type", "metadata"],
                    {
                        "type": {"const": "redis"},
                        "metadata": REDIS_TRIGGER_METADATA,
                        "authenticationRef": strict(["name"], {"name": NAME, "kind": STRING}),
                    },
                ),
            },
        },
    ),
)
TRIGGER_AUTHENTICATION = resource(
    ["keda.sh/v1alpha1"],
    "TriggerAuthentication",
    strict(
        ["secretTargetRef"],
        {
            "secretTargetRef": {
                "type": "array",
                "minItems": 1,
                "items": strict(
                    ["parameter", "name", "key"],
                    {"parameter": {"enum": ["password", "username"]}, "name": NAME, "key": STRING},
                ),
            }
        },
    ),
)

SECRET_KEY_SELECTOR = strict(["name", "key"], {"name": NAME, "key": STRING, "optional": {"type": "boolean"}})
SERVICE_MONITOR = resource(
    ["monitoring.coreos.com/v1"],
    "ServiceMonitor",
    strict(
        ["selector", "endpoints"],
        {
            "selector": strict(["matchLabels"], {"matchLabels": STRING_MAP}),
            "namespaceSelector": strict(
                [], {"matchNames": {"type": "array", "items": STRING}, "any": {"type": "boolean"}}
            ),
            "endpoints": {
                "type": "array",
                "minItems": 1,
                "items": strict(
                    ["port", "path"],
                    {
                        "port": STRING,
                        "path": {"type": "string", "pattern": "^/"},
                        "scheme": {"enum": ["http", "https"]},
                        "interval": {"type": "string", "pattern": DURATION},
                        "scrapeTimeout": {"type": "string", "pattern": DURATION},
                        "authorization": strict(
                            ["credentials"], {"type": {"const": "Bearer"}, "credentials": SECRET_KEY_SELECTOR}
                        ),
                    },
                ),
            },
        },
    ),
)

CUSTOM_RESOURCES: dict[str, dict[str, Any]] = {
    "ExternalSecret": EXTERNAL_SECRET,
    "ScaledObject": SCALED_OBJECT,
    "TriggerAuthentication": TRIGGER_AUTHENTICATION,
    "ServiceMonitor": SERVICE_MONITOR,
}
CORE_GROUPS = ("v1", "apps/v1", "batch/v1", "policy/v1", "networking.k8s.io/v1")
