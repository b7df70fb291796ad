"""Golden paths and scaffold runs: the endpoints Backstage calls."""

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
from portal.scaffolder import selectors
from portal.scaffolder import services as scaffolder_services
from portal.scaffolder.models import RunState, ScaffoldRun
from portal.scaffolder.registry import GoldenPath, golden_path_get, golden_path_list


class GoldenPathOutput(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    version = serializers.CharField()
    environments = serializers.ListField(child=serializers.CharField())
    parameters = serializers.DictField(help_text="JSON Schema of the run parameters")


def _golden_path_data(path: GoldenPath) -> dict[str, Any]:
    return {
        "name": path.name,
        "title": path.title,
        "description": path.description,
        "version": path.version,
        "environments": list(path.environments),
        "parameters": path.parameters,
    }


class GoldenPathListApi(APIView):
    @extend_schema(operation_id="golden_paths_list", responses=GoldenPathOutput(many=True), tags=["scaffolder"])
    def get(self, request: Request) -> Response:
        return Response([_golden_path_data(p) for p in golden_path_list()])


class GoldenPathDetailApi(APIView):
    @extend_schema(operation_id="golden_paths_retrieve", responses=GoldenPathOutput, tags=["scaffolder"])
    def get(self, request: Request, path: str) -> Response:
        return Response(_golden_path_data(golden_path_get(path)))


class StepOutput(serializers.Serializer):
    name = serializers.CharField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.SerializerMethodField()
    error = serializers.CharField()

    def get_duration_ms(self, obj: Any) -> int | None:
        if obj.started_at is None or obj.finished_at is None:
            return None
        return int((obj.finished_at - obj.started_at).total_seconds() * 1000)


class LogLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    step = serializers.CharField()
    level = serializers.CharField()
    message = serializers.CharField()


class RunOutput(serializers.Serializer):
    id = serializers.UUIDField()
    golden_path = serializers.CharField()
    golden_path_version = serializers.CharField()
    service_name = serializers.CharField()
    owner = serializers.CharField(source="owner.name")
    requested_by = serializers.CharField(source="requested_by.username")
    requested_for = serializers.CharField()
    state = serializers.CharField()
    current_step = serializers.CharField()
    error = serializers.CharField()
    repo_url = serializers.CharField()
    pull_request_url = serializers.CharField()
    entity_ref = serializers.CharField()
    run_url = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    steps = StepOutput(many=True)

    def get_status_url(self, obj: ScaffoldRun) -> str:
        return settings.SITE_URL + reverse("scaffolder:run-detail", kwargs={"run_id": obj.id})

    def get_run_url(self, obj: ScaffoldRun) -> str:
        return self.get_status_url(obj)


class RunDetailOutput(RunOutput):
    log = serializers.SerializerMethodField()

    def get_log(self, obj: ScaffoldRun) -> list[dict[str, Any]]:
        after = self.context.get("after", 0)
        lines = obj.log_lines.filter(id__gt=after).exclude(level="debug").order_by("id")[:1000]
        return LogLineOutput(lines, many=True).data  # type: ignore[return-value]


class RunCreateApi(APIView):
    """Start a run (202), or with dry_run render the files and return them (200)."""

    @extend_schema_serializer(component_name="ScaffoldRunRequest")
    class Input(StrictSerializer):
        parameters = serializers.DictField()
        dry_run = serializers.BooleanField(default=False)
        idempotency_key = serializers.CharField(max_length=200, required=False, allow_blank=True)
        requested_for = serializers.CharField(
            max_length=200,
            required=False,
            allow_blank=True,
            help_text="Backstage user ref of the person behind the request",
        )

    @extend_schema(
        operation_id="golden_paths_runs_create",
        request=Input,
        tags=["scaffolder"],
        responses={202: RunOutput, 200: OpenApiResponse(description="dry run: the rendered files")},
    )
    def post(self, request: Request, path: str) -> Response:
        golden_path = golden_path_get(path)
        data = validated(self.Input, request)
        if data["dry_run"]:
            files = scaffolder_services.dry_run(actor=request.user, path=golden_path, parameters=data["parameters"])
            return Response({"dry_run": True, "files": files})
        key = data.get("idempotency_key") or request.headers.get("Idempotency-Key", "")
        run, created = scaffolder_services.run_request(
            actor=request.user,
            path=golden_path,
            parameters=data["parameters"],
            idempotency_key=key,
            requested_for=data.get("requested_for", ""),
            context=context(request),
        )
        body = RunOutput(run).data
        return Response(
            body,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
            headers={"Location": body["status_url"]},
        )


class RunFilter(django_filters.FilterSet):
    golden_path = django_filters.CharFilter()
    state = django_filters.MultipleChoiceFilter(choices=RunState.choices)
    owner = django_filters.CharFilter(field_name="owner__name")
    service = django_filters.CharFilter(field_name="service_name")


class RunListApi(APIView):
    @extend_schema(
        operation_id="scaffolder_runs_list",
        responses=RunOutput(many=True),
        parameters=filter_parameters(RunFilter),
        tags=["scaffolder"],
    )
    def get(self, request: Request) -> Response:
        runs = filter_queryset(RunFilter, request, selectors.run_visible(request.user)).prefetch_related("steps")
        return paginated(request, runs, RunOutput, self)


class RunDetailApi(APIView):
    @extend_schema(
        operation_id="scaffolder_runs_retrieve",
        responses=RunDetailOutput,
        tags=["scaffolder"],
        description="State, steps with timings, and the log; ?after=<log id> returns only newer lines.",
    )
    def get(self, request: Request, run_id: str) -> Response:
        after = log_after(request)
        run = selectors.run_get(request.user, run_id)
        return Response(RunDetailOutput(run, context={"after": after}).data)


class RunRetryApi(APIView):
    @extend_schema(operation_id="scaffolder_runs_retry", request=None, responses={202: RunOutput}, tags=["scaffolder"])
    def post(self, request: Request, run_id: str) -> Response:
        run = scaffolder_services.run_retry(
            actor=request.user, run=selectors.run_get(request.user, run_id), context=context(request)
        )
        return Response(RunOutput(run).data, status=status.HTTP_202_ACCEPTED)
