"""FinOps in the admin: each workload's requests and labels (editable, audited) and the daily costs (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from portal.core.admin import AuditedAdmin
from portal.core.labels import REQUIRED
from portal.finops.models import CostRecord, WorkloadResources


@admin.register(WorkloadResources)
class WorkloadResourcesAdmin(AuditedAdmin):
    """Record the labels a workload the portal does not deploy carries; costs roll up by them from the next run."""

    list_display = ["service", "environment", "container", "replicas", "cpu_request", "memory_request", "labelled"]
    list_filter = ["environment"]
    search_fields = ["service__name"]

    @admin.display(boolean=True, description="all standard labels")
    def labelled(self, obj: WorkloadResources) -> bool:
        return all((obj.labels or {}).get(key) for key in REQUIRED)


@admin.register(CostRecord)
class CostRecordAdmin(admin.ModelAdmin):
    list_display = ["day", "service", "environment", "team", "total", "labels"]
    list_filter = ["environment", "team"]
    date_hierarchy = "day"
    search_fields = ["service__name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
