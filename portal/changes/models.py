"""Change events: what changed, where, when and by whom (deploys, pipelines, config, flags, scaling)."""

from __future__ import annotations

from django.db import models


class ChangeKind(models.TextChoices):
    DEPLOY = "deploy", "Deploy"
    ROLLBACK = "rollback", "Rollback"
    PIPELINE = "pipeline", "Pipeline run"
    COMMIT = "commit", "Commit to the default branch"
    CONFIG = "config", "Configuration change"
    FEATURE_FLAG = "feature_flag", "Feature flag"
    SCALING = "scaling", "Scaling"


class ChangeStatus(models.TextChoices):
    STARTED = "started", "Started"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Unknown"


class ChangeSource(models.TextChoices):
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"
    ARGOCD = "argocd", "Argo CD"
    API = "api", "API"
    PORTAL = "portal", "Portal"


class ChangeEvent(models.Model):
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="changes")
    environment = models.ForeignKey(
        "catalog.Environment", null=True, blank=True, on_delete=models.SET_NULL, related_name="changes"
    )
    kind = models.CharField(max_length=20, choices=ChangeKind.choices, db_index=True)
    status = models.CharField(max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.SUCCEEDED)
    version = models.CharField(max_length=200, blank=True, help_text="Version, tag or commit.")
    description = models.TextField(blank=True)
    author = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    link = models.URLField(max_length=500, blank=True)
    source = models.CharField(max_length=10, choices=ChangeSource.choices)
    external_id = models.CharField(max_length=200, help_text="The sender's delivery or event id.")
    details = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            # A replayed or duplicated delivery is stored once.
            models.UniqueConstraint(fields=["source", "external_id"], name="unique_change_delivery")
        ]
        indexes = [models.Index(fields=["service", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.service_id} {self.version} ({self.status})"
