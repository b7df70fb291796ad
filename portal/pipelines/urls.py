from django.urls import URLPattern, URLResolver, path

from portal.pipelines import apis

app_name = "pipelines"

urlpatterns: list[URLPattern | URLResolver] = [
    path("versions", apis.VersionListApi.as_view(), name="versions"),
    path("versions/publish", apis.PublishApi.as_view(), name="publish"),
    path("rollouts", apis.RolloutListApi.as_view(), name="rollouts"),
    path("rollouts/<int:rollout_id>", apis.RolloutDetailApi.as_view(), name="rollout"),
]
