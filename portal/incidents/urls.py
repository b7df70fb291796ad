from django.urls import path

from portal.incidents import apis

app_name = "incidents"

urlpatterns = [
    path("webhooks/alertmanager", apis.AlertmanagerWebhookApi.as_view(), name="webhook-alertmanager"),
    path("postmortems", apis.PostmortemListApi.as_view(), name="postmortem-list"),
    path("<int:incident_id>", apis.IncidentDetailApi.as_view(), name="incident-detail"),
    path("<int:incident_id>/postmortem", apis.PostmortemDetailApi.as_view(), name="postmortem-detail"),
    path("<int:incident_id>/state", apis.IncidentStateApi.as_view(), name="incident-state"),
    path("<int:incident_id>/notes", apis.IncidentNoteApi.as_view(), name="incident-notes"),
]
