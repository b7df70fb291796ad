from django.urls import path

from portal.changes import apis, risk_apis

app_name = "changes"

urlpatterns = [
    path("stats", apis.DeliveryStatsApi.as_view(), name="stats"),
    path("risk", risk_apis.RiskListApi.as_view(), name="risk-list"),
    path("risk/<int:pk>", risk_apis.RiskDetailApi.as_view(), name="risk-detail"),
    path("freezes", risk_apis.FreezeListApi.as_view(), name="freeze-list"),
    path("freezes/<int:pk>", risk_apis.FreezeDetailApi.as_view(), name="freeze-detail"),
    path("webhooks/github", apis.GitHubWebhookApi.as_view(), name="webhook-github"),
    path("webhooks/gitlab", apis.GitLabWebhookApi.as_view(), name="webhook-gitlab"),
    path("webhooks/argocd", apis.ArgoCdWebhookApi.as_view(), name="webhook-argocd"),
]
