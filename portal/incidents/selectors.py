"""Incident reads, limited to what the caller may see."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.core.errors import NotFound
from portal.core.models import Membership
from portal.core.permissions import AnyUser
from portal.incidents.models import Incident


def incident_visible(user: AnyUser) -> QuerySet[Incident]:
    """SREs and platform admins see every incident; others those touching their teams' services."""
    incidents = Incident.objects.select_related("service", "commander").prefetch_related("services")
    if getattr(user, "is_sre", False):
        return incidents
    teams = Membership.objects.filter(user_id=user.pk or 0).values("team_id")
    return incidents.filter(services__owner_id__in=teams).distinct()


def incident_get(user: AnyUser, incident_id: int) -> Incident:
    incident = incident_visible(user).filter(pk=incident_id).first()
    if incident is None:
        raise NotFound(f"No incident #{incident_id} that you can see.", fields={"id": ["not found"]})
    return incident
