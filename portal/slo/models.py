"""SLO definitions kept by the portal: the spec as written, and what the portal needs to read budgets."""

from __future__ import annotations

from django.db import models


class Indicator(models.TextChoices):
    AVAILABILITY = "availability", "Availability (non-5xx requests)"
    LATENCY = "latency", "Latency (requests under a threshold)"
    CUSTOM = "custom", "Custom PromQL ratio"


class SLODefinition(models.Model):
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="slos")
    name = models.SlugField(max_length=100)
    slo_id = models.CharField(max_length=200, help_text="The id the rules carry (sloth_id).")
    description = models.TextField(blank=True)
    objective = models.FloatField(help_text="Percent, for example 99.9.")
    period_days = models.PositiveSmallIntegerField(default=30)
    indicator = models.CharField(max_length=15, choices=Indicator.choices)
    latency_threshold = models.FloatField(null=True, blank=True, help_text="Seconds, for latency SLOs.")
    error_ratio_query = models.TextField(blank=True, help_text="For custom SLOs: PromQL with {{.window}}.")
    alerting = models.BooleanField(default=True)
    spec_format = models.CharField(max_length=60)
    spec = models.TextField(help_text="The spec as written (Sloth, OpenSLO or Pyrra YAML).")
    origin = models.CharField(max_length=20, default="api")  # api, tier_default, import
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service__name", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="unique_slo_per_service")]
        verbose_name = "SLO"

    def __str__(self) -> str:
        return f"{self.service.name}/{self.name} ({self.objective}%)"
