from django.contrib import admin
from django.http import HttpRequest

from portal.delivery.models import CanaryConfig, CanaryJudgement, GateEvaluation


@admin.register(CanaryConfig)
class CanaryConfigAdmin(admin.ModelAdmin):
    list_display = ["service", "name", "pass_threshold", "marginal_threshold", "updated_by", "updated_at"]
    search_fields = ["service__name", "name"]
    readonly_fields = [f.name for f in CanaryConfig._meta.fields]  # changed through the API, which validates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CanaryJudgement)
class CanaryJudgementAdmin(admin.ModelAdmin):
    list_display = ["created_at", "service", "environment", "config_name", "outcome", "score", "requested_by"]
    list_filter = ["outcome", "environment"]
    search_fields = ["service__name"]
    readonly_fields = [f.name for f in CanaryJudgement._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(GateEvaluation)
class GateEvaluationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "service", "environment", "version", "outcome", "requested_by"]
    list_filter = ["outcome", "environment"]
    search_fields = ["service__name", "version"]
    readonly_fields = [f.name for f in GateEvaluation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
