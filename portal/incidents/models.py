"""Alerts, the incidents they are grouped into, and each incident's timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AlertSource(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Alertmanager"
    SLO = "slo", "SLO burn rate"
    ANOMALY = "anomaly", "Anomaly scan"


class Severity(models.TextChoices):
    SEV1 = "sev1", "SEV1 (critical)"
    SEV2 = "sev2", "SEV2 (major)"
    SEV3 = "sev3", "SEV3 (minor)"
    SEV4 = "sev4", "SEV4 (low)"


class IncidentState(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATED = "mitigated", "Mitigated"
    RESOLVED = "resolved", "Resolved"


class Incident(models.Model):
    title = models.CharField(max_length=300)
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="incidents", help_text="Where it was first seen."
    )
    services = models.ManyToManyField("catalog.Service", related_name="incidents_involved", blank=True)
    severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV3, db_index=True)
    state = models.CharField(max_length=10, choices=IncidentState.choices, default=IncidentState.OPEN, db_index=True)
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(help_text="When the first signal began.")
    detected_at = models.DateTimeField(help_text="When the portal opened the incident.")
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(db_index=True)
    summary = models.TextField(blank=True)
    impact = models.JSONField(default=dict, blank=True, help_text="error budget consumed, requests affected")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class Alert(models.Model):
    source = models.CharField(max_length=20, choices=AlertSource.choices)
    fingerprint = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, default="firing")  # firing, resolved
    severity = models.CharField(max_length=20, blank=True)
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=dict)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    generator_url = models.URLField(max_length=1000, blank=True)
    received_count = models.PositiveIntegerField(default=1)
    last_received_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            # Alertmanager fingerprints identify an alert across repeats; one episode per start time.
            models.UniqueConstraint(fields=["source", "fingerprint", "starts_at"], name="unique_alert_episode")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class TimelineKind(models.TextChoices):
    ALERT = "alert", "Alert"
    ANOMALY = "anomaly", "Anomaly"
    CHANGE = "change", "Change"
    ANALYSIS = "analysis", "Analysis"
    ACTION = "action", "Action"
    NOTE = "note", "Note"
    STATE = "state", "State change"


class TimelineEntry(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=10, choices=TimelineKind.choices)
    actor = models.CharField(max_length=150, help_text="Who or what: a username, 'alertmanager', 'portal'.")
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "dedupe_key"], condition=~models.Q(dedupe_key=""), name="unique_timeline_dedupe"
            )
        ]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.kind}: {self.message[:60]}"


class Postmortem(models.Model):
    """Written on resolution from the evidence; people edit it; every edit is a new version."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    version = models.PositiveIntegerField(default=1)
    markdown = models.TextField()
    sections = models.JSONField(default=dict)
    proposed_rules = models.TextField(blank=True, help_text="A preventive alert as a Prometheus rules file.")
    written_by = models.CharField(max_length=100)
    generation_seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Postmortem of #{self.incident_id} (v{self.version})"


class PostmortemVersion(models.Model):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    markdown = models.TextField()
    edited_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["postmortem", "version"]
        constraints = [models.UniqueConstraint(fields=["postmortem", "version"], name="unique_postmortem_version")]

    def __str__(self) -> str:
        return f"v{self.version} by {self.edited_by}"
