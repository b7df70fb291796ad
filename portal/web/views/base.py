"""The base of every page: sign-in required, and the server time in a Server-Timing header."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.views.generic import TemplateView

from portal.core.audit import AuditContext, audit_context_from_request
from portal.remediation.models import ActionRequest, ActionState

LOGIN_URL = reverse_lazy("web:login")


class PortalView(LoginRequiredMixin, TemplateView):
    login_url = LOGIN_URL
    section = ""  # which navigation entry is current

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        started = time.perf_counter()
        response = super().dispatch(request, *args, **kwargs)
        if isinstance(response, TemplateResponse) and not response.is_rendered:
            response.render()  # render here, so the header counts template time too
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["section"] = self.section
        context["pending_count"] = ActionRequest.objects.filter(state=ActionState.PENDING).count()
        return context


def web_context(request: HttpRequest) -> AuditContext:
    """Where a change made through the pages came from, for the audit trail."""
    return audit_context_from_request(request, via="web")
