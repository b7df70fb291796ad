"""Check a rendered ApplicationSet against the fields Argo CD documents for the pull-request generator.

Written from Argo CD's "Pull Request Generator" and "ApplicationSet Specification" pages (argoproj.io/v1alpha1):
only documented keys are allowed where the portal writes them, so a typo fails here, not in the controller.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

_SECRET_REF = {
    "type": "object",
    "required": ["secretName", "key"],
    "properties": {"secretName": {"type": "string", "minLength": 1}, "key": {"type": "string", "minLength": 1}},
    "additionalProperties": False,
}
_LABELS = {"type": "array", "items": {"type": "string"}}
_GITHUB = {
    "type": "object",
    "required": ["owner", "repo"],
    "properties": {
        "owner": {"type": "string", "minLength": 1},
        "repo": {"type": "string", "minLength": 1},
        "api": {"type": "string", "format": "uri"},
        "tokenRef": _SECRET_REF,
        "appSecretName": {"type": "string"},
        "labels": _LABELS,
    },
    "additionalProperties": False,
}
_GITLAB = {
    "type": "object",
    "required": ["project"],
    "properties": {
        "project": {"type": "string", "minLength": 1},
        "api": {"type": "string"},
        "tokenRef": _SECRET_REF,
        "labels": _LABELS,
        "pullRequestState": {"enum": ["opened", "closed", "merged", "locked"]},
        "insecure": {"type": "boolean"},
        "caRef": {"type": "object"},
    },
    "additionalProperties": False,
}
_PULL_REQUEST = {
    "type": "object",
    "properties": {
        "github": _GITHUB,
        "gitlab": _GITLAB,
        "requeueAfterSeconds": {"type": "integer", "minimum": 1},
        "filters": {"type": "array"},
        "template": {"type": "object"},
    },
    "oneOf": [{"required": ["github"]}, {"required": ["gitlab"]}],
    "additionalProperties": False,
}
_APPLICATION_SPEC = {
    "type": "object",
    "required": ["project", "destination"],
    "properties": {
        "project": {"type": "string", "minLength": 1},
        "source": {
            "type": "object",
            "required": ["repoURL"],
            "properties": {
                "repoURL": {"type": "string", "minLength": 1},
                "targetRevision": {"type": "string"},
                "path": {"type": "string"},
                "kustomize": {"type": "object"},
                "helm": {"type": "object"},
            },
            "additionalProperties": False,
        },
        "destination": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "server": {"type": "string"}, "namespace": {"type": "string"}},
            "additionalProperties": False,
        },
        "syncPolicy": {
            "type": "object",
            "properties": {
                "automated": {
                    "type": "object",
                    "properties": {"prune": {"type": "boolean"}, "selfHeal": {"type": "boolean"}},
                },
                "syncOptions": {"type": "array", "items": {"type": "string"}},
                "managedNamespaceMetadata": {"type": "object"},
                "retry": {"type": "object"},
            },
            "additionalProperties": False,
        },
        "ignoreDifferences": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": False,
}
APPLICATIONSET_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "argoproj.io/v1alpha1"},
        "kind": {"const": "ApplicationSet"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]{0,251}[a-z0-9])?$"}},
        },
        "spec": {
            "type": "object",
            "required": ["generators", "template"],
            "properties": {
                "goTemplate": {"type": "boolean"},
                "goTemplateOptions": {"type": "array", "items": {"type": "string"}},
                "generators": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["pullRequest"],
                        "properties": {"pullRequest": _PULL_REQUEST},
                    },
                },
                "template": {
                    "type": "object",
                    "required": ["metadata", "spec"],
                    "properties": {
                        "metadata": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {
                                "name": {"type": "string"},
                                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                                "finalizers": {"type": "array", "items": {"type": "string"}},
                            },
                            "additionalProperties": False,
                        },
                        "spec": _APPLICATION_SPEC,
                    },
                },
                "syncPolicy": {"type": "object"},
            },
            "additionalProperties": False,
        },
    },
}
APPLICATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "argoproj.io/v1alpha1"},
        "kind": {"const": "Application"},
        "spec": _APPLICATION_SPEC,
    },
}


def _errors(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(schema)
    found = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in found]


def applicationset_errors(document: dict[str, Any]) -> list[str]:
    """Every place the ApplicationSet departs from the documented fields, as 'spec.path: reason'."""
    return _errors(APPLICATIONSET_SCHEMA, document)


def application_errors(document: dict[str, Any]) -> list[str]:
    """Every place a generated Application departs from the documented fields."""
    return _errors(APPLICATION_SCHEMA, document)
