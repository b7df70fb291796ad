"""The scorecard as JSON for Backstage: key results and per-service maturity."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.catalog.models import Service
from portal.core.errors import NotFound
from portal.web.scorecard import scorecard_build


class KeyResultOutput(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text="Shares are 0..1, durations seconds, costs USD")
    display = serializers.CharField()
    previous = serializers.FloatField(allow_null=True)
    previous_display = serializers.CharField()
    better = serializers.ChoiceField(choices=["up", "down"])
    trend = serializers.ChoiceField(choices=["improving", "worsening", "steady", "unknown"])
    note = serializers.CharField(help_text="How it is measured, or why there is no data")


class CheckOutput(serializers.Serializer):
    id = serializers.ChoiceField(choices=["owner", "slo", "telemetry", "runbook", "golden_path"])
    title = serializers.CharField()
    passed = serializers.BooleanField()
    detail = serializers.CharField()


class ServiceMaturityOutput(serializers.Serializer):
    name = serializers.CharField()
    owner = serializers.CharField()
    tier = serializers.IntegerField()
    score = serializers.IntegerField(help_text="Percent of checks passed")
    checks = CheckOutput(many=True)


class ScorecardOutput(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    key_results = KeyResultOutput(many=True, required=False)
    services = ServiceMaturityOutput(many=True)
    average_score = serializers.IntegerField(allow_null=True, required=False)


class ScorecardApi(APIView):
    @extend_schema(
        operation_id="scorecard_retrieve",
        responses=ScorecardOutput,
        tags=["scorecard"],
        parameters=[OpenApiParameter("service", str, description="Only this service's maturity checks")],
        description="The portal's key results with value and trend, and each service's maturity checks and score.",
    )
    def get(self, request: Request) -> Response:
        name = request.query_params.get("service")
        if name is not None and not Service.objects.filter(name=name).exists():
            raise NotFound(f"No service named '{name}' in the catalog.", fields={"service": ["not found"]})
        return Response(ScorecardOutput(scorecard_build(service=name)).data)
