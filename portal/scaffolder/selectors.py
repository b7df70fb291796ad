"""Scaffold-run reads, limited to what the caller may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.core.api import is_uuid
from portal.core.errors import NotFound
from portal.core.models import Membership
from portal.core.permissions import AnyUser
from portal.scaffolder.models import ScaffoldRun


def run_visible(user: AnyUser) -> QuerySet[ScaffoldRun]:
    """Owners' members, the requester, SREs and platform admins see a run."""
    runs = ScaffoldRun.objects.select_related("owner", "requested_by")
    if getattr(user, "is_sre", False):
        return runs
    teams = Membership.objects.filter(user_id=user.pk or 0).values("team_id")
    return runs.filter(Q(owner_id__in=teams) | Q(requested_by_id=user.pk or 0))


def run_get(user: AnyUser, run_id: str) -> ScaffoldRun:
    run = run_visible(user).filter(pk=run_id).first() if is_uuid(run_id) else None
    if run is None:
        raise NotFound(f"No scaffold run {run_id} that you can see.", fields={"id": ["not found"]})
    return run
