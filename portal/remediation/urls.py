from django.urls import path

from portal.remediation import apis

app_name = "remediation"

urlpatterns = [
    path("runbooks", apis.RunbookListApi.as_view(), name="runbooks"),
    path("action-requests", apis.ActionListApi.as_view(), name="action-list"),
    path("action-requests/<int:action_id>", apis.ActionDetailApi.as_view(), name="action-detail"),
    path("action-requests/<int:action_id>/approve", apis.ActionApproveApi.as_view(), name="action-approve"),
    path("action-requests/<int:action_id>/reject", apis.ActionRejectApi.as_view(), name="action-reject"),
]
