"""Resource requests: the endpoints Backstage calls (same status and log shape as golden-path runs)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.core.api import StrictSerializer, context, filter_queryset, log_after, paginated, validated
from portal.core.schema import filter_parameters
from portal.infra import selectors
from portal.infra import services as infra_services
from portal.infra.kinds import KINDS, catalogue
from portal.infra.models import RequestState, ResourceRequest
from portal.scaffolder.apis import LogLineOutput, StepOutput  # the same step and log shapes as golden-path runs

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$"


class KindListApi(APIView):
    @extend_schema(
        operation_id="infra_kinds_list",
        tags=["infra"],
        responses={200: OpenApiResponse(description="Resource kinds with their JSON Schema and defaults")},
    )
    def get(self, request: Request) -> Response:
        return Response(catalogue())


class RequestOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    name = serializers.CharField()
    resource_name = serializers.CharField()
    service = serializers.CharField(source="service.name")
    environment = serializers.CharField(source="environment.name")
    owner = serializers.CharField(source="owner.name")
    parameters = serializers.DictField(source="resolved")
    renderer = serializers.CharField()
    requested_by = serializers.CharField(source="requested_by.username")
    requested_for = serializers.CharField()
    state = serializers.CharField()
    current_step = serializers.CharField()
    error = serializers.CharField()
    approval_reasons = serializers.ListField(child=serializers.CharField())
    approval_url = serializers.SerializerMethodField()
    repository = serializers.CharField()
    commit = serializers.CharField()
    pull_request_url = serializers.CharField()
    connection_secret = serializers.DictField(help_text="Where the connection details are; never a value")
    entity_ref = serializers.CharField()
    run_url = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    steps = StepOutput(many=True)

    def get_status_url(self, obj: ResourceRequest) -> str:
        return settings.SITE_URL + reverse("infra:request-detail", kwargs={"request_id": obj.id})

    def get_run_url(self, obj: ResourceRequest) -> str:
        return self.get_status_url(obj)

    def get_approval_url(self, obj: ResourceRequest) -> str:
        if obj.action_request_id is None:
            return ""
        return settings.SITE_URL + reverse("remediation:action-detail", kwargs={"action_id": obj.action_request_id})


class RequestDetailOutput(RequestOutput):
    log = serializers.SerializerMethodField()

    def get_log(self, obj: ResourceRequest) -> list[dict[str, Any]]:
        after = self.context.get("after", 0)
        lines = obj.log_lines.filter(id__gt=after).exclude(level="debug").order_by("id")[:1000]
        return LogLineOutput(lines, many=True).data  # type: ignore[return-value]


class RequestFilter(django_filters.FilterSet):
    kind = django_filters.CharFilter()
    state = django_filters.MultipleChoiceFilter(choices=RequestState.choices)
    owner = django_filters.CharFilter(field_name="owner__name")
    service = django_filters.CharFilter(field_name="service__name")
    environment = django_filters.CharFilter(field_name="environment__name")


class RequestListCreateApi(APIView):
    """List requests; POST starts one (202), or with dry_run renders its files (200)."""

    @extend_schema_serializer(component_name="ResourceRequestInput")
    class Input(StrictSerializer):
        kind = serializers.ChoiceField(choices=sorted(KINDS))
        name = serializers.RegexField(NAME_PATTERN, max_length=42, help_text="DNS label; the environment is appended")
        service = serializers.CharField(max_length=200, help_text="Service name or component entity ref")
        environment = serializers.CharField(max_length=63)
        parameters = serializers.DictField(required=False, default=dict)
        dry_run = serializers.BooleanField(default=False)
        idempotency_key = serializers.CharField(max_length=200, required=False, allow_blank=True)
        requested_for = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(
        operation_id="infra_requests_list",
        responses=RequestOutput(many=True),
        parameters=filter_parameters(RequestFilter),
        tags=["infra"],
    )
    def get(self, request: Request) -> Response:
        found = filter_queryset(RequestFilter, request, selectors.request_visible(request.user))
        return paginated(request, found.prefetch_related("steps"), RequestOutput, self)

    @extend_schema(
        operation_id="infra_requests_create",
        request=Input,
        tags=["infra"],
        responses={202: RequestOutput, 200: OpenApiResponse(description="dry run: the rendered files")},
    )
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request)
        what = {key: data[key] for key in ("kind", "name", "service", "environment", "parameters")}
        if data["dry_run"]:
            return Response(infra_services.dry_run(actor=request.user, **what))
        created_request, created = infra_services.request_create(
            actor=request.user,
            idempotency_key=data.get("idempotency_key") or request.headers.get("Idempotency-Key", ""),
            requested_for=data.get("requested_for", ""),
            context=context(request),
            **what,
        )
        body = RequestOutput(created_request).data
        return Response(
            body,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
            headers={"Location": body["status_url"]},
        )


class RequestDetailApi(APIView):
    @extend_schema(
        operation_id="infra_requests_retrieve",
        responses=RequestDetailOutput,
        tags=["infra"],
        description="State, steps with timings, and the log; ?after=<log id> returns only newer lines.",
    )
    def get(self, request: Request, request_id: str) -> Response:
        after = log_after(request)
        found = selectors.request_get(request.user, request_id)
        return Response(RequestDetailOutput(found, context={"after": after}).data)


class RequestRetryApi(APIView):
    @extend_schema(operation_id="infra_requests_retry", request=None, responses={202: RequestOutput}, tags=["infra"])
    def post(self, request: Request, request_id: str) -> Response:
        found = infra_services.request_retry(
            actor=request.user, request=selectors.request_get(request.user, request_id), context=context(request)
        )
        return Response(RequestOutput(found).data, status=status.HTTP_202_ACCEPTED)
