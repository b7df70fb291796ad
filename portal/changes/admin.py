from django.contrib import admin

from portal.changes.models import ChangeEvent


@admin.register(ChangeEvent)
class ChangeEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "service", "environment", "kind", "status", "version", "author", "source"]
    list_filter = ["kind", "status", "source", "environment"]
    search_fields = ["service__name", "version", "author", "description"]
    date_hierarchy = "occurred_at"
    readonly_fields = [f.name for f in ChangeEvent._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
