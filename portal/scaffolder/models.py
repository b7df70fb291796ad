"""Scaffold runs: a resumable state machine from golden-path parameters to a service in the catalog."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from portal.core.runs import LogLineBase, RunBase, StepBase

STEPS = ("render", "create_repository", "push", "gitops_change", "register")


class RunState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ScaffoldRun(RunBase):
    """One request to create a service from a golden path, with who asked, how long it took and how it ended."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    golden_path = models.CharField(max_length=63, db_index=True)
    golden_path_version = models.CharField(max_length=40)
    service_name = models.CharField(max_length=63, db_index=True)
    owner = models.ForeignKey("core.Team", on_delete=models.PROTECT, related_name="scaffold_runs")
    parameters = models.JSONField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.PENDING, db_index=True)
    repo_slug = models.CharField(max_length=200, blank=True)
    repo_url = models.CharField(max_length=500, blank=True)
    pull_request_url = models.CharField(max_length=500, blank=True)
    entity_ref = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="unique_run_idempotency_key",
            ),
            # One live run per service name: a second request for the same name is a conflict.
            models.UniqueConstraint(
                fields=["service_name"],
                condition=models.Q(state__in=["pending", "running"]),
                name="one_active_run_per_service",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.golden_path} -> {self.service_name} ({self.state})"


class ScaffoldStep(StepBase):
    run = models.ForeignKey(ScaffoldRun, on_delete=models.CASCADE, related_name="steps")
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.PENDING)

    class Meta:
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "name"], name="unique_run_step")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.name} ({self.state})"


class ScaffoldLogLine(LogLineBase):
    """A line of a run's log; Backstage follows it with ?after=<id>."""

    run = models.ForeignKey(ScaffoldRun, on_delete=models.CASCADE, related_name="log_lines")
