"""Resource-request reads, limited to what the caller may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.catalog.models import Resource
from portal.core.api import is_uuid
from portal.core.errors import NotFound
from portal.core.models import Membership
from portal.core.permissions import AnyUser
from portal.infra.models import RequestState, ResourceRequest


def request_visible(user: AnyUser) -> QuerySet[ResourceRequest]:
    """Owners' members, the requester, SREs and platform admins see a request."""
    requests = ResourceRequest.objects.select_related("owner", "requested_by", "service", "environment")
    if getattr(user, "is_sre", False) or getattr(user, "is_platform_admin", False):
        return requests
    teams = Membership.objects.filter(user_id=user.pk or 0).values("team_id")
    return requests.filter(Q(owner_id__in=teams) | Q(requested_by_id=user.pk or 0))


def request_get(user: AnyUser, request_id: str) -> ResourceRequest:
    found = request_visible(user).filter(pk=request_id).first() if is_uuid(request_id) else None
    if found is None:
        raise NotFound(f"No resource request {request_id} that you can see.", fields={"id": ["not found"]})
    return found


def resource_annotations(resource: Resource) -> dict[str, str]:
    """Backstage annotations of a resource the portal provisioned: where its connection details are (a reference)."""
    request = (
        ResourceRequest.objects.filter(catalog_resource=resource, state=RequestState.SUCCEEDED)
        .order_by("-finished_at")
        .first()
    )
    if request is None:
        return {}
    ref = request.connection_secret
    annotations = {
        "platform-portal/resource-kind": request.kind,
        "platform-portal/environment": request.environment.name,
        "platform-portal/resource-request": str(request.id),
        "platform-portal/connection-secret": str(ref.get("kubernetes_secret", "")),
        "platform-portal/connection-secret-store-path": str(ref.get("secret_store_path", "")),
        "platform-portal/external-secret": str(ref.get("external_secret", "")),
    }
    if request.pull_request_url:
        annotations["platform-portal/pull-request"] = request.pull_request_url
    return {key: value for key, value in annotations.items() if value}
