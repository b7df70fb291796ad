"""Remediation in the admin: runbooks (editable), and the approval queue with evidence and the diff."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from portal.core.admin import AuditedAdmin
from portal.core.audit import audit_context_from_request
from portal.core.errors import ApplicationError
from portal.core.models import User
from portal.integrations.errors import IntegrationError
from portal.remediation.executors import desired_state_change
from portal.remediation.models import ActionRequest, ChangeFreeze, Runbook
from portal.remediation.services import action_decide


@admin.register(Runbook)
class RunbookAdmin(AuditedAdmin):
    list_display = ["name", "title", "action", "risk", "version", "edited_in_admin"]
    list_filter = ["action", "risk"]
    search_fields = ["name", "title", "description"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.edited_in_admin = True  # the YAML sync leaves it alone from now on
        super().save_model(request, obj, form, change)


@admin.register(ChangeFreeze)
class ChangeFreezeAdmin(AuditedAdmin):
    list_display = ["reason", "starts_at", "ends_at", "environment_kinds"]


class DecisionForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Why: it goes to the audit log.")


def proposed_change(action: ActionRequest) -> str:
    """What the executor would write, so the approver sees the diff before approving."""
    if action.runbook.action in ("rightsize", "workflow"):
        return json.dumps({"runbook": action.runbook.name, "parameters": action.parameters}, indent=2)
    try:
        files = desired_state_change(action, action.runbook.action, dict(action.parameters))
    except (IntegrationError, KeyError, ValueError) as exc:
        return f"Cannot preview: {getattr(exc, 'message', exc)}"
    return "\n\n".join(f"# {path}\n{text}" for path, text in files.items())


@admin.register(ActionRequest)
class ActionRequestAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "runbook",
        "service",
        "environment",
        "state",
        "decision",
        "requester",
        "created_at",
        "expires_at",
        "decide_link",
    ]
    list_filter = ["state", "decision", "environment", "runbook"]
    search_fields = ["service__name", "reason"]
    readonly_fields = [f.name for f in ActionRequest._meta.fields] + ["evidence_list", "change_preview"]
    exclude = ["evidence"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="requested by")
    def requester(self, obj: ActionRequest) -> str:
        return obj.requested_by.username if obj.requested_by else "portal analysis"

    @admin.display(description="decide")
    def decide_link(self, obj: ActionRequest) -> str:
        if obj.state != "pending":
            return "-"
        url = reverse("admin:remediation_actionrequest_decide", args=[obj.pk])
        return format_html('<a class="button" href="{}">Review</a>', url)

    @admin.display(description="evidence")
    def evidence_list(self, obj: ActionRequest) -> str:
        items = [
            (e.get("text") or e.get("title") or json.dumps(e)[:200]) if isinstance(e, dict) else str(e)
            for e in obj.evidence
        ]
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((item,) for item in items)))

    @admin.display(description="what will change")
    def change_preview(self, obj: ActionRequest) -> str:
        return format_html("<pre>{}</pre>", proposed_change(obj))

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="remediation_actionrequest_decide",
            )
        ]
        return custom + super().get_urls()

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        action = get_object_or_404(ActionRequest.objects.select_related("runbook", "service", "environment"), pk=pk)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            approve = "approve" in request.POST
            try:
                action_decide(
                    actor=cast(User, request.user),
                    action=action,
                    approve=approve,
                    comment=form.cleaned_data["comment"],
                    context=audit_context_from_request(request, via="admin"),
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"{'Approved' if approve else 'Rejected'}: {action.runbook.title}.")
                return HttpResponseRedirect(reverse("admin:remediation_actionrequest_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review: {action}",
            "action": action,
            "form": form,
            "evidence": self.evidence_list(action),
            "preview": proposed_change(action),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "remediation/decide.html", context)
