from django.urls import URLPattern, URLResolver, path

from portal.infra import apis

app_name = "infra"

urlpatterns: list[URLPattern | URLResolver] = [
    path("kinds", apis.KindListApi.as_view(), name="kind-list"),
    path("requests", apis.RequestListCreateApi.as_view(), name="request-list"),
    path("requests/<str:request_id>", apis.RequestDetailApi.as_view(), name="request-detail"),
    path("requests/<str:request_id>/retry", apis.RequestRetryApi.as_view(), name="request-retry"),
]
