"""Preview environments: which services have them, one per pull request, their step log and deliveries seen."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from portal.catalog.models import Service


class Provider(models.TextChoices):
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"


class PreviewConfig(models.Model):
    """A service's preview settings: where its pull requests come from and what one preview may use."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="preview_config")
    enabled = models.BooleanField(default=True)
    provider = models.CharField(max_length=10, choices=Provider.choices, default=Provider.GITHUB)
    repository = models.CharField(max_length=200, help_text="owner/name (GitHub) or group/project (GitLab)")
    gitlab_project = models.CharField(max_length=40, blank=True, help_text="GitLab's numeric project id")
    api_url = models.URLField(blank=True, help_text="GitHub Enterprise or self-managed GitLab API; empty for public")
    token_secret = models.CharField(max_length=253, blank=True, help_text="Secret holding the SCM token (a name)")
    overlay_path = models.CharField(max_length=300, default="deploy/overlays/preview")
    image = models.CharField(max_length=300, blank=True)
    labels = models.JSONField(default=list, blank=True, help_text="pull-request labels that ask for a preview")
    replicas = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(10)])
    cpu = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("0.250"))
    memory_gib = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("0.500"))
    storage_gib = models.DecimalField(max_digits=7, decimal_places=3, default=Decimal("1.000"))
    ttl_hours = models.PositiveIntegerField(default=72, validators=[MinValueValidator(1), MaxValueValidator(24 * 30)])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service__name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "repository"], name="preview_config_unique_repository")
        ]

    def __str__(self) -> str:
        return f"previews of {self.service.name}"


class PreviewState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    DEPLOYING = "deploying", "Deploying"
    ACTIVE = "active", "Active"
    SLEEPING = "sleeping", "Sleeping (scaled to zero)"
    DELETING = "deleting", "Deleting"
    DELETED = "deleted", "Deleted"
    FAILED = "failed", "Failed"


LIVE_STATES = (PreviewState.REQUESTED, PreviewState.DEPLOYING, PreviewState.ACTIVE, PreviewState.SLEEPING)


class PreviewEnvironment(models.Model):
    """One pull request's environment; the row lives on after teardown as the record of what it cost."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="previews")
    number = models.PositiveIntegerField()
    provider = models.CharField(max_length=10, choices=Provider.choices)
    repository = models.CharField(max_length=200)
    title = models.CharField(max_length=500, blank=True)
    author = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    branch = models.CharField(max_length=255, blank=True)
    head_sha = models.CharField(max_length=64, blank=True)
    namespace = models.CharField(max_length=63)
    state = models.CharField(max_length=12, choices=PreviewState.choices, default=PreviewState.REQUESTED)
    reason = models.CharField(max_length=500, blank=True, help_text="why it is in this state")
    last_push_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    awake_until = models.DateTimeField(null=True, blank=True, help_text="woken outside working hours until then")
    deployed_sha = models.CharField(max_length=64, blank=True)
    gitops_commit = models.CharField(max_length=64, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    running_hours = models.FloatField(default=0.0)
    sleeping_hours = models.FloatField(default=0.0)
    cost_until = models.DateTimeField(null=True, blank=True, help_text="cost is counted up to this moment")
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["service", "number"], name="preview_unique_pull_request")]
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.service.name} PR #{self.number}"


class PreviewStep(models.Model):
    """One line of a preview's step log: what happened, and the state it left."""

    preview = models.ForeignKey(PreviewEnvironment, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField()
    action = models.CharField(max_length=40)
    state = models.CharField(max_length=12, choices=PreviewState.choices)
    message = models.TextField()
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.message[:60]}"


class PreviewEvent(models.Model):
    """A pull-request event as delivered; stored once per delivery, processed once, retried by the sweep."""

    delivery_id = models.CharField(max_length=200, unique=True)
    provider = models.CharField(max_length=10)
    repository = models.CharField(max_length=200)
    service_name = models.CharField(max_length=63, blank=True)
    number = models.PositiveIntegerField()
    action = models.CharField(max_length=20)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.repository}#{self.number} {self.action}"
