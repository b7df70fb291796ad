from django.urls import URLPattern, URLResolver, path

from portal.previews import apis

app_name = "previews"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", apis.PreviewListApi.as_view(), name="list"),
    path("<int:preview_id>", apis.PreviewDetailApi.as_view(), name="detail"),
    path("<int:preview_id>/extend", apis.PreviewExtendApi.as_view(), name="extend"),
    path("<int:preview_id>/wake", apis.PreviewWakeApi.as_view(), name="wake"),
    path("services/<slug:name>/config", apis.PreviewConfigApi.as_view(), name="config"),
    path("services/<slug:name>/applicationset", apis.PreviewApplicationSetApi.as_view(), name="applicationset"),
]
