"""What the renderer and the clock need, read from the database and settings."""

from __future__ import annotations

from django.conf import settings

from portal.core.models import Team
from portal.previews.models import PreviewConfig, PreviewEnvironment
from portal.previews.render import PreviewSpec, PullRequestRef
from portal.previews.schedule import WorkingHours, working_hours_parse


def spec_for(config: PreviewConfig) -> PreviewSpec:
    service = config.service
    return PreviewSpec(
        service=service.name,
        team=service.owner.name,
        cost_centre=service.owner.cost_centre,
        provider=config.provider,
        repository=config.repository,
        repo_url=service.repo_url or f"https://{config.provider}.com/{config.repository}",
        overlay_path=config.overlay_path,
        image=config.image,
        replicas=config.replicas,
        cpu=float(config.cpu),
        memory_gib=float(config.memory_gib),
        storage_gib=float(config.storage_gib),
        labels=tuple(config.labels or ()),
        api_url=config.api_url,
        token_secret=config.token_secret,
        gitlab_project=config.gitlab_project,
    )


def pull_for(preview: PreviewEnvironment) -> PullRequestRef:
    return PullRequestRef(number=preview.number, branch=preview.branch, head_sha=preview.head_sha)


def working_hours(team: Team | None = None) -> WorkingHours:
    """The working hours previews keep to: the settings' hours and days, in the owning team's timezone if it set one."""
    zone = (team.timezone if team is not None else "") or settings.PREVIEWS_TIMEZONE
    return working_hours_parse(settings.PREVIEWS_WORKING_HOURS, settings.PREVIEWS_WORKING_DAYS, zone)


def config_of(preview: PreviewEnvironment) -> PreviewConfig:
    config: PreviewConfig = preview.service.preview_config
    return config
