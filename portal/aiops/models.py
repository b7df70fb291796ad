"""Anomalies found by scans, root-cause hypotheses with their evidence, and the knowledge base."""

from __future__ import annotations

from django.db import models
from pgvector.django import HnswIndex, VectorField

EMBEDDING_DIMENSIONS = 384


class Anomaly(models.Model):
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="anomalies")
    signal = models.CharField(max_length=30)
    started_at = models.DateTimeField(db_index=True)
    peak_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(help_text="Anomaly likelihood at the peak, 0..1.")
    direction = models.CharField(max_length=4)  # up, down
    baseline = models.FloatField(null=True, blank=True)
    peak_value = models.FloatField(null=True, blank=True)
    reason = models.JSONField(default=dict, help_text="Which detector, how far from normal.")
    related_changes = models.JSONField(default=list, help_text="Changes before it, ranked by closeness.")
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="anomalies"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["service", "signal", "started_at"], name="unique_anomaly")]
        verbose_name_plural = "anomalies"

    def __str__(self) -> str:
        return f"{self.signal} {self.direction} on {self.service_id} at {self.started_at:%Y-%m-%d %H:%M}"


class Hypothesis(models.Model):
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="hypotheses")
    rank = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=30)  # bad_deploy, memory_leak, capacity, dependency, config_change, ...
    title = models.CharField(max_length=300)
    service = models.ForeignKey("catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    change = models.ForeignKey(
        "changes.ChangeEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confidence = models.FloatField()
    evidence = models.JSONField(default=list, help_text="[{kind, supports, text, data}]")
    runbooks = models.JSONField(default=list)
    analysis = models.PositiveIntegerField(help_text="Which analysis run produced it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["incident", "-analysis", "rank"]
        verbose_name_plural = "hypotheses"

    def __str__(self) -> str:
        return f"#{self.rank} {self.title} ({self.confidence:.0%})"


class KnowledgeDocument(models.Model):
    """An incident or postmortem as text and embedding, for similar-incident search."""

    kind = models.CharField(max_length=20)  # incident, postmortem
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.CASCADE, related_name="knowledge"
    )
    title = models.CharField(max_length=300)
    text = models.TextField()
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS)
    model = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            HnswIndex(
                name="knowledge_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            )
        ]
        constraints = [models.UniqueConstraint(fields=["incident", "kind"], name="unique_knowledge_per_incident")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class DetectorState(models.Model):
    """A series' streaming detector state, so each scan reads only the new points."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    signal = models.CharField(max_length=30)
    last_timestamp = models.FloatField()
    state = models.JSONField()
    open_anomaly = models.ForeignKey(Anomaly, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "signal"], name="unique_detector_state")]

    def __str__(self) -> str:
        return f"{self.service_id}:{self.signal}"
