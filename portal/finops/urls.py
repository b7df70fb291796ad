from django.urls import path

from portal.finops import apis, log_apis

app_name = "finops"

urlpatterns = [
    path("costs", apis.CostApi.as_view(), name="costs"),
    path("dashboard", apis.CostDashboardApi.as_view(), name="cost-dashboard"),
    path("dashboard/provision", apis.CostDashboardProvisionApi.as_view(), name="cost-dashboard-provision"),
    path("services/<slug:name>/cost", apis.ServiceCostApi.as_view(), name="service-cost"),
    path("services/<slug:name>/unit-costs", apis.ServiceUnitCostApi.as_view(), name="service-unit-costs"),
    path("idle", apis.IdleApi.as_view(), name="idle"),
    path("logs", log_apis.LogCostApi.as_view(), name="logs"),
    path("bills", apis.BillImportApi.as_view(), name="bills"),
    path("rightsizing", apis.RightsizingListApi.as_view(), name="rightsizing"),
    path(
        "rightsizing/<int:recommendation_id>/request", apis.RightsizingRequestApi.as_view(), name="rightsizing-request"
    ),
]
