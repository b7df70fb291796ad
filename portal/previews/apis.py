"""Previews API: list and read previews with their step log, extend, wake, delete; a service's settings and
ApplicationSet."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import django_filters
import yaml
from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.catalog.models import Service
from portal.core.api import StrictSerializer, context, filter_queryset, log_after, paginated, validated
from portal.core.errors import NotFound
from portal.core.models import User
from portal.core.permissions import require_write_owned_by
from portal.core.schema import filter_parameters
from portal.previews import selectors, services
from portal.previews.models import PreviewConfig, PreviewEnvironment, PreviewState, Provider
from portal.previews.render import applicationset
from portal.previews.specs import spec_for


class PreviewStepOutput(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    action = serializers.CharField()
    state = serializers.CharField()
    message = serializers.CharField()
    duration_ms = serializers.IntegerField()


class PreviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    service = serializers.CharField(source="service.name")
    team = serializers.CharField(source="service.owner.name")
    number = serializers.IntegerField()
    provider = serializers.CharField()
    repository = serializers.CharField()
    title = serializers.CharField()
    author = serializers.CharField()
    url = serializers.CharField()
    branch = serializers.CharField()
    head_sha = serializers.CharField()
    deployed_sha = serializers.CharField()
    namespace = serializers.CharField()
    state = serializers.CharField()
    reason = serializers.CharField()
    last_push_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    awake_until = serializers.DateTimeField(allow_null=True)
    gitops_commit = serializers.CharField()
    cost = serializers.DecimalField(max_digits=12, decimal_places=6, help_text="US dollars so far")
    running_hours = serializers.FloatField()
    sleeping_hours = serializers.FloatField()
    created_at = serializers.DateTimeField()
    deleted_at = serializers.DateTimeField(allow_null=True)
    links = serializers.SerializerMethodField()

    def get_links(self, obj: PreviewEnvironment) -> dict[str, str]:
        base = f"{settings.SITE_URL}/api/v1/previews/{obj.pk}"
        return {"self": base, "extend": f"{base}/extend", "wake": f"{base}/wake"}


@extend_schema_serializer(component_name="PreviewDetail")
class PreviewDetailOutput(PreviewOutput):
    steps = serializers.SerializerMethodField()

    def get_steps(self, obj: PreviewEnvironment) -> list[dict[str, Any]]:
        after = int(self.context.get("after", 0))
        return list(PreviewStepOutput(selectors.preview_steps(obj, after=after), many=True).data)


class PreviewFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="service__name")
    team = django_filters.CharFilter(field_name="service__owner__name")
    state = django_filters.MultipleChoiceFilter(choices=PreviewState.choices)
    number = django_filters.NumberFilter()


def _user(request: Request) -> User:
    return cast(User, request.user)  # authentication is required on every endpoint here


class PreviewListApi(APIView):
    @extend_schema(
        operation_id="previews_list",
        responses=PreviewOutput(many=True),
        parameters=filter_parameters(PreviewFilter),
        tags=["previews"],
    )
    def get(self, request: Request) -> Response:
        previews = filter_queryset(PreviewFilter, request, selectors.previews_visible_to(_user(request)))
        return paginated(request, previews, PreviewOutput, self)


class PreviewDetailApi(APIView):
    @extend_schema(
        operation_id="previews_retrieve",
        responses=PreviewDetailOutput,
        parameters=[OpenApiParameter("after", int, description="only steps after this step id")],
        tags=["previews"],
    )
    def get(self, request: Request, preview_id: int) -> Response:
        preview = selectors.preview_get(_user(request), preview_id)
        return Response(PreviewDetailOutput(preview, context={"after": log_after(request, what="step")}).data)

    @extend_schema(operation_id="previews_delete", responses={202: PreviewDetailOutput}, tags=["previews"])
    def delete(self, request: Request, preview_id: int) -> Response:
        preview = selectors.preview_get(_user(request), preview_id)
        require_write_owned_by(request.user, preview.service.owner, what=f"preview {preview}")
        preview = services.preview_teardown(
            preview,
            reason=f"deleted by {_user(request).get_username()}",
            actor=_user(request),
            context=context(request),
        )
        return Response(PreviewDetailOutput(preview).data, status=status.HTTP_202_ACCEPTED)


class PreviewExtendApi(APIView):
    @extend_schema_serializer(component_name="PreviewExtend")
    class Input(StrictSerializer):
        hours = serializers.IntegerField(min_value=1, help_text="hours added to the expiry")

    @extend_schema(operation_id="previews_extend", request=Input, responses=PreviewDetailOutput, tags=["previews"])
    def post(self, request: Request, preview_id: int) -> Response:
        data = validated(self.Input, request)
        preview = selectors.preview_get(_user(request), preview_id)
        require_write_owned_by(request.user, preview.service.owner, what=f"preview {preview}")
        preview = services.preview_extend(preview, hours=data["hours"], actor=_user(request), context=context(request))
        return Response(PreviewDetailOutput(preview).data)


class PreviewWakeApi(APIView):
    @extend_schema(operation_id="previews_wake", request=None, responses=PreviewDetailOutput, tags=["previews"])
    def post(self, request: Request, preview_id: int) -> Response:
        preview = selectors.preview_get(_user(request), preview_id)
        require_write_owned_by(request.user, preview.service.owner, what=f"preview {preview}")
        preview = services.preview_wake(preview, actor=_user(request), context=context(request))
        return Response(PreviewDetailOutput(preview).data)


def _service(name: str) -> Service:
    service = Service.objects.select_related("owner").filter(name=name).first()
    if service is None:
        raise NotFound(f"No service {name}.", fields={"service": ["not found"]})
    return service


class PreviewConfigOutput(serializers.ModelSerializer):
    service = serializers.CharField(source="service.name")

    class Meta:
        model = PreviewConfig
        fields = [
            "service",
            "enabled",
            "provider",
            "repository",
            "gitlab_project",
            "api_url",
            "token_secret",
            "overlay_path",
            "image",
            "labels",
            "replicas",
            "cpu",
            "memory_gib",
            "storage_gib",
            "ttl_hours",
            "updated_at",
        ]


class PreviewConfigApi(APIView):
    @extend_schema_serializer(component_name="PreviewConfigInput")
    class Input(StrictSerializer):
        enabled = serializers.BooleanField(default=True)
        provider = serializers.ChoiceField(choices=Provider.choices, default=Provider.GITHUB)
        repository = serializers.RegexField(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$", max_length=200)
        gitlab_project = serializers.RegexField(r"^[0-9]*$", max_length=40, required=False, default="")
        api_url = serializers.URLField(required=False, default="", allow_blank=True)
        token_secret = serializers.RegexField(
            r"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)?$", max_length=253, required=False, default=""
        )
        overlay_path = serializers.RegexField(r"^[A-Za-z0-9_./-]+$", max_length=300, default="deploy/overlays/preview")
        image = serializers.RegexField(r"^[a-z0-9][a-z0-9._/:-]*$", max_length=300, required=False, default="")
        labels = serializers.ListField(
            child=serializers.CharField(max_length=100), max_length=10, default=list, required=False
        )
        replicas = serializers.IntegerField(min_value=1, max_value=10, default=1)
        cpu = serializers.DecimalField(
            max_digits=6, decimal_places=3, min_value=Decimal("0.01"), max_value=16, default=Decimal("0.25")
        )
        memory_gib = serializers.DecimalField(
            max_digits=6, decimal_places=3, min_value=Decimal("0.0625"), max_value=64, default=Decimal("0.5")
        )
        storage_gib = serializers.DecimalField(
            max_digits=7, decimal_places=3, min_value=0, max_value=1000, default=Decimal("1")
        )
        ttl_hours = serializers.IntegerField(
            min_value=1, max_value=24 * 30, required=False, help_text="default PREVIEWS_TTL_HOURS"
        )

    @extend_schema(operation_id="previews_config_retrieve", responses=PreviewConfigOutput, tags=["previews"])
    def get(self, request: Request, name: str) -> Response:
        return Response(PreviewConfigOutput(selectors.preview_config_get(_service(name).name)).data)

    @extend_schema(operation_id="previews_config_set", request=Input, responses=PreviewConfigOutput, tags=["previews"])
    def put(self, request: Request, name: str) -> Response:
        service = _service(name)
        data = validated(self.Input, request)
        config = services.preview_config_set(
            actor=_user(request), service=service, values=data, context=context(request)
        )
        return Response(PreviewConfigOutput(config).data)


class PreviewApplicationSetApi(APIView):
    @extend_schema(
        operation_id="previews_applicationset",
        responses={(200, "application/json"): dict, (200, "application/yaml"): str},
        parameters=[OpenApiParameter("output", str, enum=["json", "yaml"])],
        tags=["previews"],
    )
    def get(self, request: Request, name: str) -> Response | HttpResponse:
        document = applicationset(spec_for(selectors.preview_config_get(_service(name).name)))
        if request.query_params.get("output") == "yaml":
            return HttpResponse(yaml.safe_dump(document, sort_keys=False), content_type="application/yaml")
        return Response(document)
