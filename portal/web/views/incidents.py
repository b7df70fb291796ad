"""Incidents: the list, one incident with its timeline, hypotheses, similar incidents and actions, its postmortem."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404

from portal.incidents.models import Incident, Postmortem
from portal.web import selectors
from portal.web.markdown import markdown_html
from portal.web.views.base import PortalView

STATES = {"active": "Open and mitigated", "resolved": "Resolved", "all": "All"}


class IncidentListView(PortalView):
    template_name = "web/incidents.html"
    section = "incidents"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        state = self.request.GET.get("state", "all")
        state = state if state in STATES else "all"
        page = Paginator(selectors.incidents_list(state), 50).get_page(self.request.GET.get("page"))
        context.update(states=STATES, state=state, page=page)
        return context


def _postmortem(incident: Incident) -> Postmortem | None:
    try:
        return incident.postmortem
    except Postmortem.DoesNotExist:
        return None


def _duration(incident: Incident) -> timedelta | None:
    """From the first signal to resolution (or mitigation); None while it is still open."""
    end = incident.resolved_at or incident.mitigated_at
    return end - incident.started_at if end else None


class IncidentView(PortalView):
    template_name = "web/incident.html"
    section = "incidents"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        incident = selectors.incident_get(kwargs["pk"])
        similar, similar_error = selectors.similar_incidents(incident)
        postmortem = _postmortem(incident)
        context.update(
            incident=incident,
            services=list(incident.services.all()),
            timeline=list(incident.timeline.all()),
            alerts=list(incident.alerts.all()),
            hypotheses=selectors.incident_hypotheses(incident),
            similar=similar,
            similar_error=similar_error,
            actions=list(selectors.incident_actions(incident)),
            postmortem=postmortem,
            postmortem_html=markdown_html(postmortem.markdown) if postmortem else "",
            time_to_detect=incident.detected_at - incident.started_at,
            duration=_duration(incident),
        )
        return context


class PostmortemView(PortalView):
    template_name = "web/postmortem.html"
    section = "incidents"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        incident = selectors.incident_get(kwargs["pk"])
        postmortem = _postmortem(incident)
        if postmortem is None:
            raise Http404(
                f"Incident #{incident.pk} has no postmortem yet: the portal writes one when the incident is resolved."
            )
        versions = list(postmortem.versions.order_by("-version"))
        wanted = self.request.GET.get("version", "")
        shown = next((v for v in versions if str(v.version) == wanted), None)
        if wanted and shown is None:
            raise Http404(f"The postmortem of incident #{incident.pk} has no version {wanted}.")
        context.update(
            incident=incident,
            postmortem=postmortem,
            versions=versions,
            shown=shown,
            html=markdown_html(shown.markdown if shown else postmortem.markdown),
        )
        return context
