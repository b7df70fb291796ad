"""Postmortems written at resolution from the evidence (an LLM may polish the prose, never the facts)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import yaml
from django.db import transaction

from portal.incidents.models import Incident, Postmortem, PostmortemVersion
from portal.integrations.llm import prompt_render, text_written


def _minutes(delta: timedelta | None) -> str:
    return "n/a" if delta is None else f"{delta.total_seconds() / 60:.0f} min"


def _facts(incident: Incident) -> dict[str, Any]:
    top = incident.hypotheses.order_by("-analysis", "rank").first()
    first_analysis = incident.timeline.filter(kind="analysis").order_by("at").first()
    actions = list(incident.action_requests.select_related("runbook"))
    resolved = incident.resolved_at or incident.mitigated_at
    return {
        "top": top,
        "actions": actions,
        "duration": (resolved - incident.started_at) if resolved else None,
        "time_to_detect": incident.detected_at - incident.started_at,
        "time_to_suggest": (first_analysis.at - incident.detected_at) if first_analysis else None,
        "time_to_mitigate": (incident.mitigated_at - incident.detected_at) if incident.mitigated_at else None,
        "trigger": top.change if top and top.change_id else None,
    }


def preventive_rules(incident: Incident) -> str:
    """A preventive alert where the evidence supports one: for a memory leak, memory growing too fast."""
    top = incident.hypotheses.order_by("-analysis", "rank").first()
    if top is None or top.kind != "memory_leak" or top.service is None:
        return ""
    name = top.service.name
    memory = f'container_memory_working_set_bytes{{container="{name}"}}'
    rule = {
        "alert": "MemoryGrowingFast",
        "expr": f"sum(deriv({memory}[1h])) / sum(avg_over_time({memory}[1h])) * 3600 > 0.1",
        "for": "15m",
        "labels": {"severity": "ticket", "service": name},
        "annotations": {
            "summary": f"Memory of {name} grows over 10% an hour, as before incident #{incident.pk}",
            "runbook": "rollback-deploy",
        },
    }
    return yaml.safe_dump({"groups": [{"name": f"portal-preventive-{name}", "rules": [rule]}]}, sort_keys=False)


def _went(facts: dict[str, Any]) -> tuple[list[str], list[str]]:
    well, badly = [], []
    if facts["time_to_detect"] <= timedelta(minutes=10):
        well.append(f"Detected {_minutes(facts['time_to_detect'])} after the first symptom.")
    else:
        badly.append(f"Detection took {_minutes(facts['time_to_detect'])}.")
    if facts["top"] is not None:
        well.append(f"The analysis named a cause {_minutes(facts['time_to_suggest'])} after detection.")
    else:
        badly.append("The analysis found no cause; the evidence was too thin.")
    failed = [a for a in facts["actions"] if a.state == "failed"]
    if failed:
        badly.append(f"{len(failed)} remediation action(s) failed before one worked.")
    return well, badly


def postmortem_markdown(incident: Incident, facts: dict[str, Any], summary: str, rules: str) -> str:
    top = facts["top"]
    well, badly = _went(facts)
    lines = [
        f"# Postmortem: {incident.title}",
        "",
        "## Summary",
        summary,
        "",
        "## Impact",
        f"- Services: {', '.join(sorted(s.name for s in incident.services.all()))}",
        f"- Severity: {incident.severity}",
        f"- Duration: {_minutes(facts['duration'])}",
        f"- Time to detect: {_minutes(facts['time_to_detect'])}",
        f"- Time to mitigate: {_minutes(facts['time_to_mitigate'])}",
    ]
    lines += [f"- {key.replace('_', ' ').capitalize()}: {value}" for key, value in incident.impact.items()]
    lines += ["", "## Timeline"]
    lines += [f"- {e.at:%Y-%m-%d %H:%M:%S} UTC, {e.kind}, {e.actor}: {e.message}" for e in incident.timeline.all()]
    lines += ["", "## Root cause"]
    if top is not None:
        lines.append(f"{top.title} (confidence {top.confidence:.0%}). Evidence:")
        lines += [f"- {'supports' if e['supports'] else 'against'}: {e['text']}" for e in top.evidence]
    else:
        lines.append("Not established.")
    trigger = facts["trigger"]
    lines += [
        "",
        "## Trigger",
        f"{trigger.kind} {trigger.version} by {trigger.author or 'unknown'}" if trigger else "No change preceded it.",
        "",
        "## Resolution",
    ]
    lines += [
        f"- {a.runbook.title} in {a.environment.name}: {a.state}"
        + (f", approved by {a.approved_by.username}" if a.approved_by else "")
        for a in facts["actions"]
    ]
    lines += [
        "",
        "## What went well",
        *[f"- {item}" for item in well],
        "",
        "## What went badly",
        *[f"- {item}" for item in badly],
        "",
        "## Action items",
    ]
    lines += [f"- Fix the root cause: {top.title}." if top else "- Find the root cause."]
    if rules:
        lines += ["- Accept the preventive alert below (a rules file).", "", "```yaml", rules.rstrip(), "```"]
    return "\n".join(lines) + "\n"


def _summary(incident: Incident, facts: dict[str, Any]) -> str:
    top = facts["top"]
    template = (
        f"{incident.title}. It started {incident.started_at:%Y-%m-%d %H:%M} UTC and lasted "
        f"{_minutes(facts['duration'])}. " + (f"The most likely cause was {top.title}." if top else "")
    )
    timeline = "\n".join(f"{e.at:%H:%M:%S} {e.kind} {e.actor}: {e.message}" for e in incident.timeline.all())
    evidence = "\n".join(f"- {e['text']}" for e in top.evidence) if top else "not established"
    actions = "\n".join(f"- {a.runbook.title}: {a.state}" for a in facts["actions"]) or "none"
    prompt = prompt_render(
        "postmortem",
        title=incident.title,
        service=incident.service.name,
        severity=incident.severity,
        started_at=f"{incident.started_at:%Y-%m-%d %H:%M} UTC",
        resolved_at=f"{incident.resolved_at:%Y-%m-%d %H:%M} UTC" if incident.resolved_at else "not yet",
        impact=f"duration {_minutes(facts['duration'])}, time to detect {_minutes(facts['time_to_detect'])}",
        timeline=timeline,
        root_cause=f"{top.title}\n{evidence}" if top else evidence,
        remediation=actions,
        similar_incidents="see the root-cause evidence",
    )
    return text_written(prompt, fallback=template, max_tokens=400).text


def incident_impact(incident: Incident) -> dict[str, Any]:
    """Failed requests during the incident and the share of the availability SLO's budget they spent."""
    from portal.integrations.errors import IntegrationError
    from portal.integrations.metrics import Query, Signal, metrics
    from portal.slo.models import SLODefinition

    end = incident.resolved_at or incident.mitigated_at
    if end is None:
        return {}
    seconds = max(60, int((end - incident.started_at).total_seconds()))
    window, at = f"{seconds}s", end.timestamp()
    try:
        rate = metrics().instant(Query(Signal.REQUEST_RATE, incident.service.name, window=window), at=at)
        ratio = metrics().instant(Query(Signal.ERROR_RATIO, incident.service.name, window=window), at=at)
    except IntegrationError:
        return {}
    if not rate or not ratio:
        return {}
    requests = rate[0].points[0][1] * seconds
    failed = requests * ratio[0].points[0][1]
    impact: dict[str, Any] = {"requests_during_incident": int(requests), "failed_requests": int(failed)}
    slo = SLODefinition.objects.filter(service=incident.service, indicator="availability").first()
    if slo is not None:
        try:
            period = metrics().instant(
                Query(Signal.REQUEST_RATE, incident.service.name, window=f"{slo.period_days}d"), at=at
            )
        except IntegrationError:
            period = []
        if period:
            allowed = period[0].points[0][1] * slo.period_days * 86400 * (100 - slo.objective) / 100
            impact["error_budget_consumed_percent"] = round(100 * failed / allowed, 2) if allowed else None
    return impact


@transaction.atomic
def postmortem_write(incident_id: int) -> Postmortem:
    """Write (or rewrite, as a new version) the postmortem of an incident."""
    started = time.monotonic()
    incident = Incident.objects.select_related("service").get(pk=incident_id)
    impact = incident_impact(incident)
    if impact:
        incident.impact = {**incident.impact, **impact}
        incident.save(update_fields=["impact"])
    facts = _facts(incident)
    rules = preventive_rules(incident)
    markdown = postmortem_markdown(incident, facts, _summary(incident, facts), rules)
    sections = {
        "time_to_detect_seconds": facts["time_to_detect"].total_seconds(),
        "time_to_mitigate_seconds": facts["time_to_mitigate"].total_seconds() if facts["time_to_mitigate"] else None,
        "root_cause": facts["top"].title if facts["top"] else None,
    }
    postmortem, created = Postmortem.objects.get_or_create(
        incident=incident,
        defaults={"markdown": markdown, "sections": sections, "proposed_rules": rules, "written_by": "portal"},
    )
    if not created:
        postmortem.version += 1
        postmortem.markdown, postmortem.sections, postmortem.proposed_rules = markdown, sections, rules
    postmortem.generation_seconds = time.monotonic() - started
    postmortem.save()
    PostmortemVersion.objects.create(
        postmortem=postmortem, version=postmortem.version, markdown=markdown, edited_by="portal"
    )
    return postmortem
