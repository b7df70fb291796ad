from django.urls import path

from portal.slo import apis

app_name = "slo"

urlpatterns = [
    path("overview", apis.SLOOverviewApi.as_view(), name="overview"),
    path("<int:slo_id>", apis.SLODetailApi.as_view(), name="slo-detail"),
    path("<int:slo_id>/rules", apis.SLORulesApi.as_view(), name="slo-rules"),
    path("services/<slug:name>/status", apis.ServiceSLOStatusApi.as_view(), name="service-status"),
    path("services/<slug:name>/defaults", apis.ServiceSLODefaultsApi.as_view(), name="service-defaults"),
    path("services/<slug:name>/dashboard", apis.ServiceDashboardApi.as_view(), name="service-dashboard"),
    path(
        "services/<slug:name>/dashboard/provision",
        apis.ServiceDashboardProvisionApi.as_view(),
        name="service-dashboard-provision",
    ),
]
