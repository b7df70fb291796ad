"""Catalog writes: services, systems, resources, environments and placements. Each is audited."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from portal.catalog.models import (
    Environment,
    Origin,
    Resource,
    Service,
    ServiceEnvironment,
    System,
)
from portal.core.audit import AuditContext, audit_record, snapshot
from portal.core.errors import ApplicationError, Conflict
from portal.core.models import Team, User
from portal.core.permissions import AnyUser, require_platform_admin, require_write_owned_by

M = TypeVar("M", bound=models.Model)

SERVICE_FIELDS = (
    "title",
    "description",
    "owner",
    "system",
    "type",
    "tier",
    "lifecycle",
    "repo_url",
    "runtime",
    "language",
    "tags",
    "links",
    "origin",
    "golden_path",
    "golden_path_version",
)
SYSTEM_FIELDS = ("title", "description", "owner")
RESOURCE_FIELDS = ("title", "description", "type", "owner", "system")
ENVIRONMENT_FIELDS = ("kind", "description", "default_cluster")
PLACEMENT_FIELDS = ("namespace", "cluster", "argocd_app_name", "url")


def _actor(actor: AnyUser) -> User | None:
    return actor if isinstance(actor, User) else None


def _assign(instance: M, fields: dict[str, Any], allowed: tuple[str, ...]) -> M:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ApplicationError(
            f"Unknown field(s): {', '.join(unknown)}.", fields={name: ["unknown field"] for name in unknown}
        )
    for key, value in fields.items():
        setattr(instance, key, sorted(set(value)) if key == "tags" else value)
    return instance


def _save_new(instance: M, *, what: str) -> M:
    """Validate and insert; a unique-name clash (even a racing one) is a 409, not a duplicate."""
    instance.full_clean(validate_unique=False)
    name = getattr(instance, "name", str(instance))
    if type(instance)._default_manager.filter(name=name).exists():
        raise Conflict(f"A {what} named '{name}' already exists.", fields={"name": ["already exists"]})
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise Conflict(f"A {what} named '{name}' already exists.", fields={"name": ["already exists"]}) from exc
    return instance


def _set_m2m(service: Service, *, dependencies: list[Service] | None, resources: list[Resource] | None) -> None:
    if dependencies is not None:
        if any(dep.pk == service.pk for dep in dependencies):
            raise ApplicationError("A service cannot depend on itself.", fields={"dependencies": ["contains itself"]})
        service.dependencies.set(dependencies)
    if resources is not None:
        service.resources.set(resources)


@transaction.atomic
def service_create(
    *,
    actor: AnyUser,
    name: str,
    owner: Team,
    dependencies: list[Service] | None = None,
    resources: list[Resource] | None = None,
    context: AuditContext | None = None,
    **fields: Any,
) -> Service:
    require_write_owned_by(actor, owner, what="services it owns")
    service = _assign(Service(name=name, owner=owner), fields, SERVICE_FIELDS)
    _save_new(service, what="service")
    _set_m2m(service, dependencies=dependencies, resources=resources)
    audit_record(actor=_actor(actor), action="create", instance=service, after=snapshot(service), context=context)
    return service


@transaction.atomic
def service_update(
    *,
    actor: AnyUser,
    service: Service,
    dependencies: list[Service] | None = None,
    resources: list[Resource] | None = None,
    context: AuditContext | None = None,
    **fields: Any,
) -> Service:
    require_write_owned_by(actor, service.owner, what=f"service '{service.name}'")
    if "owner" in fields and fields["owner"] != service.owner:
        # Handing a service over needs the right to write for the receiving team too.
        require_write_owned_by(actor, fields["owner"], what="services it owns")
    before = snapshot(service)
    _assign(service, fields, SERVICE_FIELDS)
    service.full_clean(validate_unique=False)
    if snapshot(service) != before:
        service.save()
    _set_m2m(service, dependencies=dependencies, resources=resources)
    after = snapshot(service)
    if after != before:
        audit_record(
            actor=_actor(actor), action="update", instance=service, before=before, after=after, context=context
        )
    return service


@transaction.atomic
def service_delete(*, actor: AnyUser, service: Service, context: AuditContext | None = None) -> None:
    require_write_owned_by(actor, service.owner, what=f"service '{service.name}'")
    audit_record(actor=_actor(actor), action="delete", instance=service, before=snapshot(service), context=context)
    service.delete()


@transaction.atomic
def system_create(
    *, actor: AnyUser, name: str, owner: Team, context: AuditContext | None = None, **fields: Any
) -> System:
    require_write_owned_by(actor, owner, what="systems it owns")
    system = _save_new(_assign(System(name=name, owner=owner), fields, SYSTEM_FIELDS), what="system")
    audit_record(actor=_actor(actor), action="create", instance=system, after=snapshot(system), context=context)
    return system


@transaction.atomic
def system_update(*, actor: AnyUser, system: System, context: AuditContext | None = None, **fields: Any) -> System:
    return _update_owned(actor=actor, instance=system, fields=fields, allowed=SYSTEM_FIELDS, context=context)


@transaction.atomic
def resource_create(
    *, actor: AnyUser, name: str, owner: Team, context: AuditContext | None = None, **fields: Any
) -> Resource:
    require_write_owned_by(actor, owner, what="resources it owns")
    resource = _save_new(_assign(Resource(name=name, owner=owner), fields, RESOURCE_FIELDS), what="resource")
    audit_record(actor=_actor(actor), action="create", instance=resource, after=snapshot(resource), context=context)
    return resource


@transaction.atomic
def resource_update(
    *, actor: AnyUser, resource: Resource, context: AuditContext | None = None, **fields: Any
) -> Resource:
    return _update_owned(actor=actor, instance=resource, fields=fields, allowed=RESOURCE_FIELDS, context=context)


def _update_owned(
    *, actor: AnyUser, instance: M, fields: dict[str, Any], allowed: tuple[str, ...], context: AuditContext | None
) -> M:
    owner: Team = instance.owner  # type: ignore[attr-defined]
    require_write_owned_by(actor, owner, what=f"{instance._meta.verbose_name} '{instance}'")
    if "owner" in fields and fields["owner"] != owner:
        require_write_owned_by(actor, fields["owner"], what=f"{instance._meta.verbose_name_plural} it owns")
    before = snapshot(instance)
    _assign(instance, fields, allowed)
    instance.full_clean(validate_unique=False)
    instance.save()
    after = snapshot(instance)
    if after != before:
        audit_record(
            actor=_actor(actor), action="update", instance=instance, before=before, after=after, context=context
        )
    return instance


@transaction.atomic
def owned_delete(*, actor: AnyUser, instance: System | Resource, context: AuditContext | None = None) -> None:
    """Delete a system or resource; services that used it keep running, unlinked."""
    require_write_owned_by(actor, instance.owner, what=f"{instance._meta.verbose_name} '{instance}'")
    audit_record(actor=_actor(actor), action="delete", instance=instance, before=snapshot(instance), context=context)
    instance.delete()


@transaction.atomic
def environment_create(*, actor: AnyUser, name: str, context: AuditContext | None = None, **fields: Any) -> Environment:
    require_platform_admin(actor, what="create environments")
    env = _save_new(_assign(Environment(name=name), fields, ENVIRONMENT_FIELDS), what="environment")
    audit_record(actor=_actor(actor), action="create", instance=env, after=snapshot(env), context=context)
    return env


@transaction.atomic
def environment_update(
    *, actor: AnyUser, environment: Environment, context: AuditContext | None = None, **fields: Any
) -> Environment:
    require_platform_admin(actor, what="change environments")
    before = snapshot(environment)
    _assign(environment, fields, ENVIRONMENT_FIELDS)
    environment.full_clean(validate_unique=False)
    environment.save()
    audit_record(
        actor=_actor(actor),
        action="update",
        instance=environment,
        before=before,
        after=snapshot(environment),
        context=context,
    )
    return environment


@transaction.atomic
def environment_delete(*, actor: AnyUser, environment: Environment, context: AuditContext | None = None) -> None:
    require_platform_admin(actor, what="delete environments")
    if environment.placements.exists():
        raise Conflict(
            f"Services still run in '{environment.name}'; remove them from it first.",
            fields={"name": ["has services"]},
        )
    audit_record(
        actor=_actor(actor), action="delete", instance=environment, before=snapshot(environment), context=context
    )
    environment.delete()


@transaction.atomic
def placement_set(
    *,
    actor: AnyUser,
    service: Service,
    environment: Environment,
    context: AuditContext | None = None,
    **fields: Any,
) -> tuple[ServiceEnvironment, bool]:
    """Create or update where a service runs in an environment; return it and whether it is new."""
    require_write_owned_by(actor, service.owner, what=f"service '{service.name}'")
    placement = ServiceEnvironment.objects.select_for_update().filter(service=service, environment=environment).first()
    created = placement is None
    if placement is None:
        placement = ServiceEnvironment(service=service, environment=environment)
    before = None if created else snapshot(placement)
    fields.setdefault("cluster", placement.cluster or environment.default_cluster)
    fields.setdefault("namespace", placement.namespace or f"{service.name}-{environment.name}")
    _assign(placement, fields, PLACEMENT_FIELDS)
    placement.full_clean(validate_unique=False)
    placement.save()
    audit_record(
        actor=_actor(actor),
        action="create" if created else "update",
        instance=placement,
        before=before,
        after=snapshot(placement),
        context=context,
    )
    return placement, created


@transaction.atomic
def placement_delete(*, actor: AnyUser, placement: ServiceEnvironment, context: AuditContext | None = None) -> None:
    require_write_owned_by(actor, placement.service.owner, what=f"service '{placement.service.name}'")
    audit_record(actor=_actor(actor), action="delete", instance=placement, before=snapshot(placement), context=context)
    placement.delete()


__all__ = ["Origin"]
