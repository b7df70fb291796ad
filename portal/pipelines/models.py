"""Published versions of the shared steps, roll-outs of a version to services, and which version each service pins."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class StepsPublication(models.Model):
    """A version of the steps pushed to the pipelines repository (its branch never changes afterwards)."""

    version = models.CharField(max_length=40, unique=True)
    repository = models.CharField(max_length=200)
    branch = models.CharField(max_length=100)
    commit = models.CharField(max_length=64)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return f"{self.repository}@{self.version}"


class RolloutState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"


class Rollout(models.Model):
    """Bringing every service with a repository to one version of the steps, by pull requests."""

    version = models.CharField(max_length=40)
    state = models.CharField(max_length=10, choices=RolloutState.choices, default=RolloutState.QUEUED, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    progressed_at = models.DateTimeField(null=True, blank=True, help_text="When a service was last finished.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One roll-out of a version at a time: a repeated request joins the one under way.
            models.UniqueConstraint(
                fields=["version"],
                condition=models.Q(state__in=["queued", "running"]),
                name="one_active_rollout_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"roll-out of {self.version} ({self.state})"


class TargetState(models.TextChoices):
    PENDING = "pending", "Pending"
    PULL_REQUEST = "pull_request", "Pull request open"
    UP_TO_DATE = "up_to_date", "Up to date"
    FAILED = "failed", "Failed"


class RolloutTarget(models.Model):
    """One service in a roll-out: what it pinned, what was done, and a step log."""

    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="targets")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    repository = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=15, choices=TargetState.choices, default=TargetState.PENDING)
    from_versions = models.JSONField(default=list, blank=True, help_text="The versions the service pinned.")
    files = models.JSONField(default=list, blank=True, help_text="CI files the pull request changes.")
    pull_request_url = models.URLField(max_length=500, blank=True)
    pull_request_number = models.PositiveIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why it failed and what to do.")
    log = models.JSONField(default=list, blank=True, help_text='[{"at": ..., "message": ...}]')
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service__name"]
        constraints = [models.UniqueConstraint(fields=["rollout", "service"], name="one_target_per_service")]

    def __str__(self) -> str:
        return f"{self.service_id} in {self.rollout_id}: {self.state}"


class PipelineUsage(models.Model):
    """The version of the steps a service's default branch pins, as last read."""

    service = models.OneToOneField("catalog.Service", on_delete=models.CASCADE, related_name="pipeline_usage")
    version = models.CharField(max_length=40, blank=True, help_text="Oldest pinned version; empty when none.")
    versions = models.JSONField(default=list, blank=True)
    files = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.service_id}: {self.version or 'none'}"
