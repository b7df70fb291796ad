"""Reads: versions and who pins which, roll-outs with their progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from portal.catalog.models import Service
from portal.core.errors import NotFound
from portal.pipelines.models import PipelineUsage, Rollout, StepsPublication, TargetState
from portal.pipelines.versions import Catalogue, catalogue_load


def versions_overview(catalogue: Catalogue) -> dict[str, Any]:
    """Every version with its changes, whether it is published, and the services that pin it (as last read)."""
    published = {p.version: p for p in StepsPublication.objects.all()}
    usage = list(PipelineUsage.objects.select_related("service").order_by("service__name"))
    by_version: dict[str, list[str]] = {}
    for row in usage:
        by_version.setdefault(row.version, []).append(row.service.name)
    checked = {row.service_id for row in usage}
    unchecked = Service.objects.exclude(repo_url="").exclude(pk__in=checked).order_by("name")
    return {
        "current": catalogue.current,
        "repository": settings.PIPELINES_REPOSITORY,
        "versions": [
            {
                "version": v.version,
                "date": v.date,
                "changes": v.changes,
                "published": v.version in published,
                "published_at": published[v.version].published_at if v.version in published else None,
                "services": by_version.pop(v.version, []),
            }
            for v in catalogue.versions
        ],
        "other_versions": by_version,  # pinned refs versions.yaml does not list
        "not_checked": [s.name for s in unchecked],  # no roll-out has read these yet
    }


def rollouts_list() -> QuerySet[Rollout]:
    return Rollout.objects.select_related("requested_by")


def rollout_get(rollout_id: int) -> Rollout:
    rollout = Rollout.objects.select_related("requested_by").filter(pk=rollout_id).first()
    if rollout is None:
        raise NotFound(f"No pipelines roll-out {rollout_id}.")
    return rollout


def rollout_progress(rollout: Rollout) -> dict[str, Any]:
    states = list(rollout.targets.values_list("state", flat=True))
    counts = {state.value: states.count(state.value) for state in TargetState}
    done = len(states) - counts[TargetState.PENDING]
    return {"total": len(states), "done": done, "percent": round(100 * done / len(states)) if states else 100, **counts}


def pipelines_coordinates() -> dict[str, str]:
    """The golden-path answers that point a new service's CI at the published steps (owner, repository, version)."""
    owner, _, name = str(settings.PIPELINES_REPOSITORY).rpartition("/")
    current = catalogue_load(Path(settings.PIPELINES_STEPS_DIR)).current
    return {"platform_org": owner, "pipelines_repo": name, "pipelines_version": current}
