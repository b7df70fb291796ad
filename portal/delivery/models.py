"""Canary configs, canary judgements and quality-gate evaluations."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CanaryConfig(models.Model):
    """A named canary config for one service: which signals to compare, how, and the score thresholds."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="canary_configs")
    name = models.SlugField(max_length=63)
    metrics = models.JSONField(help_text="One object per metric: name, signal, groups, direction, critical, ...")
    group_weights = models.JSONField(default=dict, blank=True)
    pass_threshold = models.FloatField(default=95.0)
    marginal_threshold = models.FloatField(default=75.0)
    tolerance = models.FloatField(default=0.25)
    confidence = models.FloatField(default=0.95)
    lookback_minutes = models.PositiveIntegerField(default=30, help_text="Window judged when no start is given.")
    step_seconds = models.PositiveIntegerField(default=60)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="unique_canary_config")]

    def __str__(self) -> str:
        return f"{self.service_id}/{self.name}"


class Outcome(models.TextChoices):
    PASS = "pass", "Pass"
    MARGINAL = "marginal", "Marginal"
    FAIL = "fail", "Fail"


class CanaryJudgement(models.Model):
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="canary_judgements")
    environment = models.ForeignKey("catalog.Environment", on_delete=models.PROTECT, related_name="+")
    config_name = models.CharField(max_length=63)
    config = models.JSONField(help_text="The config as it was used.")
    baseline = models.JSONField(help_text="The baseline selector (version, pod_regex, window) or 'inline'.")
    canary = models.JSONField()
    start = models.DateTimeField()
    end = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices, db_index=True)
    score = models.FloatField()
    metrics = models.JSONField(default=list)
    group_scores = models.JSONField(default=dict)
    reasons = models.JSONField(default=list)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="unique_judgement_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id} canary {self.outcome} ({self.score:g})"


class GateOutcome(models.TextChoices):
    PASS = "pass", "Pass"
    BLOCK = "block", "Block"


class GateEvaluation(models.Model):
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="gate_evaluations")
    environment = models.ForeignKey("catalog.Environment", on_delete=models.PROTECT, related_name="+")
    version = models.CharField(max_length=200, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=GateOutcome.choices, db_index=True)
    gates = models.JSONField(default=list)
    reasons = models.JSONField(default=list)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="unique_gate_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.version} gates {self.outcome}"
