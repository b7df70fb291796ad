"""Change risk: score a change or a pull request, list and read the assessments; manage change freezes."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.catalog.models import EnvironmentKind, Service
from portal.changes import risk, selectors
from portal.changes.models import RiskAssessment, RiskLevel
from portal.changes.risk_services import RiskRequest, risk_assess
from portal.changes.services import freeze_create, freeze_delete, service_for_repository
from portal.core.api import StrictSerializer, context, filter_queryset, paginated, validated
from portal.core.errors import ApplicationError, NotFound
from portal.core.models import User
from portal.core.permissions import require_platform_admin, require_write_owned_by
from portal.core.schema import filter_parameters
from portal.remediation.models import ChangeFreeze

MAX_FILES = 5000


@extend_schema_serializer(component_name="ChangeRisk")
class RiskOutput(serializers.Serializer):
    id = serializers.IntegerField()
    service = serializers.CharField(source="service.name")
    repository = serializers.CharField()
    pull_request = serializers.IntegerField(allow_null=True)
    head_sha = serializers.CharField()
    author = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    at = serializers.DateTimeField()
    timezone = serializers.CharField()
    score = serializers.IntegerField()
    level = serializers.CharField()
    factors = serializers.JSONField(help_text="[{key, points, reason}]: the points sum to the score")
    areas = serializers.JSONField()
    files = serializers.JSONField()
    tests = serializers.JSONField(allow_null=True)
    strategy = serializers.JSONField()
    rollback = serializers.JSONField(allow_null=True, help_text="only for high and critical risk")
    summary = serializers.CharField(help_text="the pull-request comment (Markdown)")
    comment = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_comment(self, obj: RiskAssessment) -> dict[str, Any] | None:
        if obj.pull_request is None:
            return None
        posted = bool(obj.comment_id) and obj.comment_body_posted == obj.summary
        return {
            "id": obj.comment_id or None,
            "url": obj.comment_url or None,
            "posted": posted,
            "error": obj.comment_error,
        }


class RiskFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="service__name")
    level = django_filters.MultipleChoiceFilter(choices=RiskLevel.choices)
    repository = django_filters.CharFilter()
    pull_request = django_filters.NumberFilter()


class RiskListApi(APIView):
    @extend_schema_serializer(component_name="ChangeRiskRequest")
    class Input(StrictSerializer):
        @extend_schema_serializer(component_name="ChangeRiskFile")
        class FileInput(StrictSerializer):
            path = serializers.CharField(max_length=1000)
            additions = serializers.IntegerField(min_value=0, max_value=10_000_000)
            deletions = serializers.IntegerField(min_value=0, max_value=10_000_000)
            status = serializers.ChoiceField(
                choices=["added", "modified", "removed", "renamed"], required=False, default="modified"
            )
            previous_path = serializers.CharField(max_length=1000, required=False, allow_blank=True)

        @extend_schema_serializer(component_name="ChangeRiskTests")
        class Tests(StrictSerializer):
            passed = serializers.IntegerField(min_value=0, required=False, allow_null=True)
            failed = serializers.IntegerField(min_value=0, required=False, allow_null=True)
            coverage = serializers.FloatField(
                min_value=0,
                max_value=100,
                required=False,
                allow_null=True,
                help_text="Line coverage in percent (81.5).",
            )
            coverage_before = serializers.FloatField(
                min_value=0,
                max_value=100,
                required=False,
                allow_null=True,
                help_text="Coverage of the base branch in percent; a drop raises the risk.",
            )

        service = serializers.SlugRelatedField(slug_field="name", queryset=Service.objects.select_related("owner"))
        repository = serializers.CharField(max_length=200, required=False, allow_blank=True)
        pull_request = serializers.IntegerField(min_value=1, required=False)
        head_sha = serializers.RegexField(r"^[0-9a-f]{7,64}$", required=False)
        files = FileInput(many=True, required=False, max_length=MAX_FILES)  # type: ignore[call-arg]
        author = serializers.CharField(max_length=200, required=False, allow_blank=True)
        tests = Tests(required=False)
        at = serializers.DateTimeField(required=False, help_text="when the change goes out; default now")
        timezone = serializers.CharField(max_length=64, required=False, help_text="IANA; default the team's")
        idempotency_key = serializers.CharField(max_length=200, required=False, allow_blank=True)
        comment = serializers.BooleanField(default=True, help_text="post the summary on the pull request")

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if "pull_request" in attrs and not attrs.get("repository"):
                raise serializers.ValidationError({"repository": ["required with pull_request"]})
            if "files" not in attrs and "pull_request" not in attrs:
                raise serializers.ValidationError({"files": ["give files, or repository and pull_request"]})
            if "files" in attrs and not attrs["files"]:
                raise serializers.ValidationError({"files": ["at least one file"]})
            return attrs

    @extend_schema(
        operation_id="changes_risk_list",
        responses=RiskOutput(many=True),
        parameters=filter_parameters(RiskFilter),
        tags=["changes"],
    )
    def get(self, request: Request) -> Response:
        visible = selectors.assessments_visible(cast(User, request.user))
        return paginated(request, filter_queryset(RiskFilter, request, visible), RiskOutput, self)

    @extend_schema(
        operation_id="changes_risk_assess",
        request=Input,
        responses={201: RiskOutput, 200: RiskOutput},
        tags=["changes"],
        description="Score a change from its files (or a pull request's, through the source-control adapter), "
        "explain the score, recommend a rollout strategy and, when high, a rollback plan; post the summary on the "
        "pull request. The same pull-request head or idempotency key answers 200 with the first assessment.",
    )
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request)
        service: Service = data["service"]
        require_write_owned_by(request.user, service.owner, what=f"changes of '{service.name}'")
        repository = data.get("repository", "").strip("/")
        if repository and service_for_repository(repository) != service:
            raise ApplicationError(
                f"'{repository}' is not the repository of '{service.name}' in the catalog.",
                fields={"repository": ["not this service's repository"]},
            )
        tests = data.get("tests")
        files = data.get("files")
        assessment, created = risk_assess(
            request=RiskRequest(
                service=service,
                files=tuple(dict(f) for f in files) if files is not None else None,
                repository=repository,
                pull_request=data.get("pull_request"),
                head_sha=data.get("head_sha", ""),
                author=data.get("author", ""),
                tests=risk.TestResults(**tests) if tests else None,
                at=data.get("at"),
                timezone=data.get("timezone", ""),
                idempotency_key=data.get("idempotency_key", ""),
                comment=data["comment"],
            ),
            actor=cast(User, request.user),
            context=context(request),
        )
        return Response(RiskOutput(assessment).data, status=201 if created else 200)


class RiskDetailApi(APIView):
    @extend_schema(operation_id="changes_risk_get", responses=RiskOutput, tags=["changes"])
    def get(self, request: Request, pk: int) -> Response:
        assessment = selectors.assessments_visible(cast(User, request.user)).filter(pk=pk).first()
        if assessment is None:
            raise NotFound(f"No risk assessment {pk} that you can see.")
        return Response(RiskOutput(assessment).data)


@extend_schema_serializer(component_name="ChangeFreeze")
class FreezeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField()
    environment_kinds = serializers.ListField(child=serializers.CharField())


class FreezeListApi(APIView):
    @extend_schema_serializer(component_name="ChangeFreezeCreate")
    class Input(StrictSerializer):
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField()
        reason = serializers.CharField(max_length=300)
        environment_kinds = serializers.ListField(
            child=serializers.ChoiceField(choices=EnvironmentKind.choices), required=False, default=list
        )

    @extend_schema(operation_id="changes_freezes_list", responses=FreezeOutput(many=True), tags=["changes"])
    def get(self, request: Request) -> Response:
        freezes = ChangeFreeze.objects.order_by("-starts_at", "-id")
        at = request.query_params.get("at")
        if at is not None:
            try:
                when = serializers.DateTimeField().to_internal_value(at)
            except serializers.ValidationError as exc:
                raise ApplicationError("at must be an ISO 8601 time.", fields={"at": ["not a time"]}) from exc
            freezes = freezes.filter(starts_at__lte=when, ends_at__gt=when)
        return paginated(request, freezes, FreezeOutput, self)

    @extend_schema(
        operation_id="changes_freezes_create", request=Input, responses={201: FreezeOutput}, tags=["changes"]
    )
    def post(self, request: Request) -> Response:
        require_platform_admin(request.user, what="declare change freezes")
        data = validated(self.Input, request)
        freeze = freeze_create(actor=cast(User, request.user), context=context(request), **data)
        return Response(FreezeOutput(freeze).data, status=201)


class FreezeDetailApi(APIView):
    @extend_schema(operation_id="changes_freezes_delete", responses={204: None}, tags=["changes"])
    def delete(self, request: Request, pk: int) -> Response:
        require_platform_admin(request.user, what="lift change freezes")
        freeze = ChangeFreeze.objects.filter(pk=pk).first()
        if freeze is None:
            raise NotFound(f"No change freeze {pk}.")
        freeze_delete(actor=cast(User, request.user), freeze=freeze, context=context(request))
        return Response(status=204)
