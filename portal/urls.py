"""Top-level routes: health, metrics, the versioned API, its schema and docs, and the admin."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from portal.changes import apis as changes_apis
from portal.core import apis as core_apis
from portal.core import health
from portal.incidents import apis as incident_apis
from portal.integrations.source_control import apis as scm_apis
from portal.scaffolder import apis as scaffolder_apis
from portal.scaffolder.urls import golden_path_urlpatterns
from portal.slo import apis as slo_apis

handler404 = "portal.core.errors.json_not_found"
handler500 = "portal.core.errors.json_server_error"

admin.site.site_header = "Platform portal"
admin.site.site_title = "Platform portal"
admin.site.index_title = "Catalog, people and audit"

api_v1: list[URLPattern | URLResolver] = [
    path("me", core_apis.MeApi.as_view(), name="me"),
    path("audit", core_apis.AuditListApi.as_view(), name="audit-list"),
    path("catalog/", include("portal.catalog.urls")),
    path("golden-paths", scaffolder_apis.GoldenPathListApi.as_view(), name="golden-path-list"),
    path("golden-paths/", include((golden_path_urlpatterns, "golden-paths"))),
    path("scaffolder/", include("portal.scaffolder.urls")),
    path("changes", changes_apis.ChangeListApi.as_view(), name="change-list"),
    path("changes/", include("portal.changes.urls")),
    path("incidents", incident_apis.IncidentListApi.as_view(), name="incident-list"),
    path("incidents/", include("portal.incidents.urls")),
    path("remediation/", include("portal.remediation.urls")),
    path("slo", slo_apis.SLOListApi.as_view(), name="slo-list"),
    path("slo/", include("portal.slo.urls")),
    path("finops/", include("portal.finops.urls")),
    path("delivery/", include("portal.delivery.urls")),
    path("previews/", include("portal.previews.urls")),
    path("pipelines/", include("portal.pipelines.urls")),
    path("infra/", include("portal.infra.urls")),
    path("scm/repositories/<slug:owner>/<slug:name>", scm_apis.RepositoryApi.as_view(), name="scm-repository"),
    path(
        "scm/repositories/<slug:owner>/<slug:name>/files/<path:file_path>",
        scm_apis.RepositoryFileApi.as_view(),
        name="scm-file",
    ),
    path(
        "scm/repositories/<slug:owner>/<slug:name>/pulls/<int:number>",
        scm_apis.PullRequestApi.as_view(),
        name="scm-pull-request",
    ),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.MetricsApi.as_view(), name="metrics"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("admin/", admin.site.urls),
    path("", include("portal.web.urls")),
]
