"""The catalogue of resource kinds a team can request, their parameters and per-environment defaults.

Pure: no Django imports. A request's parameters are the caller's answers laid over the defaults of the
environment kind, then checked against the kind's JSON Schema and the platform's rules.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import jsonschema

SIZE_CLASSES = ("small", "medium", "large", "xlarge")
APPROVAL_SIZE_CLASSES = frozenset({"large", "xlarge"})  # these cost enough that someone signs them off
ENVIRONMENT_KINDS = ("dev", "preview", "staging", "prod")


class KindParameterError(ValueError):
    """Parameters a kind refuses: fields maps 'parameters.<name>' to reasons."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        first = next(iter(fields))
        super().__init__(f"{first}: {fields[first][0]}")
        self.fields = fields


def _size() -> dict[str, Any]:
    return {"type": "string", "enum": list(SIZE_CLASSES), "description": "Size class: CPU, memory and storage tier."}


def _backup() -> dict[str, Any]:
    return {"type": "boolean", "description": "Take daily backups (snapshots) kept for retention_days."}


def _retention(maximum: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": maximum, "description": "Days backups or data are kept."}


def _ha() -> dict[str, Any]:
    return {"type": "boolean", "description": "Replicas in a second zone with automatic failover."}


@dataclass(frozen=True)
class ResourceKind:
    """One kind of resource: how it is asked for, what it becomes in the catalog and in Crossplane."""

    name: str
    title: str
    description: str
    catalog_type: str  # portal.catalog.models.ResourceType
    claim_kind: str  # the Crossplane claim kind; the composite is "X" + claim_kind
    properties: dict[str, dict[str, Any]]
    defaults: dict[str, dict[str, Any]]  # environment kind -> parameter defaults
    connection_keys: tuple[str, ...]
    required_in_prod: dict[str, Any] = field(default_factory=dict)

    @property
    def composite_kind(self) -> str:
        return f"X{self.claim_kind}"

    @property
    def plural(self) -> str:
        return f"{self.claim_kind.lower()}s"

    def schema(self) -> dict[str, Any]:
        """JSON Schema of the resolved parameters (every property present)."""
        return {
            "type": "object",
            "properties": copy.deepcopy(self.properties),
            "required": sorted(self.properties),
            "additionalProperties": False,
        }

    def request_schema(self) -> dict[str, Any]:
        """JSON Schema of what a caller may send: everything optional, the environment fills the rest."""
        return {"type": "object", "properties": copy.deepcopy(self.properties), "additionalProperties": False}

    def defaults_for(self, environment_kind: str) -> dict[str, Any]:
        return dict(self.defaults.get(environment_kind) or self.defaults["dev"])


def _defaults(
    dev: dict[str, Any], staging: dict[str, Any], prod: dict[str, Any], common: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    return {
        "dev": {**common, **dev},
        "preview": {**common, **dev},
        "staging": {**common, **staging},
        "prod": {**common, **prod},
    }


_SMALL_NO_BACKUP = {"size": "small", "backup": False, "retention_days": 1}
_STAGING = {"size": "small", "backup": True, "retention_days": 7}
_PROD = {"size": "medium", "backup": True, "retention_days": 30}

KINDS: dict[str, ResourceKind] = {
    kind.name: kind
    for kind in (
        ResourceKind(
            name="postgresql",
            title="PostgreSQL database",
            description="A managed PostgreSQL database with its own user; connection details arrive as a Secret.",
            catalog_type="database",
            claim_kind="PostgreSQLInstance",
            properties={
                "size": _size(),
                "version": {"type": "string", "enum": ["15", "16", "17"], "description": "PostgreSQL major version."},
                "storage_gb": {"type": "integer", "minimum": 10, "maximum": 2000, "description": "Disk size."},
                "backup": _backup(),
                "retention_days": _retention(35),
                "high_availability": _ha(),
            },
            defaults=_defaults(
                {**_SMALL_NO_BACKUP, "high_availability": False},
                {**_STAGING, "high_availability": False},
                {**_PROD, "high_availability": True},
                {"version": "17", "storage_gb": 20},
            ),
            connection_keys=("host", "port", "database", "username", "password"),
            required_in_prod={"backup": True},
        ),
        ResourceKind(
            name="redis",
            title="Redis cache",
            description="A managed Redis (or Valkey) cache; connection details arrive as a Secret.",
            catalog_type="cache",
            claim_kind="RedisInstance",
            properties={
                "size": _size(),
                "version": {"type": "string", "enum": ["7.2", "7.4", "8.0"], "description": "Redis version."},
                "eviction_policy": {
                    "type": "string",
                    "enum": ["allkeys-lru", "volatile-lru", "noeviction"],
                    "description": "What Redis drops when memory is full.",
                },
                "backup": _backup(),
                "retention_days": _retention(35),
                "high_availability": _ha(),
            },
            defaults=_defaults(
                {**_SMALL_NO_BACKUP, "high_availability": False},
                {**_STAGING, "backup": False, "high_availability": False},
                {**_PROD, "high_availability": True},
                {"version": "7.4", "eviction_policy": "allkeys-lru"},
            ),
            connection_keys=("host", "port", "password"),
        ),
        ResourceKind(
            name="queue",
            title="Message queue or topic",
            description="A message queue (one consumer group) or a topic (fan-out), with a dead-letter queue.",
            catalog_type="queue",
            claim_kind="MessageQueue",
            properties={
                "size": _size(),
                "mode": {"type": "string", "enum": ["queue", "topic"], "description": "Point-to-point or fan-out."},
                "dead_letter": {"type": "boolean", "description": "Move messages that keep failing aside."},
                "max_message_kb": {"type": "integer", "minimum": 1, "maximum": 1024},
                "backup": {"type": "boolean", "description": "Replicate messages to a second zone."},
                "retention_days": _retention(14),
            },
            defaults=_defaults(
                _SMALL_NO_BACKUP,
                {**_STAGING, "backup": False, "retention_days": 3},
                {**_PROD, "retention_days": 7},
                {"mode": "queue", "dead_letter": True, "max_message_kb": 256},
            ),
            connection_keys=("url", "queue", "username", "password"),
        ),
        ResourceKind(
            name="bucket",
            title="Object storage bucket",
            description="A private object storage bucket (S3-compatible), encrypted, never public.",
            catalog_type="bucket",
            claim_kind="ObjectBucket",
            properties={
                "size": _size(),
                "versioning": {"type": "boolean", "description": "Keep earlier versions of every object."},
                "backup": {"type": "boolean", "description": "Replicate objects to a second region."},
                "retention_days": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 3650,
                    "description": "Days old object versions are kept.",
                },
            },
            defaults=_defaults(
                {**_SMALL_NO_BACKUP, "versioning": False, "retention_days": 7},
                {**_STAGING, "versioning": True, "backup": False, "retention_days": 30},
                {**_PROD, "versioning": True, "retention_days": 90},
                {},
            ),
            connection_keys=("endpoint", "bucket", "region", "access_key_id", "secret_access_key"),
        ),
    )
}


def kind_get(name: str) -> ResourceKind | None:
    return KINDS.get(name)


def parameters_resolve(kind: ResourceKind, environment_kind: str, parameters: Any) -> dict[str, Any]:
    """The caller's answers over the environment's defaults, checked; KindParameterError names each bad field."""
    if not isinstance(parameters, dict):
        raise KindParameterError({"parameters": ["must be an object"]})
    fields: dict[str, list[str]] = {}
    for error in jsonschema.Draft202012Validator(kind.request_schema()).iter_errors(parameters):
        if error.validator == "additionalProperties":
            for name in sorted(set(parameters) - set(kind.properties)):
                fields.setdefault(f"parameters.{name}", []).append(
                    f"unknown parameter for {kind.name}; known: {', '.join(sorted(kind.properties))}"
                )
            continue
        where = ".".join(str(p) for p in error.absolute_path)
        fields.setdefault(f"parameters.{where}" if where else "parameters", []).append(error.message)
    if fields:
        raise KindParameterError(fields)
    resolved = {**kind.defaults_for(environment_kind), **parameters}
    if environment_kind == "prod":
        for name, value in kind.required_in_prod.items():
            if resolved.get(name) != value:
                fields.setdefault(f"parameters.{name}", []).append(f"must be {value!r} in production")
    if fields:
        raise KindParameterError(fields)
    return resolved


def approval_reasons(kind: ResourceKind, environment_kind: str, resolved: dict[str, Any]) -> list[str]:
    """Why a request needs someone else's approval; empty when it does not."""
    reasons = []
    if environment_kind == "prod":
        reasons.append("production resources need an SRE's approval")
    if resolved.get("size") in APPROVAL_SIZE_CLASSES:
        reasons.append(f"size class {resolved['size']} needs an SRE's approval")
    return reasons


def catalogue() -> list[dict[str, Any]]:
    """Every kind as the API lists it: schema and defaults per environment kind."""
    return [
        {
            "name": kind.name,
            "title": kind.title,
            "description": kind.description,
            "catalog_type": kind.catalog_type,
            "claim_kind": kind.claim_kind,
            "parameters": kind.request_schema(),
            "defaults": {env: kind.defaults_for(env) for env in ENVIRONMENT_KINDS},
            "required_in_prod": dict(kind.required_in_prod),
            "connection_keys": list(kind.connection_keys),
            "approval_size_classes": sorted(APPROVAL_SIZE_CLASSES),
        }
        for kind in KINDS.values()
    ]
