"""Resource requests: the same resumable run shape as golden-path runs (state, steps, log), for infrastructure."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from portal.core.runs import LogLineBase, RunBase, StepBase

STEPS = ("validate", "approval", "render", "deliver", "register")


class RequestState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    AWAITING_APPROVAL = "awaiting_approval", "Waiting for approval"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"


ACTIVE_STATES = (RequestState.PENDING, RequestState.RUNNING, RequestState.AWAITING_APPROVAL)


class ResourceRequest(RunBase):
    """One request for a database, cache, queue or bucket for a service in an environment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=30, db_index=True)
    name = models.CharField(max_length=63, help_text="The resource's base name; the catalog adds the environment.")
    resource_name = models.CharField(max_length=63, db_index=True)
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="resource_requests")
    environment = models.ForeignKey("catalog.Environment", on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey("core.Team", on_delete=models.PROTECT, related_name="resource_requests")
    parameters = models.JSONField(help_text="What the caller asked for.")
    resolved = models.JSONField(default=dict, help_text="The parameters with the environment's defaults.")
    renderer = models.CharField(max_length=20)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=RequestState.choices, default=RequestState.PENDING, db_index=True)
    approval_reasons = models.JSONField(default=list, blank=True)
    action_request = models.ForeignKey(
        "remediation.ActionRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    repository = models.CharField(max_length=200, blank=True)
    commit = models.CharField(max_length=64, blank=True)
    pull_request_url = models.CharField(max_length=500, blank=True)
    connection_secret = models.JSONField(default=dict, blank=True, help_text="A reference, never a value.")
    catalog_resource = models.ForeignKey(
        "catalog.Resource", null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    entity_ref = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="unique_resource_request_idempotency_key",
            ),
            models.UniqueConstraint(
                fields=["resource_name"],
                condition=models.Q(state__in=["pending", "running", "awaiting_approval"]),
                name="one_active_request_per_resource",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.resource_name} for {self.service_id} ({self.state})"


class ResourceRequestStep(StepBase):
    request = models.ForeignKey(ResourceRequest, on_delete=models.CASCADE, related_name="steps")
    state = models.CharField(max_length=20, choices=RequestState.choices, default=RequestState.PENDING)

    class Meta:
        ordering = ["request", "position"]
        constraints = [models.UniqueConstraint(fields=["request", "name"], name="unique_resource_request_step")]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.name} ({self.state})"


class ResourceRequestLogLine(LogLineBase):
    """A line of a request's log; Backstage follows it with ?after=<id>."""

    request = models.ForeignKey(ResourceRequest, on_delete=models.CASCADE, related_name="log_lines")
