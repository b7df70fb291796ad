"""Previews in the admin: settings are edited (audited); environments are read, their lifecycle runs through the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from portal.core.admin import AuditedAdmin
from portal.previews.models import PreviewConfig, PreviewEnvironment, PreviewStep


@admin.register(PreviewConfig)
class PreviewConfigAdmin(AuditedAdmin):
    list_display = ["service", "enabled", "provider", "repository", "replicas", "ttl_hours"]
    list_filter = ["enabled", "provider"]


class PreviewStepInline(admin.TabularInline):
    model = PreviewStep
    extra = 0
    readonly_fields = ["at", "action", "state", "message", "duration_ms"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PreviewEnvironment)
class PreviewEnvironmentAdmin(admin.ModelAdmin):
    list_display = ["service", "number", "state", "namespace", "expires_at", "cost"]
    list_filter = ["state", "provider"]
    search_fields = ["service__name", "title", "branch"]
    inlines = [PreviewStepInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
