"""Catalog reads."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, Prefetch, QuerySet

from portal.catalog.models import Environment, Resource, Service, ServiceEnvironment, System
from portal.core.errors import NotFound
from portal.core.models import Membership, Team, User

M = TypeVar("M", bound=Model)


def service_list() -> QuerySet[Service]:
    return Service.objects.select_related("owner", "system").prefetch_related(
        "dependencies",
        "resources",
        "slos",
        Prefetch("placements", queryset=ServiceEnvironment.objects.select_related("environment")),
    )


def service_get(name: str) -> Service:
    service = service_list().filter(name=name).first()
    if service is None:
        raise NotFound(f"No service named '{name}'.", fields={"name": ["not found"]})
    return service


def team_list() -> QuerySet[Team]:
    return Team.objects.select_related("parent").prefetch_related(
        "children", Prefetch("memberships", queryset=Membership.objects.select_related("user"))
    )


def team_get(name: str) -> Team:
    team = team_list().filter(name=name).first()
    if team is None:
        raise NotFound(f"No team named '{name}'.", fields={"name": ["not found"]})
    return team


def system_list() -> QuerySet[System]:
    return System.objects.select_related("owner")


def resource_list() -> QuerySet[Resource]:
    return Resource.objects.select_related("owner", "system")


def environment_list() -> QuerySet[Environment]:
    return Environment.objects.all()


def by_name(queryset: QuerySet[M], name: str, *, what: str) -> M:
    """Fetch one row by name from queryset, or answer 404 naming what was missing."""
    found = queryset.filter(name=name).first()
    if found is None:
        raise NotFound(f"No {what} named '{name}'.", fields={"name": ["not found"]})
    return found


def people_for_export() -> QuerySet[User]:
    return User.objects.filter(is_active=True, is_service_account=False).prefetch_related("teams").order_by("username")


def placement_get(service: Service, environment_name: str) -> ServiceEnvironment:
    placement = (
        ServiceEnvironment.objects.select_related("service__owner", "environment")
        .filter(service=service, environment__name=environment_name)
        .first()
    )
    if placement is None:
        raise NotFound(
            f"Service '{service.name}' does not run in environment '{environment_name}'.",
            fields={"environment": ["not found"]},
        )
    return placement
