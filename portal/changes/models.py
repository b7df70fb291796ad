"""Change events: what changed, where, when and by whom (deploys, pipelines, config, flags, scaling)."""

from __future__ import annotations

from django.conf import settings
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


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class RiskAssessment(models.Model):
    """A change's risk score with its explanation, rollout strategy and rollback plan; one per pull-request head."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="risk_assessments")
    repository = models.CharField(max_length=200, blank=True, help_text="owner/name, for pull requests")
    pull_request = models.PositiveIntegerField(null=True, blank=True)
    head_sha = models.CharField(max_length=64, blank=True)
    merge_sha = models.CharField(max_length=64, blank=True, help_text="the commit the merge made, once merged")
    idempotency_key = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=10, choices=ChangeSource.choices, default=ChangeSource.API)
    author = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(help_text="When the change is to go out; the time factors read it.")
    timezone = models.CharField(max_length=64, default="UTC")
    score = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=10, choices=RiskLevel.choices, db_index=True)
    factors = models.JSONField(default=list, help_text="[{key, points, reason}] summing to the score")
    areas = models.JSONField(default=dict, help_text="area -> paths")
    files = models.JSONField(default=list, help_text="[{path, additions, deletions, status}]")
    tests = models.JSONField(null=True, blank=True)
    strategy = models.JSONField(default=dict)
    rollback = models.JSONField(null=True, blank=True)
    summary = models.TextField(blank=True, help_text="The pull-request comment (Markdown).")
    comment_id = models.CharField(max_length=64, blank=True)
    comment_url = models.URLField(max_length=500, blank=True)
    comment_body_posted = models.TextField(blank=True)
    comment_error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="risk_assessments"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "pull_request", "head_sha"],
                condition=models.Q(pull_request__isnull=False),
                name="unique_risk_per_pull_request_head",
            ),
            models.UniqueConstraint(
                fields=["service", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="unique_risk_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        target = f"{self.repository}#{self.pull_request}" if self.pull_request else self.service_id
        return f"{target}: {self.level} ({self.score})"
