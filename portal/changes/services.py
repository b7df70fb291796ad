"""Record changes once, on the service they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.catalog.models import Environment, Service, ServiceEnvironment
from portal.changes.models import ChangeEvent
from portal.changes.webhooks import ChangeDraft
from portal.core.audit import AuditContext, audit_record, snapshot
from portal.core.errors import ApplicationError
from portal.core.models import User
from portal.remediation.models import ChangeFreeze

ENVIRONMENT_ALIASES = {"production": "prod", "prd": "prod", "development": "dev", "stage": "staging", "stg": "staging"}


@dataclass(frozen=True)
class Outcome:
    stored: list[ChangeEvent]
    duplicates: int
    skipped: list[str]


def service_for_repository(repository: str) -> Service | None:
    """The catalog service whose repository is owner/name (GitHub full_name, GitLab path_with_namespace)."""
    wanted = repository.strip("/").lower()
    if not wanted:
        return None
    for service in Service.objects.exclude(repo_url="").only("id", "repo_url", "name"):
        path = urlparse(service.repo_url).path.strip("/").removesuffix(".git").lower()
        if path == wanted:
            return service
    return None


def environment_named(name: str) -> Environment | None:
    name = name.strip().lower()
    return Environment.objects.filter(name__in=[name, ENVIRONMENT_ALIASES.get(name, name)]).first()


def _resolve(draft: ChangeDraft) -> tuple[Service | None, Environment | None, str]:
    if draft.argocd_app:
        placement = (
            ServiceEnvironment.objects.select_related("service", "environment")
            .filter(argocd_app_name=draft.argocd_app)
            .first()
        )
        if placement is None:
            return None, None, f"no service runs as Argo CD application '{draft.argocd_app}'"
        return placement.service, placement.environment, ""
    service = service_for_repository(draft.repository)
    if service is None:
        return None, None, f"no service in the catalog has repository '{draft.repository}'"
    return service, environment_named(draft.environment) if draft.environment else None, ""


def changes_record(*, drafts: list[ChangeDraft], source: str, delivery_id: str) -> Outcome:
    """Store each draft once; a repeated delivery id stores nothing new."""
    stored, duplicates, skipped = [], 0, []
    for index, draft in enumerate(drafts):
        service, environment, reason = _resolve(draft)
        if service is None:
            skipped.append(reason)
            continue
        external_id = delivery_id if len(drafts) == 1 else f"{delivery_id}:{index}"
        event = _store(service=service, environment=environment, draft=draft, source=source, external_id=external_id)
        if event is None:
            duplicates += 1
        else:
            stored.append(event)
    return Outcome(stored=stored, duplicates=duplicates, skipped=skipped)


def _store(
    *, service: Service, environment: Environment | None, draft: ChangeDraft, source: str, external_id: str
) -> ChangeEvent | None:
    try:
        with transaction.atomic():
            return ChangeEvent.objects.create(
                service=service,
                environment=environment,
                kind=draft.kind,
                status=draft.status,
                version=draft.version[:200],
                description=draft.description,
                author=draft.author[:200],
                occurred_at=draft.occurred_at or timezone.now(),
                duration_seconds=draft.duration_seconds,
                link=draft.link[:500],
                source=source,
                external_id=external_id[:200],
                details=draft.details,
            )
    except IntegrityError:
        return None


@transaction.atomic
def change_create(
    *, actor: User, service: Service, context: AuditContext | None = None, **fields: Any
) -> tuple[ChangeEvent, bool]:
    """Record a change sent through the API; the same external_id twice returns the first one."""
    external_id = fields.pop("external_id", "") or f"api:{timezone.now().timestamp()}:{actor.pk}:{service.pk}"
    existing = ChangeEvent.objects.filter(source="api", external_id=external_id).first()
    if existing is not None:
        return existing, False
    fields.setdefault("occurred_at", timezone.now())
    event = ChangeEvent.objects.create(service=service, source="api", external_id=external_id, **fields)
    audit_record(
        actor=actor,
        action="create",
        instance=event,
        context=context,
        after={"service": service.name, "kind": event.kind, "version": event.version},
    )
    return event, True


@transaction.atomic
def freeze_create(
    *,
    actor: User,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    environment_kinds: list[str],
    context: AuditContext | None = None,
) -> ChangeFreeze:
    """Declare a change freeze: risk scores rise during it and remediation will not run in those environments."""
    if ends_at <= starts_at:
        raise ApplicationError("A freeze must end after it starts.", fields={"ends_at": ["not after starts_at"]})
    freeze = ChangeFreeze.objects.create(
        starts_at=starts_at, ends_at=ends_at, reason=reason, environment_kinds=sorted(set(environment_kinds))
    )
    audit_record(actor=actor, action="create", instance=freeze, context=context, after=snapshot(freeze))
    return freeze


@transaction.atomic
def freeze_delete(*, actor: User, freeze: ChangeFreeze, context: AuditContext | None = None) -> None:
    before = snapshot(freeze)
    audit_record(actor=actor, action="delete", instance=freeze, context=context, before=before)
    freeze.delete()
