"""Catalog admin: an SRE can find, filter and fix services without reading code."""

from __future__ import annotations

from django.contrib import admin

from portal.catalog.models import Environment, Resource, Service, ServiceEnvironment, System
from portal.core.admin import AuditedAdmin


class PlacementInline(admin.TabularInline):
    model = ServiceEnvironment
    extra = 0
    fields = ["environment", "namespace", "cluster", "argocd_app_name", "url"]


@admin.register(Service)
class ServiceAdmin(AuditedAdmin):
    list_display = ["name", "title", "owner", "tier", "lifecycle", "type", "system", "language", "origin"]
    list_filter = ["tier", "lifecycle", "type", "origin", "owner", "system", "placements__environment"]
    search_fields = ["name", "title", "description", "repo_url"]
    autocomplete_fields = ["owner", "system", "dependencies", "resources"]
    inlines = [PlacementInline]
    fieldsets = (
        (None, {"fields": ("name", "title", "description", "owner", "system")}),
        ("Classification", {"fields": ("type", "tier", "lifecycle", "tags", "origin")}),
        ("Code and runtime", {"fields": ("repo_url", "runtime", "language", "links")}),
        ("Dependencies", {"fields": ("dependencies", "resources")}),
    )


@admin.register(System)
class SystemAdmin(AuditedAdmin):
    list_display = ["name", "title", "owner"]
    list_filter = ["owner"]
    search_fields = ["name", "title", "description"]
    autocomplete_fields = ["owner"]


@admin.register(Resource)
class ResourceAdmin(AuditedAdmin):
    list_display = ["name", "type", "owner", "system"]
    list_filter = ["type", "owner"]
    search_fields = ["name", "title", "description"]
    autocomplete_fields = ["owner", "system"]


@admin.register(Environment)
class EnvironmentAdmin(AuditedAdmin):
    list_display = ["name", "kind", "default_cluster"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(ServiceEnvironment)
class ServiceEnvironmentAdmin(AuditedAdmin):
    list_display = ["service", "environment", "namespace", "cluster", "argocd_app_name"]
    list_filter = ["environment", "cluster"]
    search_fields = ["service__name", "namespace", "argocd_app_name"]
    autocomplete_fields = ["service"]
