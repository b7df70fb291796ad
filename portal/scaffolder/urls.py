from django.urls import path

from portal.scaffolder import apis

app_name = "scaffolder"

urlpatterns = [
    path("runs", apis.RunListApi.as_view(), name="run-list"),
    path("runs/<str:run_id>", apis.RunDetailApi.as_view(), name="run-detail"),
    path("runs/<str:run_id>/retry", apis.RunRetryApi.as_view(), name="run-retry"),
]

golden_path_urlpatterns = [
    path("<slug:path>", apis.GoldenPathDetailApi.as_view(), name="golden-path-detail"),
    path("<slug:path>/runs", apis.RunCreateApi.as_view(), name="golden-path-runs"),
]
