"""The knowledge base: incidents and postmortems embedded in PostgreSQL (pgvector, HNSW, cosine)."""

from __future__ import annotations

from django.db.models import QuerySet
from pgvector.django import CosineDistance

from portal.aiops.models import KnowledgeDocument
from portal.incidents.models import Incident
from portal.integrations.embeddings import embedder


def incident_text(incident: Incident) -> str:
    """What an incident is about, in words: title, services, alerts, what the analysis found."""
    alerts = sorted({f"{a.name} ({a.annotations.get('summary', '')})".strip() for a in incident.alerts.all()})
    hypotheses = [h.title for h in incident.hypotheses.order_by("-analysis", "rank")[:3]]
    lines = [
        incident.title,
        "Services: " + ", ".join(sorted(s.name for s in incident.services.all())),
        "Alerts: " + "; ".join(alerts),
        "Likely causes: " + "; ".join(hypotheses),
        incident.summary,
    ]
    return "\n".join(line for line in lines if line.strip())


def knowledge_store(*, incident: Incident, kind: str, title: str, text: str) -> KnowledgeDocument:
    """Embed and store (or replace) the incident's document of this kind."""
    model = embedder()
    vector = model.embed_one(text[:8000])
    document, _ = KnowledgeDocument.objects.update_or_create(
        incident=incident,
        kind=kind,
        defaults={"title": title[:300], "text": text, "embedding": vector, "model": model.model_name},
    )
    return document


def similar_documents(
    text: str,
    *,
    exclude_incident: int | None = None,
    limit: int = 5,
) -> QuerySet[KnowledgeDocument]:
    """The nearest documents by cosine distance, closest first (annotated with `distance`)."""
    vector = embedder().embed_one(text[:8000])
    documents = KnowledgeDocument.objects.select_related("incident")
    if exclude_incident is not None:
        documents = documents.exclude(incident_id=exclude_incident)
    return documents.annotate(distance=CosineDistance("embedding", vector)).order_by("distance")[:limit]
