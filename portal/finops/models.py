"""What each workload requests, what it cost per day, and rightsizing recommendations with their PRs."""

from __future__ import annotations

from django.db import models


class WorkloadResources(models.Model):
    """Requests and limits of one service's container in one environment (what the chart says)."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="workloads")
    environment = models.ForeignKey("catalog.Environment", on_delete=models.CASCADE, related_name="+")
    container = models.CharField(max_length=63, default="app")
    replicas = models.PositiveIntegerField(default=1)
    cpu_request = models.FloatField(help_text="cores")
    cpu_limit = models.FloatField(null=True, blank=True)
    memory_request = models.FloatField(help_text="bytes")
    memory_limit = models.FloatField(null=True, blank=True)
    labels = models.JSONField(
        default=dict,
        blank=True,
        help_text="The labels its manifests carry (portal/core/labels.py); costs roll up by them.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "environment", "container"], name="unique_workload")]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.environment_id}/{self.container}"


class CostRecord(models.Model):
    """One service's cost in one environment on one day (OpenCost's model: max(request, usage) x price)."""

    day = models.DateField(db_index=True)
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="costs")
    environment = models.ForeignKey("catalog.Environment", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="+")
    cpu_cost = models.FloatField()
    ram_cost = models.FloatField()
    total = models.FloatField()
    requests = models.FloatField(default=0, help_text="Requests served that day.")
    cpu_usage = models.FloatField(default=0, help_text="Average cores used.")
    memory_usage = models.FloatField(default=0, help_text="Average bytes used.")
    labels = models.JSONField(
        default=dict, blank=True, help_text="The workload's labels that day: what the roll-ups group by."
    )

    class Meta:
        ordering = ["-day", "service"]
        constraints = [models.UniqueConstraint(fields=["day", "service", "environment"], name="unique_cost_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.service_id} ${self.total:.2f}"


class RightsizingRecommendation(models.Model):
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="rightsizing")
    environment = models.ForeignKey("catalog.Environment", on_delete=models.CASCADE, related_name="+")
    container = models.CharField(max_length=63, default="app")
    strategy = models.CharField(max_length=30)
    current = models.JSONField(help_text="cpu_request, memory_request, memory_limit now")
    recommended = models.JSONField()
    monthly_saving = models.FloatField()
    evidence = models.JSONField(default=dict)
    state = models.CharField(max_length=12, default="proposed")  # proposed, requested, pr_open, rejected
    action_request = models.ForeignKey(
        "remediation.ActionRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pull_request_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-monthly_saving"]

    def __str__(self) -> str:
        return f"{self.service_id}: save ${self.monthly_saving:.2f}/month"


class BilledCost(models.Model):
    """Cloud bill lines (FOCUS) summed per day, provider, cloud service and our team/service/environment tags."""

    day = models.DateField(db_index=True)
    provider = models.CharField(max_length=100, blank=True)
    cloud_service = models.CharField(max_length=200, blank=True)
    team = models.CharField(max_length=100, blank=True)
    service = models.CharField(max_length=100, blank=True)
    environment = models.CharField(max_length=100, blank=True)
    currency = models.CharField(max_length=10, blank=True)
    billed = models.DecimalField(max_digits=20, decimal_places=6)
    effective = models.DecimalField(max_digits=20, decimal_places=6)
    source = models.CharField(max_length=200, help_text="The file's name or digest; a re-import replaces it.")

    class Meta:
        ordering = ["-day"]
        indexes = [models.Index(fields=["source"])]

    def __str__(self) -> str:
        return f"{self.day} {self.provider} {self.cloud_service} {self.billed}"
