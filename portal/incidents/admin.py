from django.contrib import admin

from portal.incidents.models import Alert, Incident, TimelineEntry


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    fields = ["at", "kind", "actor", "message"]
    readonly_fields = ["at", "kind", "actor", "message"]


class AlertInline(admin.TabularInline):
    model = Alert
    extra = 0
    fields = ["name", "status", "severity", "service", "starts_at", "ends_at"]
    readonly_fields = ["name", "status", "severity", "service", "starts_at", "ends_at"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "service", "severity", "state", "commander", "started_at", "resolved_at"]
    list_filter = ["state", "severity", "service__owner"]
    search_fields = ["title", "service__name", "summary"]
    date_hierarchy = "started_at"
    inlines = [AlertInline, TimelineInline]
    autocomplete_fields = ["commander"]
    readonly_fields = ["started_at", "detected_at", "mitigated_at", "resolved_at", "last_activity_at"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "severity", "service", "incident", "starts_at", "received_count"]
    list_filter = ["status", "source", "severity"]
    search_fields = ["name", "fingerprint", "service__name"]
