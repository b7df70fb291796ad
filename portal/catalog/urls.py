from django.urls import path

from portal.catalog import apis, team_apis

app_name = "catalog"

urlpatterns = [
    path("services", apis.ServiceListApi.as_view(), name="service-list"),
    path("services/<slug:name>", apis.ServiceDetailApi.as_view(), name="service-detail"),
    path("services/<slug:name>/catalog-info.yaml", apis.ServiceCatalogInfoApi.as_view(), name="service-catalog-info"),
    path(
        "services/<slug:name>/environments/<slug:environment>",
        apis.ServicePlacementApi.as_view(),
        name="service-placement",
    ),
    path(
        "services/<slug:name>/golden-path-upgrade",
        apis.ServiceGoldenPathUpgradeApi.as_view(),
        name="service-golden-path-upgrade",
    ),
    path("teams", team_apis.TeamListApi.as_view(), name="team-list"),
    path("teams/<slug:name>", team_apis.TeamDetailApi.as_view(), name="team-detail"),
    path("teams/<slug:name>/members/<str:username>", team_apis.TeamMemberApi.as_view(), name="team-member"),
    path("systems", apis.SystemListApi.as_view(), name="system-list"),
    path("systems/<slug:name>", apis.SystemDetailApi.as_view(), name="system-detail"),
    path("resources", apis.ResourceListApi.as_view(), name="resource-list"),
    path("resources/<slug:name>", apis.ResourceDetailApi.as_view(), name="resource-detail"),
    path("environments", apis.EnvironmentListApi.as_view(), name="environment-list"),
    path("environments/<slug:name>", apis.EnvironmentDetailApi.as_view(), name="environment-detail"),
    path("entities", apis.EntityListApi.as_view(), name="entities"),
    path("import", apis.CatalogImportApi.as_view(), name="import"),
]
