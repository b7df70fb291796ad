"""Delivery API: canary judgements (also Argo Rollouts' web metric), canary configs, and quality gates."""

from __future__ import annotations

from typing import Any

import django_filters
import yaml
from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.catalog.models import Environment, Service, ServiceEnvironment
from portal.core.api import StrictSerializer, context, filter_queryset, paginated, validated
from portal.core.errors import ApplicationError, NotFound
from portal.core.schema import filter_parameters
from portal.delivery import gate_services, selectors, services
from portal.delivery.models import CanaryJudgement, GateEvaluation, GateOutcome, Outcome
from portal.delivery.rollouts import analysis_template, rollout_analysis_step
from portal.delivery.services import CONFIG_FIELDS, MAX_POINTS


def _key(request: Request, data: dict[str, Any]) -> str:
    return str(data.get("idempotency_key") or request.headers.get("Idempotency-Key", ""))


class SideInput(StrictSerializer):
    version = serializers.CharField(max_length=200, required=False, allow_blank=True)
    pod_regex = serializers.CharField(max_length=200, required=False, allow_blank=True)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    series = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True), max_length=MAX_POINTS),
        required=False,
        help_text="Inline values per metric name, for pipelines that fetched their own data.",
    )


class JudgementOutput(serializers.ModelSerializer):
    service = serializers.CharField(source="service.name")
    environment = serializers.CharField(source="environment.name")
    config = serializers.CharField(source="config_name")
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)
    url = serializers.SerializerMethodField()

    class Meta:
        model = CanaryJudgement
        fields = [
            "id",
            "service",
            "environment",
            "config",
            "outcome",
            "score",
            "reasons",
            "metrics",
            "group_scores",
            "baseline",
            "canary",
            "start",
            "end",
            "requested_by",
            "created_at",
            "url",
        ]

    def get_url(self, obj: CanaryJudgement) -> str:
        return settings.SITE_URL + reverse("delivery:judgement-detail", kwargs={"judgement_id": obj.pk})


class JudgementFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="service__name")
    environment = django_filters.CharFilter(field_name="environment__name")
    outcome = django_filters.MultipleChoiceFilter(choices=Outcome.choices)


class JudgementListApi(APIView):
    @extend_schema_serializer(component_name="CanaryJudgementRequest")
    class Input(StrictSerializer):
        service = serializers.SlugRelatedField(slug_field="name", queryset=Service.objects.select_related("owner"))
        environment = serializers.SlugRelatedField(slug_field="name", queryset=Environment.objects.all())
        baseline = SideInput()
        canary = SideInput()
        start = serializers.DateTimeField(required=False)
        end = serializers.DateTimeField(required=False)
        config = serializers.SlugField(max_length=63, required=False, allow_blank=True)
        idempotency_key = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(
        operation_id="delivery_canary_judgements_list",
        responses=JudgementOutput(many=True),
        parameters=filter_parameters(JudgementFilter),
        tags=["delivery"],
    )
    def get(self, request: Request) -> Response:
        judgements = filter_queryset(JudgementFilter, request, selectors.judgement_visible(request.user))
        return paginated(request, judgements, JudgementOutput, self)

    @extend_schema(
        operation_id="delivery_canary_judgements_create",
        request=Input,
        responses={201: JudgementOutput, 200: JudgementOutput},
        tags=["delivery"],
        description="Judge a canary against its baseline (Kayenta's method). 201 when judged, 200 for a repeated "
        "idempotency key. Argo Rollouts' web metric reads `{$.outcome}`.",
    )
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request)
        judgement, created = services.canary_judge(
            actor=request.user,
            service=data["service"],
            environment=data["environment"],
            baseline=data["baseline"],
            canary=data["canary"],
            start=data.get("start"),
            end=data.get("end"),
            config_name=data.get("config", ""),
            idempotency_key=_key(request, data),
            context=context(request),
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(JudgementOutput(judgement).data, status=code)


class JudgementDetailApi(APIView):
    @extend_schema(operation_id="delivery_canary_judgements_retrieve", responses=JudgementOutput, tags=["delivery"])
    def get(self, request: Request, judgement_id: int) -> Response:
        return Response(JudgementOutput(selectors.judgement_get(request.user, judgement_id)).data)


def _service(name: str) -> Service:
    service = Service.objects.select_related("owner").filter(name=name).first()
    if service is None:
        raise NotFound(f"No service '{name}'.", fields={"service": ["not found"]})
    return service


@extend_schema_serializer(component_name="CanaryConfig")
class ConfigOutput(serializers.Serializer):
    service = serializers.CharField()
    name = serializers.CharField()
    metrics = serializers.ListField(child=serializers.DictField())
    group_weights = serializers.DictField(child=serializers.FloatField())
    pass_threshold = serializers.FloatField()
    marginal_threshold = serializers.FloatField()
    tolerance = serializers.FloatField()
    confidence = serializers.FloatField()
    lookback_minutes = serializers.IntegerField()
    step_seconds = serializers.IntegerField()


class ConfigListApi(APIView):
    @extend_schema(
        operation_id="delivery_canary_configs_list",
        parameters=[OpenApiParameter("service", str, required=False)],
        responses=ConfigOutput(many=True),
        tags=["delivery"],
    )
    def get(self, request: Request) -> Response:
        configs = selectors.canary_configs(request.query_params.get("service", ""))
        return Response(
            [_config_body(c.service.name, c.name, {k: getattr(c, k) for k in CONFIG_FIELDS}) for c in configs]
        )


def _config_body(service: str, name: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"service": service, "name": name, **config}


class ConfigDetailApi(APIView):
    @extend_schema_serializer(component_name="CanaryConfigRequest")
    class Input(StrictSerializer):
        metrics = serializers.ListField(child=serializers.DictField(), required=False)
        group_weights = serializers.DictField(child=serializers.FloatField(min_value=0, max_value=100), required=False)
        pass_threshold = serializers.FloatField(min_value=0, max_value=100, required=False)
        marginal_threshold = serializers.FloatField(min_value=0, max_value=100, required=False)
        tolerance = serializers.FloatField(min_value=0, max_value=10, required=False)
        confidence = serializers.FloatField(min_value=0.5, max_value=0.999, required=False)
        lookback_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, required=False)
        step_seconds = serializers.IntegerField(min_value=1, max_value=3600, required=False)

    @extend_schema(operation_id="delivery_canary_configs_retrieve", responses=ConfigOutput, tags=["delivery"])
    def get(self, request: Request, service: str, name: str) -> Response:
        found = _service(service)
        config_name, config = services.canary_config_resolve(found, name)
        return Response(_config_body(found.name, config_name, config))

    @extend_schema(
        operation_id="delivery_canary_configs_put",
        request=Input,
        responses={200: ConfigOutput, 201: ConfigOutput},
        tags=["delivery"],
    )
    def put(self, request: Request, service: str, name: str) -> Response:
        found = _service(service)
        if not serializers.SlugField().run_validation(name) or len(name) > 63:
            raise ApplicationError("A config name is a slug.", fields={"name": ["letters, digits, - and _"]})
        config, created = services.canary_config_put(
            actor=request.user, service=found, name=name, data=validated(self.Input, request), context=context(request)
        )
        body = _config_body(found.name, config.name, {k: getattr(config, k) for k in CONFIG_FIELDS})
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ManifestYamlRenderer(BaseRenderer):
    """The AnalysisTemplate alone as YAML for kubectl (?format=yaml or Accept: application/yaml)."""

    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        document = data.get("analysis_template", data) if isinstance(data, dict) else data
        return yaml.safe_dump(document, sort_keys=False).encode()


class AnalysisTemplateApi(APIView):
    renderer_classes = [JSONRenderer, ManifestYamlRenderer]

    @extend_schema(
        operation_id="delivery_canary_analysis_template",
        parameters=[
            OpenApiParameter("environment", str, required=True),
            OpenApiParameter("config", str, required=False),
            OpenApiParameter("format", str, required=False, enum=["json", "yaml"]),
        ],
        responses={200: OpenApiTypes.OBJECT},
        tags=["delivery"],
        description="An Argo Rollouts AnalysisTemplate whose web metric calls the canary judge, and the Rollout's "
        "analysis stanza that passes it the stable and canary pod-template hashes.",
    )
    def get(self, request: Request, name: str) -> Response:
        service = _service(name)
        env_name = request.query_params.get("environment", "")
        environment = Environment.objects.filter(name=env_name).first()
        if environment is None:
            raise ApplicationError("Name an environment.", fields={"environment": ["not found"]})
        config_name, _ = services.canary_config_resolve(service, request.query_params.get("config", ""))
        placement = ServiceEnvironment.objects.filter(service=service, environment=environment).first()
        try:
            template = analysis_template(
                service=service.name,
                team=service.owner.name,
                environment=environment.name,
                cost_centre=service.owner.cost_centre,
                portal_url=settings.SITE_URL,
                namespace=placement.namespace if placement else "",
                config=config_name,
            )
        except ValueError as exc:  # a label value Kubernetes would refuse (a team's cost centre, say)
            raise ApplicationError(f"Cannot label the template: {exc}.", fields={"service": [str(exc)]}) from exc
        return Response({"analysis_template": template, "rollout_analysis": rollout_analysis_step(service.name)})


class GateOutput(serializers.ModelSerializer):
    service = serializers.CharField(source="service.name")
    environment = serializers.CharField(source="environment.name")
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)

    class Meta:
        model = GateEvaluation
        fields = [
            "id",
            "service",
            "environment",
            "version",
            "outcome",
            "reasons",
            "gates",
            "start",
            "end",
            "requested_by",
            "created_at",
        ]


class GateFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="service__name")
    version = django_filters.CharFilter()
    outcome = django_filters.MultipleChoiceFilter(choices=GateOutcome.choices)


class GateEvaluateApi(APIView):
    @extend_schema_serializer(component_name="GateEvaluationRequest")
    class Input(StrictSerializer):
        service = serializers.SlugRelatedField(slug_field="name", queryset=Service.objects.select_related("owner"))
        environment = serializers.SlugRelatedField(slug_field="name", queryset=Environment.objects.all())
        version = serializers.CharField(max_length=200, required=False, allow_blank=True)
        start = serializers.DateTimeField(required=False)
        end = serializers.DateTimeField(required=False)
        gates = serializers.ListField(
            child=serializers.ChoiceField(choices=gate_services.GATES), required=False, allow_empty=False
        )
        idempotency_key = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(
        operation_id="delivery_gates_evaluate",
        request=Input,
        responses={201: GateOutput, 200: GateOutput},
        tags=["delivery"],
    )
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request)
        evaluation, created = gate_services.gates_evaluate(
            actor=request.user,
            service=data["service"],
            environment=data["environment"],
            version=data.get("version", ""),
            start=data.get("start"),
            end=data.get("end"),
            gates=data.get("gates"),
            idempotency_key=_key(request, data),
            context=context(request),
        )
        return Response(GateOutput(evaluation).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class GateListApi(APIView):
    @extend_schema(
        operation_id="delivery_gates_list",
        responses=GateOutput(many=True),
        parameters=filter_parameters(GateFilter),
        tags=["delivery"],
    )
    def get(self, request: Request) -> Response:
        evaluations = filter_queryset(GateFilter, request, selectors.gate_evaluation_visible(request.user))
        return paginated(request, evaluations, GateOutput, self)


class GateDetailApi(APIView):
    @extend_schema(operation_id="delivery_gates_retrieve", responses=GateOutput, tags=["delivery"])
    def get(self, request: Request, evaluation_id: int) -> Response:
        return Response(GateOutput(selectors.gate_evaluation_get(request.user, evaluation_id)).data)
