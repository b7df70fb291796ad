"""Structural JSON Schemas for what kubernetes-validate has no schema for: KEDA, External Secrets, OpenSLO.

They are written from the projects' CRD references and keep to the fields these templates use, with
additionalProperties off where a typo would otherwise slip through: a subset, not the full CRDs.
"""

from __future__ import annotations

from typing import Any

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DURATION = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"

STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": DNS_SUBDOMAIN, "maxLength": 253},
        "namespace": {"type": "string", "pattern": DNS_LABEL},
        "labels": STRING_MAP,
        "annotations": STRING_MAP,
    },
}


def _resource(api_version: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": METADATA,
            "spec": spec,
        },
    }


def _object(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


EXTRACT = _object(
    ["key"],
    {
        "key": {"type": "string", "minLength": 1},
        "property": {"type": "string"},
        "version": {"type": "string"},
        "conversionStrategy": {"enum": ["Default", "Unicode"]},
        "decodingStrategy": {"enum": ["Auto", "Base64", "Base64URL", "None"]},
    },
)
EXTERNAL_SECRET = _resource(
    "external-secrets.io/v1beta1",
    "ExternalSecret",
    {
        **_object(
            ["secretStoreRef", "target"],
            {
                "refreshInterval": {"type": "string", "pattern": DURATION},
                "secretStoreRef": _object(
                    ["name"], {"name": {"type": "string"}, "kind": {"enum": ["SecretStore", "ClusterSecretStore"]}}
                ),
                "target": _object(
                    ["name"],
                    {
                        "name": {"type": "string", "pattern": DNS_SUBDOMAIN},
                        "creationPolicy": {"enum": ["Owner", "Orphan", "Merge", "None"]},
                        "deletionPolicy": {"enum": ["Delete", "Merge", "Retain"]},
                    },
                ),
                "data": {
                    "type": "array",
                    "items": _object(
                        ["secretKey", "remoteRef"], {"secretKey": {"type": "string"}, "remoteRef": EXTRACT}
                    ),
                },
                "dataFrom": {"type": "array", "minItems": 1, "items": _object(["extract"], {"extract": EXTRACT})},
            },
        ),
        "anyOf": [{"required": ["data"]}, {"required": ["dataFrom"]}],
    },
)

KEDA_TRIGGER_TYPES = ["redis-streams", "rabbitmq", "kafka", "prometheus", "cron", "cpu", "memory"]
SCALED_OBJECT = _resource(
    "keda.sh/v1alpha1",
    "ScaledObject",
    _object(
        ["scaleTargetRef", "triggers"],
        {
            "scaleTargetRef": _object(
                ["name"], {"name": {"type": "string"}, "kind": {"type": "string"}, "apiVersion": {"type": "string"}}
            ),
            "minReplicaCount": {"type": "integer", "minimum": 0},
            "maxReplicaCount": {"type": "integer", "minimum": 1},
            "idleReplicaCount": {"type": "integer", "minimum": 0},
            "pollingInterval": {"type": "integer", "minimum": 1},
            "cooldownPeriod": {"type": "integer", "minimum": 0},
            "triggers": {
                "type": "array",
                "minItems": 1,
                "items": _object(
                    ["type", "metadata"],
                    {
                        "type": {"enum": KEDA_TRIGGER_TYPES},
                        "name": {"type": "string"},
                        "metadata": STRING_MAP,  # KEDA reads trigger metadata as map[string]string
                        "authenticationRef": _object(
                            ["name"], {"name": {"type": "string"}, "kind": {"enum": ["TriggerAuthentication"]}}
                        ),
                    },
                ),
            },
        },
    ),
)
TRIGGER_AUTHENTICATION = _resource(
    "keda.sh/v1alpha1",
    "TriggerAuthentication",
    _object(
        ["secretTargetRef"],
        {
            "secretTargetRef": {
                "type": "array",
                "minItems": 1,
                "items": _object(
                    ["parameter", "name", "key"],
                    {"parameter": {"type": "string"}, "name": {"type": "string"}, "key": {"type": "string"}},
                ),
            }
        },
    ),
)

CUSTOM_RESOURCES = {
    ("external-secrets.io/v1beta1", "ExternalSecret"): EXTERNAL_SECRET,
    ("keda.sh/v1alpha1", "ScaledObject"): SCALED_OBJECT,
    ("keda.sh/v1alpha1", "TriggerAuthentication"): TRIGGER_AUTHENTICATION,
}

# OpenSLO v1 (https://github.com/OpenSLO/OpenSLO#slo): the Service and SLO kinds with inline ratio indicators.
_METRIC_SOURCE = _object(
    ["metricSource"],
    {
        "metricSource": _object(
            ["type", "spec"],
            {"type": {"const": "Prometheus"}, "spec": _object(["query"], {"query": {"type": "string"}})},
        )
    },
)
_OPENSLO_METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": DNS_LABEL},
        "displayName": {"type": "string"},
        "annotations": STRING_MAP,
    },
}
OPENSLO_SERVICE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "openslo/v1"},
        "kind": {"const": "Service"},
        "metadata": _OPENSLO_METADATA,
        "spec": _object([], {"description": {"type": "string", "maxLength": 1050}}),
    },
}
OPENSLO_SLO = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "openslo/v1"},
        "kind": {"const": "SLO"},
        "metadata": _OPENSLO_METADATA,
        "spec": _object(
            ["service", "indicator", "timeWindow", "budgetingMethod", "objectives"],
            {
                "description": {"type": "string", "maxLength": 1050},
                "service": {"type": "string"},
                "indicator": _object(
                    ["metadata", "spec"],
                    {
                        "metadata": _OPENSLO_METADATA,
                        "spec": _object(
                            ["ratioMetric"],
                            {
                                "ratioMetric": _object(
                                    ["counter", "good", "total"],
                                    {"counter": {"type": "boolean"}, "good": _METRIC_SOURCE, "total": _METRIC_SOURCE},
                                )
                            },
                        ),
                    },
                ),
                "timeWindow": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1,
                    "items": _object(
                        ["duration", "isRolling"],
                        {
                            "duration": {"type": "string", "pattern": r"^[0-9]+[mhdwMQY]$"},
                            "isRolling": {"type": "boolean"},
                        },
                    ),
                },
                "budgetingMethod": {"enum": ["Occurrences", "Timeslices", "RatioTimeslices"]},
                "objectives": {
                    "type": "array",
                    "minItems": 1,
                    "items": _object(
                        ["target"],
                        {
                            "displayName": {"type": "string"},
                            "target": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                        },
                    ),
                },
            },
        ),
    },
}
