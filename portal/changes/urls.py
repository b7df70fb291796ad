from django.urls import path

from portal.changes import apis

app_name = "changes"

urlpatterns = [
    path("stats", apis.DeliveryStatsApi.as_view(), name="stats"),
    path("webhooks/github", apis.GitHubWebhookApi.as_view(), name="webhook-github"),
    path("webhooks/gitlab", apis.GitLabWebhookApi.as_view(), name="webhook-gitlab"),
    path("webhooks/argocd", apis.ArgoCdWebhookApi.as_view(), name="webhook-argocd"),
]
