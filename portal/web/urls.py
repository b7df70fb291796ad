"""The portal's pages (sign-in required) and the scorecard API for Backstage."""

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path, reverse_lazy

from portal.web import apis
from portal.web.views import (
    approvals,
    finops,
    golden_paths,
    home,
    incidents,
    logs,
    preview_environments,
    scorecard,
    services,
    traces,
)

app_name = "web"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", home.HomeView.as_view(), name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True, next_page=reverse_lazy("web:home")
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="web:login"), name="logout"),
    path("services/<slug:name>", services.ServiceView.as_view(), name="service"),
    path("incidents", incidents.IncidentListView.as_view(), name="incidents"),
    path("incidents/<int:pk>", incidents.IncidentView.as_view(), name="incident"),
    path("incidents/<int:pk>/postmortem", incidents.PostmortemView.as_view(), name="postmortem"),
    path("traces/<str:trace_id>", traces.TraceView.as_view(), name="trace"),
    path("approvals", approvals.ApprovalsView.as_view(), name="approvals"),
    path("approvals/<int:pk>/decide", approvals.DecideView.as_view(), name="decide"),
    path("finops", finops.FinopsView.as_view(), name="finops"),
    path("finops/logs", logs.LogCostView.as_view(), name="log-cost"),
    path("logs", logs.LogsView.as_view(), name="logs"),
    path("golden-paths", golden_paths.GoldenPathListView.as_view(), name="golden-paths"),
    path("golden-paths/runs/<uuid:run_id>", golden_paths.RunView.as_view(), name="run"),
    path("golden-paths/<slug:name>", golden_paths.GoldenPathView.as_view(), name="golden-path"),
    path("scorecard", scorecard.ScorecardView.as_view(), name="scorecard"),
    path("previews", preview_environments.PreviewEnvironmentsView.as_view(), name="previews"),
    path("api/v1/scorecard", apis.ScorecardApi.as_view(), name="scorecard-api"),
]
