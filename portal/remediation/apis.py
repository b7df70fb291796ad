"""Remediation API: runbooks, action requests, and approvals for Backstage."""

from __future__ import annotations

from typing import Any

import django_filters
from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.catalog.models import Environment, Service
from portal.core.api import StrictSerializer, context, filter_queryset, paginated, validated
from portal.core.errors import NotFound
from portal.core.schema import filter_parameters
from portal.incidents.models import Incident
from portal.remediation import services as remediation_services
from portal.remediation.models import ActionRequest, ActionState, Runbook


class RunbookOutput(serializers.ModelSerializer):
    class Meta:
        model = Runbook
        fields = [
            "name",
            "title",
            "description",
            "action",
            "fits",
            "risk",
            "parameters",
            "steps",
            "verification",
            "rollback",
            "version",
        ]


class ActionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    runbook = serializers.CharField(source="runbook.name")
    action = serializers.CharField(source="runbook.action")
    risk = serializers.CharField(source="runbook.risk")
    service = serializers.CharField(source="service.name")
    environment = serializers.CharField(source="environment.name")
    incident = serializers.IntegerField(source="incident_id", allow_null=True)
    parameters = serializers.DictField()
    reason = serializers.CharField()
    evidence = serializers.ListField()
    requested_by = serializers.SerializerMethodField()
    state = serializers.CharField()
    decision = serializers.CharField()
    decision_reasons = serializers.ListField(child=serializers.CharField())
    policy_version = serializers.CharField()
    approved_by = serializers.CharField(source="approved_by.username", allow_null=True, default=None)
    decision_comment = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    change = serializers.DictField()
    result = serializers.DictField()
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_requested_by(self, obj: ActionRequest) -> str:
        return obj.requested_by.username if obj.requested_by else "portal analysis"

    def get_url(self, obj: ActionRequest) -> str:
        return f"{settings.SITE_URL}/api/v1/remediation/action-requests/{obj.pk}"


class ActionFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="service__name")
    state = django_filters.MultipleChoiceFilter(choices=ActionState.choices)
    incident = django_filters.NumberFilter(field_name="incident_id")


class RunbookListApi(APIView):
    @extend_schema(operation_id="remediation_runbooks", responses=RunbookOutput(many=True), tags=["remediation"])
    def get(self, request: Request) -> Response:
        return Response(RunbookOutput(Runbook.objects.all(), many=True).data)


def _queryset() -> Any:
    return ActionRequest.objects.select_related("runbook", "service", "environment", "requested_by", "approved_by")


class ActionListApi(APIView):
    @extend_schema_serializer(component_name="ActionRequestCreate")
    class Input(StrictSerializer):
        runbook = serializers.SlugRelatedField(slug_field="name", queryset=Runbook.objects.all())
        service = serializers.SlugRelatedField(slug_field="name", queryset=Service.objects.all())
        environment = serializers.SlugRelatedField(slug_field="name", queryset=Environment.objects.all())
        parameters = serializers.DictField(required=False, default=dict)
        reason = serializers.CharField(max_length=5000)
        evidence = serializers.ListField(required=False, default=list)
        incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all(), required=False, allow_null=True)

    @extend_schema(
        operation_id="remediation_actions_list",
        responses=ActionOutput(many=True),
        parameters=filter_parameters(ActionFilter),
        tags=["remediation"],
    )
    def get(self, request: Request) -> Response:
        return paginated(request, filter_queryset(ActionFilter, request, _queryset()), ActionOutput, self)

    @extend_schema(
        operation_id="remediation_actions_create", request=Input, responses={201: ActionOutput}, tags=["remediation"]
    )
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request)
        action = remediation_services.action_request(requested_by=request.user, context=context(request), **data)
        return Response(ActionOutput(action).data, status=status.HTTP_201_CREATED)


def _get(action_id: int) -> ActionRequest:
    action = _queryset().filter(pk=action_id).first()
    if action is None:
        raise NotFound(f"No action request {action_id}.", fields={"id": ["not found"]})
    return action


class ActionDetailApi(APIView):
    @extend_schema(operation_id="remediation_actions_retrieve", responses=ActionOutput, tags=["remediation"])
    def get(self, request: Request, action_id: int) -> Response:
        return Response(ActionOutput(_get(action_id)).data)


class ActionDecideApi(APIView):
    approve = True

    @extend_schema_serializer(component_name="ActionDecision")
    class Input(StrictSerializer):
        comment = serializers.CharField(max_length=2000)

    @extend_schema(request=Input, responses=ActionOutput, tags=["remediation"])
    def post(self, request: Request, action_id: int) -> Response:
        action = remediation_services.action_decide(
            actor=request.user,
            action=_get(action_id),
            approve=self.approve,
            context=context(request),
            **validated(self.Input, request),
        )
        return Response(ActionOutput(_get(action.pk)).data)


class ActionApproveApi(ActionDecideApi):
    approve = True


class ActionRejectApi(ActionDecideApi):
    approve = False
