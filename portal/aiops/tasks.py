"""AI Ops background work: scans spread over workers, incident analysis, and learning at resolution."""

from __future__ import annotations

from celery import group, shared_task

from portal.aiops.analysis.service import incident_analyse
from portal.aiops.knowledge import incident_text, knowledge_store
from portal.aiops.scan import scan_service
from portal.catalog.models import Service
from portal.incidents.models import Incident
from portal.incidents.postmortems import postmortem_write

SCAN_CHUNK = 20


@shared_task(ignore_result=True)
def anomaly_scan_task() -> None:
    """Every minute: split the fleet into chunks that any worker can take."""
    ids = list(Service.objects.order_by("pk").values_list("pk", flat=True))
    chunks = [ids[i : i + SCAN_CHUNK] for i in range(0, len(ids), SCAN_CHUNK)]
    group(anomaly_scan_chunk_task.s(chunk) for chunk in chunks).apply_async()


@shared_task(ignore_result=True)
def anomaly_scan_chunk_task(service_ids: list[int]) -> None:
    for service in Service.objects.filter(pk__in=service_ids):
        scan_service(service)


@shared_task(ignore_result=True)
def incident_analyse_task(incident_id: int) -> None:
    incident_analyse(incident_id)


@shared_task(ignore_result=True)
def incident_resolved_task(incident_id: int) -> None:
    """Write the postmortem and put the incident and its postmortem into the knowledge base."""
    postmortem = postmortem_write(incident_id)
    incident = Incident.objects.get(pk=incident_id)
    knowledge_store(incident=incident, kind="incident", title=incident.title, text=incident_text(incident))
    knowledge_store(
        incident=incident, kind="postmortem", title=f"Postmortem: {incident.title}", text=postmortem.markdown
    )
