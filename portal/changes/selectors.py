"""Reads for change risk: the history of an author, of files and of a service; freezes; the version to return to."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Q, QuerySet

from portal.catalog.models import Service
from portal.changes import risk
from portal.changes.models import ChangeEvent, ChangeKind, ChangeStatus, RiskAssessment
from portal.core.models import User
from portal.core.permissions import is_platform_admin

HISTORY_DAYS = 90
AREA_HISTORY_DAYS = 180
RECENT_INCIDENT_DAYS = 30
ROLLED_BACK_WITHIN = timedelta(hours=24)


def team_timezone(service: Service) -> str:
    """The owning team's timezone: the team's own, else settings.CHANGE_RISK_TIMEZONES[team], else the default (UTC)."""
    zones: dict[str, str] = settings.CHANGE_RISK_TIMEZONES
    return str(service.owner.timezone or zones.get(service.owner.name) or settings.CHANGE_RISK_DEFAULT_TIMEZONE)


def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _bad_versions(service_ids: set[int] | None, since: datetime, until: datetime) -> tuple[set[str], set[str]]:
    """(versions that failed or were rolled back, versions an incident hypothesis blamed) in the window."""
    from portal.aiops.models import Hypothesis

    events = ChangeEvent.objects.filter(occurred_at__gte=since, occurred_at__lt=until).exclude(version="")
    if service_ids is not None:
        events = events.filter(service_id__in=service_ids)
    failed = set(events.filter(status=ChangeStatus.FAILED).values_list("version", flat=True))
    rollbacks = list(events.filter(kind=ChangeKind.ROLLBACK).values_list("service_id", "occurred_at"))
    for service_id, when in rollbacks:
        undone = (
            events.filter(service_id=service_id, kind=ChangeKind.DEPLOY, occurred_at__lt=when)
            .filter(occurred_at__gte=when - ROLLED_BACK_WITHIN)
            .order_by("-occurred_at")
            .values_list("version", flat=True)
            .first()
        )
        if undone:
            failed.add(undone)
    blamed_changes = Hypothesis.objects.filter(change__isnull=False, change__occurred_at__gte=since)
    blamed = set(blamed_changes.exclude(change__version="").values_list("change__version", flat=True))
    return failed, blamed


def _author_history(author: str, at: datetime) -> tuple[int, int]:
    """(changes, bad changes) by the author in the window; bad = failed, rolled back or blamed for an incident."""
    if not author:
        return 0, 0
    since = at - timedelta(days=HISTORY_DAYS)
    mine = ChangeEvent.objects.filter(author__iexact=author, occurred_at__gte=since, occurred_at__lt=at)
    mine = mine.exclude(kind__in=[ChangeKind.ROLLBACK, ChangeKind.PIPELINE])  # runs are not changes that ship
    failed, blamed = _bad_versions(set(mine.values_list("service_id", flat=True)), since, at)
    rows = list(mine.values_list("version", "status"))
    bad = sum(1 for version, status in rows if status == ChangeStatus.FAILED or version in failed | blamed)
    return len(rows), bad


def _area_history(service: Service, paths: set[str], at: datetime, head_sha: str) -> tuple[int, int]:
    """(failed or rolled-back, incident-blamed) earlier assessed changes of the service that touched the same files."""
    since = at - timedelta(days=AREA_HISTORY_DAYS)
    earlier = RiskAssessment.objects.filter(service=service, at__gte=since, at__lt=at)
    earlier = earlier.exclude(head_sha="").exclude(head_sha=head_sha)
    overlapping = [
        {head, merged} - {""}
        for head, merged, files in earlier.values_list("head_sha", "merge_sha", "files")
        if paths & {f.get("path") for f in files}
    ]
    if not overlapping:
        return 0, 0
    failed, blamed = _bad_versions({service.pk}, since, at)
    return sum(1 for shas in overlapping if shas & failed), sum(1 for shas in overlapping if shas & blamed)


def _incidents(service: Service, at: datetime) -> tuple[int, int]:
    from portal.incidents.models import Incident, IncidentState

    mine = Incident.objects.filter(Q(service=service) | Q(services=service)).distinct()
    open_now = mine.filter(state=IncidentState.OPEN, started_at__lte=at).count()
    recent = mine.filter(started_at__gte=at - timedelta(days=RECENT_INCIDENT_DAYS), started_at__lte=at).count()
    return open_now, recent


def change_history(*, service: Service, author: str, paths: set[str], at: datetime, head_sha: str) -> risk.History:
    changes, bad = _author_history(author, at)
    area_failures, area_incidents = _area_history(service, paths, at, head_sha)
    open_now, recent = _incidents(service, at)
    return risk.History(
        author_changes=changes,
        author_bad=bad,
        area_failures=area_failures,
        area_incidents=area_incidents,
        open_incidents=open_now,
        recent_incidents=recent,
        window_days=HISTORY_DAYS,
    )


def freezes_at(at: datetime, environment_kind: str = "prod") -> list[str]:
    """Reasons of the change freezes in force at `at` for this kind of environment (remediation's ChangeFreeze)."""
    from portal.remediation.models import ChangeFreeze

    found = ChangeFreeze.objects.filter(starts_at__lte=at, ends_at__gt=at).order_by("starts_at")
    return [f.reason for f in found if not f.environment_kinds or environment_kind in f.environment_kinds]


def last_good_version(service: Service, *, exclude: str = "") -> str:
    """The version of the service's last successful deploy (production first), other than `exclude`."""
    deploys = ChangeEvent.objects.filter(service=service, kind=ChangeKind.DEPLOY, status=ChangeStatus.SUCCEEDED)
    deploys = deploys.exclude(version="")
    if exclude:
        deploys = deploys.exclude(version=exclude)
    prod = deploys.filter(environment__kind="prod").order_by("-occurred_at").first()
    chosen = prod or deploys.order_by("-occurred_at").first()
    return chosen.version if chosen else ""


def rollback_runbook() -> str:
    from portal.remediation.models import Runbook

    return "rollback-deploy" if Runbook.objects.filter(name="rollback-deploy").exists() else ""


def assessments_visible(user: User) -> QuerySet[RiskAssessment]:
    """Platform admins and SREs see every assessment; others those of their teams' services."""
    assessments = RiskAssessment.objects.select_related("service", "service__owner")
    if is_platform_admin(user) or user.is_sre:
        return assessments
    return assessments.filter(service__owner__memberships__user=user)
