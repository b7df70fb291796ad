"""Admin for people, teams, service tokens and the (read-only) audit trail. Admin writes are audited."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models
from django.http import HttpRequest

from portal.core.audit import audit_context_from_request, audit_record, snapshot
from portal.core.models import AuditEvent, Heartbeat, Membership, ServiceToken, Team, User
from portal.core.services import service_token_revoke


class AuditedAdmin(admin.ModelAdmin):
    """Record every change made through the admin in the audit trail, with before and after."""

    audit_exclude: tuple[str, ...] = ("password",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = None
        if change and obj.pk:
            original = type(obj).objects.filter(pk=obj.pk).first()
            before = snapshot(original, exclude=self.audit_exclude) if original else None
        super().save_model(request, obj, form, change)
        audit_record(
            actor=cast(User, request.user),
            action="update" if change else "create",
            instance=obj,
            before=before,
            after=snapshot(obj, exclude=self.audit_exclude),
            context=audit_context_from_request(request, via="admin"),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(
            actor=cast(User, request.user),
            action="delete",
            instance=obj,
            before=snapshot(obj, exclude=self.audit_exclude),
            context=audit_context_from_request(request, via="admin"),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "platform_role", "is_service_account", "is_active"]
    list_filter = ["platform_role", "is_service_account", "is_active", "is_staff"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("Platform", {"fields": ("platform_role", "is_service_account")}))  # type: ignore[misc]
    search_fields = ["username", "email", "first_name", "last_name"]


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ["name", "title", "email", "slack_channel", "parent", "member_count"]
    search_fields = ["name", "title", "description"]
    inlines = [MembershipInline]
    autocomplete_fields = ["parent"]

    @admin.display(description="members")
    def member_count(self, obj: Team) -> int:
        return obj.memberships.count()


@admin.register(ServiceToken)
class ServiceTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `manage.py create_service_token` (the secret is shown once there)."""

    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["user", "name", "prefix", "created_by", "created_at", "last_used_at", "expires_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: models.QuerySet[ServiceToken]) -> None:
        for token in queryset:
            service_token_revoke(
                token=token,
                actor=cast(User, request.user),
                context=audit_context_from_request(request, via="admin"),
            )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_name", "action", "object_type", "object_repr", "via", "source_ip"]
    list_filter = ["action", "object_type", "via"]
    search_fields = ["actor_name", "object_repr", "object_id", "request_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["component", "last_seen", "detail"]
    readonly_fields = ["component", "last_seen", "detail"]
