"""The audit trail: every write records who, what, which object, from where, before and after."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest

from portal.core.models import AuditEvent, User


@dataclass(frozen=True)
class AuditContext:
    """Where a change came from: the request's address, agent and id, and the channel."""

    via: str = "api"
    source_ip: str | None = None
    user_agent: str = ""
    request_id: str = ""


def audit_context_from_request(request: HttpRequest, *, via: str = "api") -> AuditContext:
    return AuditContext(
        via=via,
        source_ip=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.headers.get("User-Agent", "")[:300],
        request_id=getattr(request, "request_id", ""),
    )


def snapshot(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON-safe dict of a model's concrete fields and many-to-many values."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        # Timestamps Django sets by itself say nothing about what a person changed.
        if field.name in exclude or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        data[field.name] = field.value_from_object(instance)
    for field in instance._meta.many_to_many:
        if field.name not in exclude and instance.pk is not None:
            data[field.name] = sorted(str(o) for o in getattr(instance, field.name).all())
    result: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return result


def audit_record(
    *,
    actor: User | None,
    action: str,
    instance: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    context: AuditContext | None = None,
) -> AuditEvent:
    """Write one audit event; call inside the transaction that makes the change."""
    context = context or AuditContext(via="system")
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id or str(instance.pk)
        object_repr = object_repr or str(instance)[:200]
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor.get_username() if actor is not None and actor.pk else "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        before=before,
        after=after,
        source_ip=context.source_ip,
        user_agent=context.user_agent,
        request_id=context.request_id,
        via=context.via,
    )
