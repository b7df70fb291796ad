"""The seed's incident, end to end on the sandbox: a deploy leaks memory, the portal finds it, a person
approves the fix, the signals recover, the postmortem writes itself. Used by `manage.py demo_incident`,
the demo button and the end-to-end test; every step goes through the same services production uses."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from portal.aiops.analysis.service import incident_analyse
from portal.aiops.knowledge import incident_text, knowledge_store
from portal.aiops.models import Hypothesis
from portal.aiops.scan import scan_service
from portal.catalog.models import Environment, Service
from portal.changes.models import ChangeEvent
from portal.core.models import User
from portal.incidents.alertmanager import AlertDraft
from portal.incidents.models import AlertSource, Incident, IncidentState
from portal.incidents.postmortems import postmortem_write
from portal.incidents.services import alert_receive, incident_state_set
from portal.integrations.metrics import metrics
from portal.integrations.metrics.sandbox.catalog import CatalogSandbox
from portal.remediation.models import ActionRequest, ActionState
from portal.remediation.services import action_decide, action_execute, action_verify
from portal.slo.services import slo_burn_evaluate, slos_default_for

LEAK_LEAD = 40 * 60  # the bad deploy lands this long before "now"
SCAN_EVERY = 120.0
CONFIDENT = 0.6
APPROVAL_DELAY = 180.0  # how long the on-call SRE takes to read the evidence and approve
VERIFY_AFTER = 10 * 60.0


@dataclass
class StoryResult:
    incident: Incident
    marks: dict[str, float] = field(default_factory=dict)  # step -> unix time
    lines: list[str] = field(default_factory=list)


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def past_incident(service: Service, *, when: datetime) -> Incident:
    """A resolved memory-leak incident from last month, so the knowledge base has something to match."""
    incident, created = Incident.objects.get_or_create(
        title=f"Memory leak after deploy v1.2.0 on {service.name}",
        service=service,
        defaults={
            "state": IncidentState.RESOLVED,
            "severity": "sev2",
            "started_at": when,
            "detected_at": when,
            "resolved_at": when + timedelta(hours=1),
            "last_activity_at": when + timedelta(hours=1),
            "summary": "Memory grew after the deploy until pods were OOM-killed; latency and 5xx rose. Rolled back.",
        },
    )
    if created:
        incident.services.add(service)
        Hypothesis.objects.create(
            incident=incident,
            rank=1,
            kind="memory_leak",
            service=service,
            confidence=0.8,
            title=f"deploy v1.2.0 on {service.name} leaks memory",
            analysis=1,
            evidence=[{"kind": "trend", "supports": True, "text": "memory grew 40% an hour"}],
        )
        knowledge_store(incident=incident, kind="incident", title=incident.title, text=incident_text(incident))
    return incident


def story_run(
    *,
    service_name: str = "checkout-api",
    approver: str = "sam",
    now: float | None = None,
    say: Callable[[str], None] = print,
) -> StoryResult:
    """Replay the story; `now` is when the incident is detected (defaults to the wall clock)."""
    source = metrics()
    if not isinstance(source, CatalogSandbox):
        raise RuntimeError("The demo incident runs on the sandbox metrics (METRICS_BACKEND unset).")
    now = now if now is not None else time.time()
    service = Service.objects.get(name=service_name)
    prod = Environment.objects.get(kind="prod", name="prod")
    slos_default_for(service)
    past_incident(service, when=_at(now) - timedelta(days=30))
    deploy_at = now - LEAK_LEAD
    _deploys(service, prod, deploy_at)
    scan_service(service, now=deploy_at - 60)  # the scanner has watched the service all along
    source.scenario_start("memory-leak", service.name, start=deploy_at)
    result = StoryResult(incident=None)  # type: ignore[arg-type]
    mark = _marker(result, say)
    mark("deploy", deploy_at, f"deploy v1.5.0 of {service.name} to prod (it leaks memory)")
    result.incident = _watch(service, deploy_at, now, mark)
    _remediate(result, result.incident, now, approver, mark)
    return result


def _watch(service: Service, deploy_at: float, until: float, mark: Callable[[str, float, str], None]) -> Incident:
    """Scan every SCAN_EVERY seconds, as beat does, evaluating burn rates too, until an incident opens."""
    at = deploy_at
    while at < until:
        at += SCAN_EVERY
        _scan(service, at, mark)
        incident = Incident.objects.filter(service=service, state=IncidentState.OPEN).order_by("-pk").first()
        if incident is not None:
            mark("detected", incident.detected_at.timestamp(), f"incident #{incident.pk} opened: {incident.title}")
            return incident
    raise RuntimeError("No incident opened: the scan and the burn-rate alerts found nothing.")


def _scan(service: Service, at: float, mark: Callable[[str, float, str], None]) -> None:
    for anomaly in sorted(scan_service(service, now=at), key=lambda a: a.started_at):
        mark(
            f"anomaly:{anomaly.signal}",
            anomaly.started_at.timestamp(),
            f"anomaly scan: {anomaly.signal} went {anomaly.direction} (likelihood {anomaly.score:.2f})",
        )
    slo_burn_evaluate(now=at)


def _analyse_until_confident(
    service: Service, incident: Incident, until: float, mark: Callable[[str, float, str], None]
) -> tuple[float, Hypothesis | None]:
    """Re-analyse as the incident develops (production does it on every new alert) until a cause is clear."""
    at = incident.detected_at.timestamp()
    top = None
    while at <= until:
        hypotheses = incident_analyse(incident.pk, now=at)
        top = hypotheses[0] if hypotheses else None
        if top is not None and top.confidence >= CONFIDENT:
            break
        at += SCAN_EVERY
        _scan(service, at, mark)
    mark("suggested", at, f"analysis: {top.title} ({top.confidence:.0%})" if top else "analysis: no cause")
    return at, top


def _deploys(service: Service, prod: Environment, deploy_at: float) -> None:
    for version, at in (("v1.4.0", deploy_at - 26 * 3600), ("v1.5.0", deploy_at)):
        ChangeEvent.objects.get_or_create(
            source="portal",
            external_id=f"demo:{service.name}:{version}:{int(at)}",
            defaults={
                "service": service,
                "environment": prod,
                "kind": "deploy",
                "version": version,
                "occurred_at": _at(at),
                "author": "ci-bot",
                "status": "succeeded",
            },
        )


def _marker(result: StoryResult, say: Callable[[str], None]) -> Callable[[str, float, str], None]:
    def mark(step: str, ts: float, text: str) -> None:
        result.marks[step] = ts
        line = f"{_at(ts):%H:%M:%S}  {text}"
        result.lines.append(line)
        say(line)

    return mark


def _remediate(
    result: StoryResult, incident: Incident, now: float, approver: str, mark: Callable[[str, float, str], None]
) -> None:
    at, top = _analyse_until_confident(incident.service, incident, now, mark)
    for evidence in (top.evidence if top else [])[:5]:
        result.lines.append(f"          evidence: {evidence['text']}")
    sre = User.objects.get(username=approver)
    approved_at = at + APPROVAL_DELAY
    for action in ActionRequest.objects.filter(incident=incident, state=ActionState.PENDING).order_by("pk"):
        mark(
            f"requested:{action.runbook.name}",
            at,
            f"suggested {action.runbook.title}: policy says {action.decision} ({'; '.join(action.decision_reasons)})",
        )
        action_decide(actor=sre, action=action, approve=True, comment="evidence is convincing; go")
        mark(f"approved:{action.runbook.name}", approved_at, f"{sre.username} approved {action.runbook.title}")
        action_execute(action.pk, at=approved_at)
    verified_at = approved_at + VERIFY_AFTER
    for action in ActionRequest.objects.filter(incident=incident, state=ActionState.VERIFYING):
        state = action_verify(action.pk, at=verified_at)
        mark(f"verified:{action.runbook.name}", verified_at, f"{action.runbook.title}: {state}")
    incident.refresh_from_db()
    if incident.state == IncidentState.MITIGATED:
        mark("mitigated", verified_at, "signals back to normal: incident mitigated")
        incident_state_set(
            actor=sre,
            incident=incident,
            state=IncidentState.RESOLVED,
            reason="rolled back v1.5.0; memory, latency and errors normal",
        )
        started = time.monotonic()
        postmortem = postmortem_write(incident.pk)
        knowledge_store(
            incident=incident, kind="postmortem", title=f"Postmortem: {incident.title}", text=postmortem.markdown
        )
        mark(
            "postmortem",
            verified_at + (time.monotonic() - started),
            f"postmortem v{postmortem.version} written in {postmortem.generation_seconds:.2f}s and indexed"
            + ("; a preventive alert is proposed" if postmortem.proposed_rules else ""),
        )


SLOWDOWN_LEAD = 20 * 60  # the dependency slows down this long before "now"
ALERT_FOR = 5 * 60  # Alertmanager's `for:` on the p99 alert


def slowdown_story_run(
    *,
    front: str = "checkout-api",
    culprit: str = "catalog-search",
    now: float | None = None,
    say: Callable[[str], None] = print,
) -> StoryResult:
    """A dependency three hops down slows down; the p99 alert fires on the front end; traces name the dependency."""
    source = metrics()
    if not isinstance(source, CatalogSandbox):
        raise RuntimeError("The demo incident runs on the sandbox metrics (METRICS_BACKEND unset).")
    now = now if now is not None else time.time()
    for name in (front, culprit):
        if not Service.objects.filter(name=name).exists():
            raise LookupError(f"No service '{name}' in the catalog: load the demo (make run) or pick another.")
    slow_at = now - SLOWDOWN_LEAD
    source.scenario_start("dependency-slowdown", culprit, start=slow_at)
    result = StoryResult(incident=None)  # type: ignore[arg-type]
    mark = _marker(result, say)
    mark("slowdown", slow_at, f"{culprit} slows down: every request takes 0.5 s more")
    draft = AlertDraft(
        fingerprint=f"demo-slowdown-{front}-{int(slow_at)}",
        name="HighLatencyP99",
        status="firing",
        severity="critical",
        service=front,
        starts_at=_at(slow_at + ALERT_FOR),
        ends_at=None,
        labels={"alertname": "HighLatencyP99", "service": front, "severity": "critical"},
        annotations={"summary": f"p99 latency of {front} above its objective"},
    )
    alert, _ = alert_receive(draft, source=AlertSource.ALERTMANAGER, now=_at(slow_at + ALERT_FOR + 30))
    if alert is None or alert.incident is None:
        raise RuntimeError(f"The alert on {front} opened no incident.")
    result.incident = alert.incident
    mark(
        "detected", slow_at + ALERT_FOR + 30, f"Alertmanager: HighLatencyP99 on {front}; incident #{alert.incident.pk}"
    )
    hypotheses = incident_analyse(alert.incident.pk, now=now)
    top = hypotheses[0] if hypotheses else None
    mark("suggested", now, f"analysis: {top.title} ({top.confidence:.0%})" if top else "analysis: no cause")
    for evidence in (top.evidence if top else [])[:5]:
        link = evidence.get("data", {}).get("link")
        line = f"          evidence: {evidence['text']}" + (f"\n            {link}" if link else "")
        result.lines.append(line)
        say(line)
    return result
