"""Reads: which previews a person may see, and one preview with its step log."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.core.errors import NotFound
from portal.core.models import Membership, User
from portal.previews.models import PreviewConfig, PreviewEnvironment, PreviewStep


def sees_every_team(user: User) -> bool:
    return bool(user.is_sre)


def previews_visible_to(user: User) -> QuerySet[PreviewEnvironment]:
    """Platform admins and SREs see every preview; everyone else the previews of their teams' services."""
    previews = PreviewEnvironment.objects.select_related("service__owner")
    if sees_every_team(user):
        return previews
    teams = Membership.objects.filter(user_id=user.pk).values("team_id")
    return previews.filter(service__owner_id__in=teams)


def preview_get(user: User, preview_id: int) -> PreviewEnvironment:
    preview = previews_visible_to(user).select_related("service__preview_config").filter(pk=preview_id).first()
    if preview is None:
        raise NotFound(f"No preview environment {preview_id} that you can see.", fields={"id": ["not found"]})
    return preview


def preview_steps(preview: PreviewEnvironment, *, after: int = 0) -> QuerySet[PreviewStep]:
    return preview.steps.filter(id__gt=after)


def preview_config_get(service_name: str) -> PreviewConfig:
    config = PreviewConfig.objects.select_related("service__owner").filter(service__name=service_name).first()
    if config is None:
        raise NotFound(
            f"Service {service_name} has no preview settings; PUT them to turn previews on.",
            fields={"service": ["no preview settings"]},
        )
    return config
