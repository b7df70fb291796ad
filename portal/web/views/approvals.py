"""Approvals: the queue of pending remediation actions with evidence and diff; SREs approve or reject."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from portal.core.errors import ApplicationError
from portal.remediation.models import ActionRequest
from portal.remediation.services import action_decide
from portal.web import selectors
from portal.web.forms import DecisionForm
from portal.web.previews import action_preview
from portal.web.views.base import PortalView, web_context


class ApprovalsView(PortalView):
    template_name = "web/approvals.html"
    section = "approvals"
    http_method_names = ["get"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        failed: dict[int, tuple[DecisionForm, str]] = kwargs.get("failed", {})
        queue = []
        for action in selectors.actions_pending():
            form, error = failed.get(action.pk, (DecisionForm(), ""))
            changes, change_error = action_preview(action)
            queue.append(
                {
                    "action": action,
                    "changes": changes,
                    "change_error": change_error,
                    "form": form,
                    "error": error,
                    "own": action.requested_by_id == self.request.user.pk,
                }
            )
        context.update(
            queue=queue,
            may_decide=getattr(self.request.user, "is_sre", False),
            decided=list(selectors.actions_recently_decided()),
        )
        return context


class DecideView(ApprovalsView):
    """POST: approve or reject one action; errors are shown on the queue with the status they mean."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        action = get_object_or_404(ActionRequest.objects.select_related("runbook", "service", "environment"), pk=pk)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self._failed(action, form, "The decision is incomplete: see the comment field.", status=400)
        approve = form.cleaned_data["decision"] == "approve"
        try:
            action_decide(
                actor=request.user,
                action=action,
                approve=approve,
                comment=form.cleaned_data["comment"],
                context=web_context(request),
            )
        except ApplicationError as exc:
            return self._failed(action, form, exc.message, status=exc.status_code)
        verb = "Approved" if approve else "Rejected"
        messages.success(request, f"{verb} '{action.runbook.title}' on {action.service.name} ({action.environment}).")
        return HttpResponseRedirect(reverse("web:approvals"))

    def _failed(self, action: ActionRequest, form: DecisionForm, error: str, *, status: int) -> HttpResponse:
        context = self.get_context_data(failed={action.pk: (form, error)})
        context["page_error"] = f"Action #{action.pk} ({action.runbook.title} on {action.service.name}): {error}"
        return self.render_to_response(context, status=status)
