"""Receive alerts, group them into incidents, keep the timeline, move incidents through their states."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.catalog.models import Service
from portal.core.audit import AuditContext, audit_record
from portal.core.errors import ApplicationError, Conflict
from portal.core.models import User
from portal.core.permissions import AnyUser, require_write_owned_by
from portal.incidents.alertmanager import AlertDraft, severity_for
from portal.incidents.models import Alert, Incident, IncidentState, TimelineEntry, TimelineKind

GROUP_WINDOW = timedelta(minutes=30)
SEVERITY_ORDER = ["sev1", "sev2", "sev3", "sev4"]
TRANSITIONS = {
    IncidentState.OPEN: {IncidentState.MITIGATED, IncidentState.RESOLVED},
    IncidentState.MITIGATED: {IncidentState.OPEN, IncidentState.RESOLVED},
    IncidentState.RESOLVED: {IncidentState.OPEN},
}


def timeline_add(
    incident: Incident,
    *,
    kind: str,
    actor: str,
    message: str,
    at: datetime | None = None,
    data: dict[str, Any] | None = None,
    dedupe_key: str = "",
) -> TimelineEntry | None:
    """Add an entry; an entry with the same dedupe key is added once."""
    try:
        with transaction.atomic():
            return TimelineEntry.objects.create(
                incident=incident,
                kind=kind,
                actor=actor,
                message=message,
                at=at or timezone.now(),
                data=data or {},
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        return None


def _neighbours(service: Service) -> list[int]:
    """The service and its direct dependencies and dependents: one fault often alerts on several."""
    ids = {service.pk}
    ids.update(service.dependencies.values_list("pk", flat=True))
    ids.update(service.dependents.values_list("pk", flat=True))
    return list(ids)


def incident_for(service: Service, at: datetime) -> Incident | None:
    """The open incident this service's new alert belongs to: same or neighbouring service, recent activity."""
    return (
        Incident.objects.filter(
            state__in=[IncidentState.OPEN, IncidentState.MITIGATED], last_activity_at__gte=at - GROUP_WINDOW
        )
        .filter(Q(service_id__in=_neighbours(service)) | Q(services__in=_neighbours(service)))
        .order_by("-last_activity_at")
        .first()
    )


def _open_incident(service: Service, draft: AlertDraft, now: datetime) -> Incident:
    summary = draft.annotations.get("summary") or draft.annotations.get("description") or ""
    incident = Incident.objects.create(
        title=f"{draft.name} on {service.name}" + (f": {summary}" if summary else "")[:250],
        service=service,
        severity=severity_for(tier=service.tier, alert_severity=draft.severity),
        started_at=draft.starts_at,
        detected_at=now,
        last_activity_at=now,
    )
    incident.services.add(service)
    timeline_add(
        incident,
        kind=TimelineKind.STATE,
        actor="portal",
        at=now,
        message=f"Incident opened from alert {draft.name} on {service.name}",
    )
    return incident


def alert_receive(draft: AlertDraft, *, source: str, now: datetime | None = None) -> tuple[Alert | None, str]:
    """Store or update one alert and attach it to its incident; return it and what happened.

    `now` is when the portal saw it: the wall clock for webhooks, the scan's time for the portal's own scans.
    """
    service = Service.objects.filter(name=draft.service).first() if draft.service else None
    if service is None:
        return None, f"no service in the catalog matches alert {draft.name} (labels: service, app, job...)"
    now = now or timezone.now()
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update()
            .filter(source=source, fingerprint=draft.fingerprint, starts_at=draft.starts_at)
            .first()
        )
        if alert is not None:
            return alert, _alert_update(alert, draft, now)
        alert = Alert.objects.create(
            source=source,
            fingerprint=draft.fingerprint,
            name=draft.name,
            status=draft.status,
            severity=draft.severity,
            service=service,
            labels=draft.labels,
            annotations=draft.annotations,
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            generator_url=draft.generator_url,
            last_received_at=now,
        )
        if draft.status == "resolved":
            return alert, "stored resolved alert (no incident)"
        incident = incident_for(service, now)
        created = incident is None
        if incident is None:
            incident = _open_incident(service, draft, now)
        _attach(incident, alert, service, draft, now)
        transaction.on_commit(lambda: incident_analysis_enqueue(incident.pk))
        return alert, "opened incident" if created else "grouped into incident"


def _attach(incident: Incident, alert: Alert, service: Service, draft: AlertDraft, now: datetime) -> None:
    alert.incident = incident
    alert.save(update_fields=["incident"])
    incident.services.add(service)
    severity = severity_for(tier=service.tier, alert_severity=draft.severity)
    if SEVERITY_ORDER.index(severity) < SEVERITY_ORDER.index(incident.severity):
        incident.severity = severity
    incident.last_activity_at = now
    incident.started_at = min(incident.started_at, draft.starts_at)
    if incident.state == IncidentState.MITIGATED:
        incident.state = IncidentState.OPEN
        timeline_add(
            incident,
            kind=TimelineKind.STATE,
            actor="portal",
            at=now,
            message="Reopened: a new alert fired after mitigation",
        )
    incident.save()
    timeline_add(
        incident,
        kind=TimelineKind.ALERT,
        actor=alert.source,
        at=draft.starts_at,
        message=f"{draft.name} firing on {service.name}" + _summary(draft),
        data={"alert_id": alert.pk, "labels": draft.labels},
        dedupe_key=f"alert:{alert.pk}:firing",
    )


def _summary(draft: AlertDraft) -> str:
    text = draft.annotations.get("summary", "")
    return f": {text}" if text else ""


def _alert_update(alert: Alert, draft: AlertDraft, now: datetime) -> str:
    alert.received_count += 1
    alert.last_received_at = now
    changed = alert.status != draft.status
    alert.status, alert.ends_at = draft.status, draft.ends_at
    alert.save()
    if not changed or alert.incident is None:
        return "repeat ignored"
    incident = alert.incident
    if draft.status == "resolved":
        timeline_add(
            incident,
            kind=TimelineKind.ALERT,
            actor=alert.source,
            at=draft.ends_at or now,
            message=f"{alert.name} resolved on {alert.service.name if alert.service else '?'}",
            data={"alert_id": alert.pk},
            dedupe_key=f"alert:{alert.pk}:resolved",
        )
        if incident.state == IncidentState.OPEN and not incident.alerts.filter(status="firing").exists():
            _state_change(incident, IncidentState.MITIGATED, actor="portal", reason="all alerts resolved", at=now)
    incident.last_activity_at = now
    incident.save(update_fields=["last_activity_at"])
    return f"alert {draft.status}"


def _state_change(incident: Incident, state: str, *, actor: str, reason: str, at: datetime) -> None:
    incident.state = state
    if state == IncidentState.MITIGATED:
        incident.mitigated_at = incident.mitigated_at or at
    elif state == IncidentState.RESOLVED:
        incident.mitigated_at = incident.mitigated_at or at
        incident.resolved_at = at
    else:
        incident.resolved_at = None
    incident.save()
    timeline_add(incident, kind=TimelineKind.STATE, actor=actor, at=at, message=f"{state.capitalize()}: {reason}")
    if state == IncidentState.RESOLVED:
        transaction.on_commit(lambda: incident_resolved_enqueue(incident.pk))


@transaction.atomic
def incident_state_set(
    *, actor: AnyUser, incident: Incident, state: str, reason: str, context: AuditContext | None = None
) -> Incident:
    if not getattr(actor, "is_sre", False):  # SREs work on every incident; others on their team's
        require_write_owned_by(actor, incident.service.owner, what=f"incident #{incident.pk}")
    if state not in TRANSITIONS.get(incident.state, set()):  # type: ignore[call-overload]
        raise Conflict(f"An incident that is {incident.state} cannot become {state}.", fields={"state": [state]})
    if not reason.strip():
        raise ApplicationError("Say why the state changes.", fields={"reason": ["required"]})
    before = {"state": incident.state}
    _state_change(incident, state, actor=actor.get_username(), reason=reason, at=timezone.now())
    audit_record(
        actor=actor if isinstance(actor, User) else None,
        action="state",
        instance=incident,
        before=before,
        after={"state": state, "reason": reason},
        context=context,
    )
    return incident


def note_add(*, actor: AnyUser, incident: Incident, text: str) -> TimelineEntry:
    if not text.strip():
        raise ApplicationError("A note needs text.", fields={"text": ["required"]})
    entry = timeline_add(incident, kind=TimelineKind.NOTE, actor=actor.get_username(), message=text.strip())
    assert entry is not None
    return entry


def _enqueue(setting: str, incident_id: int) -> None:
    dotted = getattr(settings, setting, "")
    if dotted:
        import_string(dotted).delay(incident_id)


def incident_analysis_enqueue(incident_id: int) -> None:
    _enqueue("INCIDENT_ANALYSIS_TASK", incident_id)


def incident_resolved_enqueue(incident_id: int) -> None:
    _enqueue("INCIDENT_RESOLVED_TASK", incident_id)


@transaction.atomic
def postmortem_edit(*, actor: User, postmortem: Any, markdown: str, context: AuditContext | None = None) -> Any:
    """A person's edit: a new version, the old ones kept."""
    from portal.incidents.models import PostmortemVersion

    if not getattr(actor, "is_sre", False):
        require_write_owned_by(actor, postmortem.incident.service.owner, what="this postmortem")
    if not markdown.strip():
        raise ApplicationError("A postmortem cannot be empty.", fields={"markdown": ["required"]})
    postmortem.version += 1
    postmortem.markdown = markdown
    postmortem.written_by = actor.get_username()
    postmortem.save()
    PostmortemVersion.objects.create(
        postmortem=postmortem, version=postmortem.version, markdown=markdown, edited_by=actor.get_username()
    )
    audit_record(
        actor=actor, action="update", instance=postmortem, after={"version": postmortem.version}, context=context
    )
    return postmortem
