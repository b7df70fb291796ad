"""Core API: who am I, and the audit trail."""

from __future__ import annotations

from typing import cast

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.core.api import filter_queryset, paginated
from portal.core.errors import Forbidden
from portal.core.models import AuditEvent, Membership, User
from portal.core.schema import filter_parameters


class MeApi(APIView):
    @extend_schema_serializer(component_name="Me")
    class Output(serializers.Serializer):
        username = serializers.CharField()
        platform_role = serializers.CharField()
        is_service_account = serializers.BooleanField()
        teams = serializers.ListField(child=serializers.DictField())

    @extend_schema(operation_id="me", responses=Output, tags=["core"])
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        memberships = Membership.objects.filter(user_id=user.pk).select_related("team").order_by("team__name")
        return Response(
            self.Output(
                {
                    "username": user.get_username(),
                    "platform_role": "platform_admin" if user.is_platform_admin else user.platform_role,
                    "is_service_account": user.is_service_account,
                    "teams": [{"name": m.team.name, "role": m.role} for m in memberships],
                }
            ).data
        )


class AuditEventOutput(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "source_ip",
            "user_agent",
            "request_id",
            "via",
        ]


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_name")
    action = django_filters.CharFilter()
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields: list[str] = []


class AuditListApi(APIView):
    """The audit trail, newest first; for SREs and platform admins."""

    @extend_schema(
        operation_id="audit_list",
        responses=AuditEventOutput(many=True),
        parameters=filter_parameters(AuditFilter),
        tags=["core"],
    )
    def get(self, request: Request) -> Response:
        if not request.user.is_sre:  # type: ignore[union-attr]
            raise Forbidden("Only SREs and platform admins can read the audit trail.")
        queryset = filter_queryset(AuditFilter, request, AuditEvent.objects.all())
        return paginated(request, queryset, AuditEventOutput, self)
