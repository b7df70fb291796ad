"""FinOps API: costs by team and service, waste, rightsizing and its pull requests."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.catalog import selectors as catalog_selectors
from portal.catalog.parsers import CsvParser
from portal.core.api import StrictSerializer, validated
from portal.core.errors import ApplicationError, NotFound
from portal.core.permissions import require_write_owned_by
from portal.finops import selectors
from portal.finops.models import RightsizingRecommendation
from portal.integrations.errors import IntegrationError
from portal.remediation.models import Runbook
from portal.remediation.services import action_request


def _days(request: Request, default: int = 30) -> int:
    raw = request.query_params.get("days", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= 365:
        raise ApplicationError("days must be a whole number from 1 to 365.", fields={"days": ["out of range"]})
    return int(raw)


class CostApi(APIView):
    @extend_schema(
        operation_id="finops_costs",
        tags=["finops"],
        responses={200: dict},
        description=(
            "?days=30&group_by=team|service|environment|cost_centre. Grouped by the workloads' standard labels; "
            "cost of workloads without the label is under the key 'unlabelled', and `unlabelled` lists them."
        ),
    )
    def get(self, request: Request) -> Response:
        group_by = request.query_params.get("group_by", "service")
        if group_by not in selectors.GROUP_LABELS:
            raise ApplicationError(
                "group_by must be team, service, environment or cost_centre.", fields={"group_by": ["unknown"]}
            )
        days = _days(request)
        return Response(
            {
                "days": days,
                "group_by": group_by,
                "label": selectors.GROUP_LABELS[group_by],
                **selectors.cost_total(days=days),
                "daily": selectors.cost_by_day(days=days, group_by=group_by),
                "totals": selectors.cost_by_label(days=days, group_by=group_by),
                "unlabelled": selectors.cost_unlabelled(days=days),
            }
        )


class ServiceCostApi(APIView):
    @extend_schema(operation_id="finops_service_cost", tags=["finops"], responses={200: dict})
    def get(self, request: Request, name: str) -> Response:
        service = catalog_selectors.service_get(name)
        return Response(selectors.service_cost(service.name, days=_days(request)))


class IdleApi(APIView):
    @extend_schema(operation_id="finops_idle", tags=["finops"], responses={200: dict})
    def get(self, request: Request) -> Response:
        items = selectors.idle_resources()
        return Response({"items": items, "monthly_saving": round(sum(i["monthly_saving"] for i in items), 2)})


class RightsizingListApi(APIView):
    @extend_schema(operation_id="finops_rightsizing", tags=["finops"], responses={200: dict})
    def get(self, request: Request) -> Response:
        items = selectors.rightsizing_recommendations()
        return Response({"items": items, "monthly_saving": round(sum(i["monthly_saving"] for i in items), 2)})


class RightsizingRequestApi(APIView):
    """Ask for the pull request: it opens only after an SRE approves (the remediation approval flow)."""

    @extend_schema_serializer(component_name="RightsizingRequest")
    class Input(StrictSerializer):
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    @extend_schema(operation_id="finops_rightsizing_request", request=Input, responses={201: dict}, tags=["finops"])
    def post(self, request: Request, recommendation_id: int) -> Response:
        recommendation = (
            RightsizingRecommendation.objects.select_related("service__owner", "environment")
            .filter(pk=recommendation_id)
            .first()
        )
        if recommendation is None:
            raise NotFound(f"No rightsizing recommendation {recommendation_id}.", fields={"id": ["not found"]})
        if recommendation.state != "proposed":
            raise ApplicationError(
                f"This recommendation is already {recommendation.state}.",
                fields={"state": [recommendation.state]},
                status_code=409,
                code="conflict",
            )
        require_write_owned_by(request.user, recommendation.service.owner, what=f"'{recommendation.service.name}'")
        data: dict[str, Any] = validated(self.Input, request)
        action = action_request(
            runbook=Runbook.objects.get(name="rightsize"),
            service=recommendation.service,
            environment=recommendation.environment,
            parameters={"recommendation": recommendation.pk},
            reason=data.get("reason") or f"Save ${recommendation.monthly_saving:.2f} a month",
            evidence=[recommendation.evidence],
            requested_by=request.user,
        )
        recommendation.state, recommendation.action_request = "requested", action
        recommendation.save(update_fields=["state", "action_request"])
        return Response(
            {
                "recommendation": recommendation.pk,
                "action_request": action.pk,
                "state": action.state,
                "decision": action.decision,
            },
            status=status.HTTP_201_CREATED,
        )


class ServiceUnitCostApi(APIView):
    @extend_schema(
        operation_id="finops_service_unit_costs",
        tags=["finops"],
        responses={200: dict},
        description="Cost per 1,000 requests per day and per deploy, and deploys after which it jumped.",
    )
    def get(self, request: Request, name: str) -> Response:
        from portal.finops.services import unit_costs

        return Response(unit_costs(catalog_selectors.service_get(name), days=_days(request, default=7)))


class BillImportApi(APIView):
    """Import a cloud bill in FOCUS format (CSV body); every bad value is named by line and column."""

    parser_classes = [CsvParser]

    @extend_schema(
        operation_id="finops_bills_import",
        tags=["finops"],
        request={"text/csv": str},
        responses={201: dict},
        description="?source=<name> (a re-import of the same source replaces it)",
    )
    def post(self, request: Request) -> Response:
        import hashlib

        from portal.core.permissions import require_platform_admin
        from portal.finops.services import bill_import

        require_platform_admin(request.user, what="import cloud bills")
        text = request.data if isinstance(request.data, str) else ""
        if not text.strip():
            raise ApplicationError(
                "Send the FOCUS CSV as the body (Content-Type: text/csv).", fields={"body": ["empty"]}
            )
        source = request.query_params.get("source") or "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]
        return Response(bill_import(text=text, source=source[:200]), status=status.HTTP_201_CREATED)


class CostDashboardApi(APIView):
    @extend_schema(
        operation_id="finops_cost_dashboard",
        tags=["finops"],
        responses={200: dict},
        description="The Grafana dashboard (JSON model) of cost per team, service and cost centre over time.",
    )
    def get(self, request: Request) -> Response:
        from portal.finops.dashboards import cost_dashboard

        return Response(cost_dashboard())


class CostDashboardProvisionApi(APIView):
    @extend_schema(
        operation_id="finops_cost_dashboard_provision",
        request=None,
        tags=["finops"],
        responses={200: dict, 409: OpenApiResponse(description="Grafana is not configured")},
    )
    def post(self, request: Request) -> Response:
        from portal.core.permissions import require_platform_admin
        from portal.finops.services import cost_dashboard_provision

        require_platform_admin(request.user, what="provision the cost dashboard")
        if not settings.GRAFANA_URL:
            raise ApplicationError(
                "Grafana is not configured: set GRAFANA_URL and GRAFANA_TOKEN.",
                fields={"GRAFANA_URL": ["unset"]},
                status_code=409,
                code="not_configured",
            )
        try:
            answer = cost_dashboard_provision(actor=request.user)
        except IntegrationError as exc:
            raise ApplicationError(exc.message, status_code=502, code="grafana_error") from exc
        return Response({"uid": answer.get("uid"), "url": answer.get("url"), "version": answer.get("version")})
