"""Shared pipelines in the admin, read-only: what was published, roll-outs and their services, who pins what."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from portal.pipelines.models import PipelineUsage, Rollout, RolloutTarget, StepsPublication


class ReadOnlyAdmin(admin.ModelAdmin):
    """Changed only through the API, which checks, audits and talks to source control."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(StepsPublication)
class StepsPublicationAdmin(ReadOnlyAdmin):
    list_display = ["version", "repository", "commit", "published_by", "published_at"]


class RolloutTargetInline(admin.TabularInline):
    model = RolloutTarget
    fields = readonly_fields = ("service", "repository", "state", "from_versions", "pull_request_url", "reason")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Rollout)
class RolloutAdmin(ReadOnlyAdmin):
    list_display = ["id", "version", "state", "requested_by", "created_at", "finished_at"]
    list_filter = ["state", "version"]
    inlines = [RolloutTargetInline]


@admin.register(PipelineUsage)
class PipelineUsageAdmin(ReadOnlyAdmin):
    list_display = ["service", "version", "versions", "checked_at"]
    list_filter = ["version"]
    search_fields = ["service__name"]
