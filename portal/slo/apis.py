"""SLO API: specs in any format, generated rules, error budgets and burn rates, dashboards."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.catalog import selectors as catalog_selectors
from portal.catalog.parsers import XYamlParser, YamlParser, YamlTextParser
from portal.core.api import context, filter_queryset, paginated
from portal.core.errors import ApplicationError, NotFound
from portal.core.permissions import require_write_owned_by
from portal.core.schema import filter_parameters
from portal.slo.dashboards import service_dashboard
from portal.slo.errors import SpecError
from portal.slo.models import SLODefinition
from portal.slo.output import prometheus_rule, rules_file, to_yaml
from portal.slo.rules import spec_rule_groups
from portal.slo.services import slo_status, slos_default_for, slos_from_spec
from portal.slo.specs import load_spec


class SLOOutput(serializers.ModelSerializer):
    service = serializers.CharField(source="service.name")

    class Meta:
        model = SLODefinition
        fields = [
            "id",
            "service",
            "name",
            "slo_id",
            "description",
            "objective",
            "period_days",
            "indicator",
            "latency_threshold",
            "alerting",
            "spec_format",
            "origin",
            "created_at",
            "updated_at",
        ]


class SLOFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="service__name")
    indicator = django_filters.CharFilter()


class SLOListApi(APIView):
    parser_classes = [YamlParser, YamlTextParser, XYamlParser, JSONParser]

    @extend_schema(
        operation_id="slo_list", responses=SLOOutput(many=True), parameters=filter_parameters(SLOFilter), tags=["slo"]
    )
    def get(self, request: Request) -> Response:
        slos = SLODefinition.objects.select_related("service")
        return paginated(request, filter_queryset(SLOFilter, request, slos), SLOOutput, self)

    @extend_schema(
        operation_id="slo_create",
        request={"application/yaml": str},
        responses={201: SLOOutput(many=True)},
        tags=["slo"],
        description='Send a Sloth, OpenSLO or Pyrra spec as YAML (or JSON {"yaml": ...}).',
    )
    def post(self, request: Request) -> Response:
        data = request.data
        text = data if isinstance(data, str) else data.get("yaml") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise ApplicationError("Send the SLO spec as YAML.", fields={"body": ["required"]})
        slos = slos_from_spec(actor=request.user, text=text, context=context(request))
        return Response(SLOOutput(slos, many=True).data, status=status.HTTP_201_CREATED)


def _slo(slo_id: int) -> SLODefinition:
    slo = SLODefinition.objects.select_related("service__owner").filter(pk=slo_id).first()
    if slo is None:
        raise NotFound(f"No SLO {slo_id}.", fields={"id": ["not found"]})
    return slo


class SLODetailApi(APIView):
    @extend_schema(operation_id="slo_retrieve", responses=SLOOutput, tags=["slo"])
    def get(self, request: Request, slo_id: int) -> Response:
        slo = _slo(slo_id)
        return Response({**SLOOutput(slo).data, "status": slo_status(slo), "spec": slo.spec})

    @extend_schema(operation_id="slo_destroy", responses={204: None}, tags=["slo"])
    def delete(self, request: Request, slo_id: int) -> Response:
        slo = _slo(slo_id)
        require_write_owned_by(request.user, slo.service.owner, what=f"SLOs of '{slo.service.name}'")
        slo.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class SLORulesApi(APIView):
    @extend_schema(
        operation_id="slo_rules",
        tags=["slo"],
        responses={(200, "application/yaml"): str},
        description="?output=rules (default) or prometheusrule",
    )
    def get(self, request: Request, slo_id: int) -> HttpResponse:
        slo = _slo(slo_id)
        kind = request.query_params.get("output", "rules")  # not ?format=, which DRF keeps for renderers
        if kind not in ("rules", "prometheusrule"):
            raise ApplicationError("output must be rules or prometheusrule.", fields={"output": ["unknown"]})
        try:
            spec = load_spec(slo.spec)
        except SpecError as exc:  # stored specs were valid; a failure here is a portal bug worth naming
            raise ApplicationError(f"The stored spec no longer loads: {exc}", fields=exc.fields) from exc
        groups = [g for g in spec_rule_groups(spec) if g.name.endswith(f"-{slo.slo_id}")]
        document = rules_file(groups) if kind == "rules" else prometheus_rule(spec, groups)
        return HttpResponse(
            to_yaml(document, comment=f"SLO {slo.slo_id}, generated by the platform portal."),
            content_type="application/yaml; charset=utf-8",
        )


class ServiceSLOStatusApi(APIView):
    @extend_schema(
        operation_id="slo_service_status",
        tags=["slo"],
        responses={
            200: OpenApiResponse(
                description="{service, slos: [{name, objective, window, error_budget_remaining, burn_rates, status}]}"
            )
        },
    )
    def get(self, request: Request, name: str) -> Response:
        service = catalog_selectors.service_get(name)
        return Response(
            {"service": service.name, "tier": service.tier, "slos": [slo_status(slo) for slo in service.slos.all()]}
        )


class ServiceSLODefaultsApi(APIView):
    @extend_schema(
        operation_id="slo_service_defaults",
        request=None,
        responses={201: SLOOutput(many=True)},
        tags=["slo"],
        description="Give the service the default SLOs of its tier (no-op if it has SLOs).",
    )
    def post(self, request: Request, name: str) -> Response:
        service = catalog_selectors.service_get(name)
        require_write_owned_by(request.user, service.owner, what=f"SLOs of '{service.name}'")
        return Response(SLOOutput(slos_default_for(service), many=True).data, status=status.HTTP_201_CREATED)


class ServiceDashboardApi(APIView):
    @extend_schema(operation_id="slo_service_dashboard", tags=["slo"], responses={200: dict})
    def get(self, request: Request, name: str) -> Response:
        return Response(service_dashboard(catalog_selectors.service_get(name)))


class SLOOverviewApi(APIView):
    @extend_schema(operation_id="slo_overview", tags=["slo"], responses={200: dict})
    def get(self, request: Request) -> Response:
        rows: dict[str, Any] = {}
        for slo in SLODefinition.objects.select_related("service"):
            rows.setdefault(slo.service.name, []).append(slo_status(slo))
        return Response({"services": [{"service": name, "slos": slos} for name, slos in sorted(rows.items())]})


class ServiceDashboardProvisionApi(APIView):
    @extend_schema(
        operation_id="slo_service_dashboard_provision",
        request=None,
        tags=["slo"],
        responses={200: dict, 409: OpenApiResponse(description="Grafana is not configured")},
    )
    def post(self, request: Request, name: str) -> Response:
        from django.conf import settings

        from portal.integrations.errors import IntegrationError
        from portal.integrations.grafana import dashboard_provision

        service = catalog_selectors.service_get(name)
        require_write_owned_by(request.user, service.owner, what=f"dashboards of '{service.name}'")
        if not settings.GRAFANA_URL:
            raise ApplicationError(
                "Grafana is not configured: set GRAFANA_URL and GRAFANA_TOKEN.",
                fields={"GRAFANA_URL": ["unset"]},
                status_code=409,
                code="not_configured",
            )
        try:
            answer = dashboard_provision(
                url=settings.GRAFANA_URL,
                token=settings.GRAFANA_TOKEN,
                dashboard=service_dashboard(service),
                folder_uid=settings.GRAFANA_FOLDER_UID,
            )
        except IntegrationError as exc:
            raise ApplicationError(exc.message, status_code=502, code="grafana_error") from exc
        return Response({"uid": answer.get("uid"), "url": answer.get("url"), "version": answer.get("version")})
