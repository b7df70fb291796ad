"""Runbooks, action requests with their policy decision and approval, and change freezes."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class ActionKind(models.TextChoices):
    ROLLBACK = "rollback", "Roll back a deploy"
    SCALE_OUT = "scale_out", "Scale out"
    RESTART = "restart", "Restart"
    FLAG_DISABLE = "flag_disable", "Disable a feature flag"
    WORKFLOW = "workflow", "Run an Argo Workflow"
    RIGHTSIZE = "rightsize", "Rightsize (pull request)"


class Runbook(models.Model):
    """What to do for a kind of root cause: steps, risk, how to verify it worked, how to undo it."""

    name = models.SlugField(max_length=63, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    action = models.CharField(max_length=20, choices=ActionKind.choices)
    fits = models.JSONField(default=list, help_text="Hypothesis kinds it remedies, e.g. bad_deploy, memory_leak.")
    risk = models.CharField(max_length=10, choices=Risk.choices)
    parameters = models.JSONField(default=dict, help_text="JSON Schema of its parameters.")
    steps = models.JSONField(default=list)
    verification = models.JSONField(default=dict, help_text='{"signals": [...], "within_minutes": 15}')
    rollback = models.JSONField(default=dict, blank=True)
    version = models.CharField(max_length=20, default="1")
    edited_in_admin = models.BooleanField(default=False, help_text="Kept when the YAML files are synced.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.title


class ActionState(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    DENIED = "denied", "Denied by policy"
    EXPIRED = "expired", "Expired"
    RUNNING = "running", "Running"
    VERIFYING = "verifying", "Verifying"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    ROLLED_BACK = "rolled_back", "Rolled back"


class ActionRequest(models.Model):
    runbook = models.ForeignKey(Runbook, on_delete=models.PROTECT, related_name="requests")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="action_requests")
    environment = models.ForeignKey("catalog.Environment", on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="action_requests"
    )
    parameters = models.JSONField(default=dict)
    reason = models.TextField()
    evidence = models.JSONField(default=list)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the portal's analysis asked.",
    )
    state = models.CharField(max_length=12, choices=ActionState.choices, db_index=True)
    decision = models.CharField(max_length=15, help_text="auto, needs_approval or deny")
    decision_reasons = models.JSONField(default=list)
    policy_version = models.CharField(max_length=80)
    policy_input = models.JSONField(default=dict)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    change = models.JSONField(default=dict, blank=True, help_text="What the executor changed (diff, commit).")
    result = models.JSONField(default=dict, blank=True, help_text="Execution and verification outcome.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.runbook.name} on {self.service.name}/{self.environment.name} ({self.state})"

    @property
    def requested_by_ai(self) -> bool:
        return self.requested_by_id is None


class ChangeFreeze(models.Model):
    """A declared change freeze: no remediation runs in these environment kinds meanwhile."""

    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    environment_kinds = models.JSONField(default=list, help_text='e.g. ["prod"]; empty means all')

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.reason} ({self.starts_at:%Y-%m-%d} - {self.ends_at:%Y-%m-%d})"
