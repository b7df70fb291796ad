"""Analyse an incident: gather evidence, rank hypotheses, suggest runbooks, and write it on the timeline."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max

from portal.aiops.analysis.hypotheses import ChangeFact, Draft, SimilarIncident, rank_hypotheses
from portal.aiops.analysis.logs import LogFinding, log_findings
from portal.aiops.analysis.signals import Onset, Trend, service_onsets
from portal.aiops.analysis.traces import TraceFinding, trace_findings_safe
from portal.aiops.knowledge import incident_text, similar_documents
from portal.aiops.models import Hypothesis
from portal.catalog.models import Environment, Service
from portal.changes.models import ChangeEvent
from portal.core.telemetry import ANALYSIS_SECONDS
from portal.incidents.models import Incident, IncidentState, TimelineKind
from portal.incidents.services import timeline_add
from portal.integrations.errors import IntegrationError
from portal.remediation.models import ActionRequest, Runbook
from portal.remediation.services import action_request

LOOKBACK = 3 * 3600.0
logger = logging.getLogger(__name__)
SUGGEST_SCALE_OUT_REPLICAS = 2  # extra replicas for headroom while a rollback lands


def _dependencies(services: list[Service]) -> dict[str, list[str]]:
    return {s.name: sorted(d.name for d in s.dependencies.all()) for s in services}


def _changes(services: list[Service], start: float, end: float) -> list[ChangeFact]:
    events = ChangeEvent.objects.filter(
        service__in=services,
        status="succeeded",
        kind__in=["deploy", "config", "feature_flag", "scaling"],
        occurred_at__gte=datetime.fromtimestamp(start, UTC),
        occurred_at__lte=datetime.fromtimestamp(end, UTC),
    ).select_related("service")
    return [
        ChangeFact(
            id=e.pk,
            service=e.service.name,
            kind=e.kind,
            version=e.version,
            at=e.occurred_at.timestamp(),
            author=e.author,
        )
        for e in events
    ]


def _similar(incident: Incident) -> list[SimilarIncident]:
    try:
        documents = similar_documents(incident_text(incident), exclude_incident=incident.pk, limit=3)
    except IntegrationError:
        return []
    out = []
    for document in documents:
        if document.incident is None:
            continue
        top = document.incident.hypotheses.order_by("-analysis", "rank").first()
        out.append(
            SimilarIncident(
                incident_id=document.incident.pk,
                title=document.title,
                similarity=1 - float(document.distance),  # type: ignore[attr-defined]
                root_cause_kind=top.kind if top else "",
            )
        )
    return out


@dataclass
class Gathered:
    onsets: list[Onset]
    trends: list[Trend]
    services: list[Service]
    traces: list[TraceFinding] = field(default_factory=list)
    logs: list[LogFinding] = field(default_factory=list)


def gather(incident: Incident, *, now: float) -> Gathered:
    """Onsets and trends on the incident's services and their dependencies; then traces and logs around them."""
    services = list(incident.services.all()) or [incident.service]
    for service in list(services):
        services.extend(d for d in service.dependencies.all() if d not in services)
    split = incident.started_at.timestamp()
    onsets: list[Onset] = []
    trends: list[Trend] = []
    for service in services:
        found, found_trends = service_onsets(service.name, start=split - LOOKBACK, split=split, end=now)
        onsets += found
        trends += found_trends
    first = min((o.started_at for o in onsets), default=split)
    traces = trace_findings_safe(incident.service.name, split=min(first, split), end=now)
    for culprit in Service.objects.filter(name__in=[f.service for f in traces if f.culprit]).exclude(
        pk__in=[s.pk for s in services]
    ):  # a culprit deeper than the direct dependencies: its signals and changes count too
        services.append(culprit)
        found, found_trends = service_onsets(culprit.name, start=split - LOOKBACK, split=split, end=now)
        onsets += found
        trends += found_trends
    names = [s.name for s in services]
    return Gathered(
        onsets, trends, services, traces, _logs(names, start=split - LOOKBACK, split=min(first, split), end=now)
    )


def _logs(services: list[str], *, start: float, split: float, end: float) -> list[LogFinding]:
    try:
        return log_findings(services, start=start, split=split, end=end)
    except IntegrationError:
        return []  # the analysis goes on without log evidence
    except Exception:  # a fault in log mining must not cost the incident its analysis
        logger.exception("log evidence failed; analysing without it")
        return []


@transaction.atomic
def incident_analyse(incident_id: int, *, now: float | None = None) -> list[Hypothesis]:
    """One analysis run; its hypotheses replace none of the earlier ones (runs are numbered)."""
    incident = Incident.objects.select_related("service").get(pk=incident_id)
    now = now if now is not None else time.time()
    started = time.monotonic()
    gathered = gather(incident, now=now)
    onsets, trends, services = gathered.onsets, gathered.trends, gathered.services
    first = min((o.started_at for o in onsets), default=incident.started_at.timestamp())
    changes = _changes(services, first - 6 * 3600, first + 300)
    similar = _similar(incident)
    drafts = rank_hypotheses(
        service=incident.service.name,
        onsets=onsets,
        trends=trends,
        changes=changes,
        similar=similar,
        dependencies=_dependencies(services),
        traces=gathered.traces,
        logs=gathered.logs,
    )
    run = (incident.hypotheses.aggregate(n=Max("analysis"))["n"] or 0) + 1
    stored = [_store(incident, draft, rank, run) for rank, draft in enumerate(drafts[:5], start=1)]
    elapsed = time.monotonic() - started
    ANALYSIS_SECONDS.observe(elapsed)
    _timeline(incident, stored, onsets, changes, elapsed)
    _timeline_traces(incident, gathered.traces)
    if stored and incident.state == IncidentState.OPEN:
        _suggest_actions(incident, stored[0])
    return stored


def _store(incident: Incident, draft: Draft, rank: int, run: int) -> Hypothesis:
    runbooks = sorted(Runbook.objects.filter(fits__contains=[draft.kind]).values_list("name", flat=True))
    return Hypothesis.objects.create(
        incident=incident,
        rank=rank,
        kind=draft.kind,
        title=draft.title,
        confidence=draft.confidence,
        service=Service.objects.filter(name=draft.service).first(),
        change_id=draft.change_id,
        evidence=draft.evidence,
        runbooks=runbooks,
        analysis=run,
    )


def _timeline(
    incident: Incident, stored: list[Hypothesis], onsets: list[Onset], changes: list[ChangeFact], elapsed: float
) -> None:
    for change in changes:
        timeline_add(
            incident,
            kind=TimelineKind.CHANGE,
            actor="portal",
            at=datetime.fromtimestamp(change.at, UTC),
            message=f"{change.kind} {change.version} on {change.service}"
            + (f" by {change.author}" if change.author else ""),
            data={"change_id": change.id},
            dedupe_key=f"change:{change.id}",
        )
    for found in sorted(onsets, key=lambda o: o.started_at)[:8]:
        timeline_add(
            incident,
            kind=TimelineKind.ANOMALY,
            actor="portal",
            at=datetime.fromtimestamp(found.started_at, UTC),
            message=f"{found.signal} of {found.service} went {found.direction} ({found.z:.0f} MADs from normal)",
            data=asdict(found),
            dedupe_key=f"onset:{found.service}:{found.signal}:{int(found.started_at)}",
        )
    if stored:
        top = stored[0]
        message = f"Most likely cause: {top.title} ({top.confidence:.0%}), found in {elapsed:.1f}s"
    else:
        message = f"No cause found yet: no signal left normal and no change explains it ({elapsed:.1f}s)"
    timeline_add(
        incident,
        kind=TimelineKind.ANALYSIS,
        actor="portal",
        message=message,
        data={"hypotheses": [h.pk for h in stored]},
    )


def _timeline_traces(incident: Incident, findings: list[TraceFinding]) -> None:
    for found in [f for f in findings if f.culprit]:
        change = (
            f"own time {found.before * 1000:.0f} ms -> {found.after * 1000:.0f} ms"
            if found.kind == "latency"
            else f"failing {found.before:.0%} -> {found.after:.0%}"
        )
        timeline_add(
            incident,
            kind=TimelineKind.ANOMALY,
            actor="portal",
            at=datetime.fromtimestamp(found.first_seen, UTC) if found.first_seen else None,
            message=f"traces: {found.service} ({found.operation}) {change}, along {' -> '.join(found.path)}",
            data={"trace_ids": list(found.trace_ids), "link": found.link, "path": list(found.path)},
            dedupe_key=f"trace:{found.service}:{found.operation}:{found.kind}",
        )


def _suggest_actions(incident: Incident, top: Hypothesis) -> list[ActionRequest]:
    """Suggest the top hypothesis' remedies (rollback first, and headroom); the policy decides who approves."""
    service = top.service or incident.service
    environment = _production(service)
    if environment is None:
        return []
    live = set(
        ActionRequest.objects.filter(incident=incident)
        .exclude(state__in=["rejected", "denied", "expired", "failed"])
        .values_list("runbook__name", flat=True)
    )
    evidence: list[Any] = [{"hypothesis": top.pk, "title": top.title, "confidence": top.confidence}, *top.evidence]
    suggested: list[tuple[str, dict[str, Any], str]] = []
    if "rollback-deploy" in top.runbooks and top.change_id:
        suggested.append(("rollback-deploy", {}, f"Roll back: {top.title}"))
    if top.kind in ("memory_leak", "capacity"):
        current = 3 if service.tier == 1 else 2
        suggested.append(
            ("scale-out", {"replicas": current + SUGGEST_SCALE_OUT_REPLICAS}, "Temporary headroom while the fix lands")
        )
    return [
        action_request(
            runbook=Runbook.objects.get(name=name),
            service=service,
            environment=environment,
            parameters=parameters,
            reason=reason,
            evidence=evidence,
            requested_by=None,
            incident=incident,
        )
        for name, parameters, reason in suggested
        if name not in live and Runbook.objects.filter(name=name).exists()
    ]


def _production(service: Service) -> Environment | None:
    placement = service.placements.select_related("environment").filter(environment__kind="prod").first()
    if placement is not None:
        return placement.environment
    return Environment.objects.filter(kind="prod").first()


def analysis_latency(incident: Incident) -> timedelta | None:
    """Time from detection to the first suggestion (an OKR figure)."""
    first = incident.hypotheses.order_by("created_at").first()
    return first.created_at - incident.detected_at if first else None
