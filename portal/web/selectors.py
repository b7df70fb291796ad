"""Reads for the portal's pages: catalog, SLO health, incidents and approvals, ready for templates."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from pgvector.django import CosineDistance

from portal.aiops.knowledge import incident_text, similar_documents
from portal.aiops.models import Hypothesis, KnowledgeDocument
from portal.catalog.models import Origin, Service
from portal.changes.models import ChangeEvent
from portal.incidents.models import Incident, IncidentState
from portal.integrations.errors import IntegrationError
from portal.remediation.models import ActionRequest, ActionState
from portal.scaffolder.registry import GoldenPath, golden_path_list
from portal.slo.models import SLODefinition
from portal.slo.services import slo_status

ACTIVE = (IncidentState.OPEN, IncidentState.MITIGATED)
WORST_FIRST = ("exhausted", "warning", "unknown", "ok")


def worst_status(statuses: list[dict[str, Any]]) -> str:
    """The most urgent SLO status of a service; 'none' when it has no SLOs."""
    found = {s["status"] for s in statuses}
    return next((status for status in WORST_FIRST if status in found), "none")


def slo_statuses(services: list[Service] | None = None) -> dict[int, list[dict[str, Any]]]:
    """Each service's SLO statuses (budget left, burn rates), keyed by service id."""
    definitions = SLODefinition.objects.select_related("service")
    if services is not None:
        definitions = definitions.filter(service__in=services)
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for definition in definitions:
        out[definition.service_id].append(slo_status(definition))
    return out


def services_by_tier() -> list[tuple[int, list[dict[str, Any]]]]:
    """Services grouped by tier, each with its owner, worst SLO status and number of active incidents."""
    services = list(
        Service.objects.select_related("owner", "system").annotate(
            active_incidents=Count("incidents_involved", filter=Q(incidents_involved__state__in=ACTIVE), distinct=True)
        )
    )
    statuses = slo_statuses()
    tiers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for service in services:
        mine = statuses.get(service.pk, [])
        measured = [s for s in mine if s.get("error_budget_remaining") is not None]
        tightest = min(measured, key=lambda s: s["error_budget_remaining"], default=None)
        tiers[service.tier].append(
            {"service": service, "slos": mine, "health": worst_status(mine), "tightest": tightest}
        )
    return sorted(tiers.items())


def health_counts(tiers: list[tuple[int, list[dict[str, Any]]]]) -> dict[str, int]:
    counts = dict.fromkeys((*WORST_FIRST, "none"), 0)
    for _, rows in tiers:
        for row in rows:
            counts[row["health"]] += 1
    return counts


def incidents_active() -> QuerySet[Incident]:
    return Incident.objects.filter(state__in=ACTIVE).select_related("service").order_by("-started_at")


def actions_pending() -> QuerySet[ActionRequest]:
    return (
        ActionRequest.objects.filter(state=ActionState.PENDING)
        .select_related("runbook", "service", "service__owner", "environment", "incident", "requested_by")
        .order_by("created_at")
    )


def actions_recently_decided(limit: int = 10) -> QuerySet[ActionRequest]:
    return (
        ActionRequest.objects.filter(decided_at__isnull=False)
        .select_related("runbook", "service", "environment", "approved_by", "requested_by")
        .order_by("-decided_at")[:limit]
    )


def service_get(name: str) -> Service:
    service = (
        Service.objects.select_related("owner", "system")
        .prefetch_related("placements__environment", "dependencies", "dependents", "resources")
        .filter(name=name)
        .first()
    )
    if service is None:
        raise Http404(f"No service named '{name}' in the catalog. The home page lists every service.")
    return service


def service_incidents(service: Service, limit: int = 10) -> QuerySet[Incident]:
    return (
        Incident.objects.filter(Q(service=service) | Q(services=service))
        .distinct()
        .select_related("service")
        .order_by("-started_at")[:limit]
    )


def service_changes(service: Service, limit: int = 10) -> QuerySet[ChangeEvent]:
    return ChangeEvent.objects.filter(service=service).select_related("environment").order_by("-occurred_at")[:limit]


def _registry_stamp() -> tuple[tuple[str, int], ...]:
    """Which golden-path files exist and when each last changed (a stat per path, no YAML parsing)."""
    root = Path(settings.GOLDEN_PATHS_DIR)
    files = sorted(root.glob("*/golden-path.yaml")) if root.is_dir() else []
    return tuple((str(f), f.stat().st_mtime_ns) for f in files)


@lru_cache(maxsize=4)
def _golden_paths(stamp: tuple[tuple[str, int], ...]) -> tuple[GoldenPath, ...]:
    return tuple(golden_path_list())


def golden_paths_read() -> tuple[list[GoldenPath], str]:
    """The registry's golden paths (parsed again only when a file changes), or why they could not be read."""
    try:
        return list(_golden_paths(_registry_stamp())), ""
    except (OSError, yaml.YAMLError, KeyError, ValueError, TypeError) as exc:
        return [], f"The golden-path registry could not be read: {exc}"


def golden_path_standing(service: Service, paths: list[GoldenPath]) -> dict[str, Any]:
    """Whether a service came from a golden path and is on its current version."""
    if service.origin != Origin.GOLDEN_PATH or not service.golden_path:
        return {"state": "none", "text": f"Not created from a golden path ({service.get_origin_display().lower()})."}
    current = next((p for p in paths if p.name == service.golden_path), None)
    if current is None:
        return {
            "state": "unknown",
            "path": service.golden_path,
            "version": service.golden_path_version,
            "text": f"The golden path '{service.golden_path}' is no longer in the registry.",
        }
    on_current = service.golden_path_version == current.version
    return {
        "state": "current" if on_current else "behind",
        "path": service.golden_path,
        "title": current.title,
        "version": service.golden_path_version,
        "current_version": current.version,
        "text": "On the current version." if on_current else f"Behind: the current version is {current.version}.",
    }


def incidents_list(state: str) -> QuerySet[Incident]:
    incidents = Incident.objects.select_related("service").annotate(
        hypothesis_count=Count("hypotheses", distinct=True), action_count=Count("action_requests", distinct=True)
    )
    if state == "active":
        incidents = incidents.filter(state__in=ACTIVE)
    elif state == "resolved":
        incidents = incidents.filter(state=IncidentState.RESOLVED)
    return incidents.order_by("-started_at", "-id")


def incident_get(pk: int) -> Incident:
    incident = Incident.objects.select_related("service", "service__owner", "commander").filter(pk=pk).first()
    if incident is None:
        raise Http404(f"No incident #{pk}. The incidents page lists every incident.")
    return incident


def incident_hypotheses(incident: Incident) -> list[Hypothesis]:
    """The hypotheses of the latest analysis, best first."""
    latest = incident.hypotheses.order_by("-analysis").values_list("analysis", flat=True).first()
    if latest is None:
        return []
    return list(incident.hypotheses.filter(analysis=latest).select_related("service", "change").order_by("rank"))


def incident_actions(incident: Incident) -> QuerySet[ActionRequest]:
    return incident.action_requests.select_related(
        "runbook", "environment", "requested_by", "approved_by", "service"
    ).order_by("created_at")


SIMILAR_CACHE_SECONDS = 600


def _nearest_documents(incident: Incident, limit: int) -> list[tuple[int, float]]:
    """(document id, cosine distance) of the nearest documents; an incident's text is embedded once per ten minutes."""
    stored = KnowledgeDocument.objects.filter(incident=incident, kind="incident").only("embedding").first()
    if stored is not None:
        nearest = (
            KnowledgeDocument.objects.exclude(incident=incident)
            .annotate(distance=CosineDistance("embedding", stored.embedding))
            .order_by("distance")
            .values_list("pk", "distance")[:limit]
        )
        return [(pk, float(distance)) for pk, distance in nearest]
    text = incident_text(incident)
    key = f"web:similar:{incident.pk}:{hashlib.sha256(text.encode()).hexdigest()}"
    found: list[tuple[int, float]] | None = cache.get(key)
    if found is None:
        documents = similar_documents(text, exclude_incident=incident.pk, limit=limit)
        found = [(d.pk, float(d.distance)) for d in documents]  # type: ignore[attr-defined]
        cache.set(key, found, SIMILAR_CACHE_SECONDS)
    return found


def similar_incidents(incident: Incident, limit: int = 5) -> tuple[list[dict[str, Any]], str]:
    """Past incidents nearest in meaning, from the knowledge base, one entry per incident."""
    try:
        nearest = _nearest_documents(incident, limit * 2)
    except IntegrationError as exc:
        return [], f"Similar incidents could not be searched: {exc.message}"
    documents = KnowledgeDocument.objects.select_related("incident").in_bulk([pk for pk, _ in nearest])
    seen: set[int | None] = set()
    out = []
    for pk, distance in nearest:
        document = documents.get(pk)
        if document is None or document.incident_id in seen:
            continue
        seen.add(document.incident_id)
        out.append({"document": document, "incident": document.incident, "similarity": 1 - distance})
    return out[:limit], ""
