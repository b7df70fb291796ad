from django.contrib import admin

from portal.changes.models import ChangeEvent, RiskAssessment


@admin.register(ChangeEvent)
class ChangeEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "service", "environment", "kind", "status", "version", "author", "source"]
    list_filter = ["kind", "status", "source", "environment"]
    search_fields = ["service__name", "version", "author", "description"]
    date_hierarchy = "occurred_at"
    readonly_fields = [f.name for f in ChangeEvent._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "service", "repository", "pull_request", "head_sha", "score", "level", "source"]
    list_filter = ["level", "source"]
    search_fields = ["service__name", "repository", "head_sha", "author"]
    readonly_fields = [f.name for f in RiskAssessment._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
