from django.urls import URLPattern, URLResolver, path

from portal.delivery import apis

app_name = "delivery"

urlpatterns: list[URLPattern | URLResolver] = [
    path("canary/judgements", apis.JudgementListApi.as_view(), name="judgements"),
    path("canary/judgements/<int:judgement_id>", apis.JudgementDetailApi.as_view(), name="judgement-detail"),
    path("canary/configs", apis.ConfigListApi.as_view(), name="configs"),
    path("canary/configs/<slug:service>/<str:name>", apis.ConfigDetailApi.as_view(), name="config-detail"),
    path(
        "canary/services/<slug:name>/analysis-template",
        apis.AnalysisTemplateApi.as_view(),
        name="analysis-template",
    ),
    path("gates/evaluate", apis.GateEvaluateApi.as_view(), name="gates-evaluate"),
    path("gates/evaluations", apis.GateListApi.as_view(), name="gate-evaluations"),
    path("gates/evaluations/<int:evaluation_id>", apis.GateDetailApi.as_view(), name="gate-detail"),
]
