"""Log cost API: volume and cost by service, level and type, and recommendations with the config to apply."""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.core.errors import ApplicationError
from portal.finops.log_report import log_cost_report, log_cost_services
from portal.integrations.errors import IntegrationError


def _service(request: Request) -> str | None:
    raw = request.query_params.get("service") or None
    if raw is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}", raw):
        raise ApplicationError("service must be a service name.", fields={"service": ["not a service name"]})
    return raw


def _days(request: Request) -> int:
    raw = request.query_params.get("days", "7")
    if not raw.isdigit() or not 1 <= int(raw) <= 90:
        raise ApplicationError("days must be a whole number from 1 to 90.", fields={"days": ["out of range"]})
    return int(raw)


class LogCostApi(APIView):
    @extend_schema(
        operation_id="finops_log_cost",
        tags=["finops"],
        parameters=[
            OpenApiParameter("days", int, description="whole days back from today (UTC), 1 to 90; default 7"),
            OpenApiParameter("service", str, description="one service (yours, unless you are a platform admin)"),
        ],
        responses={200: dict},
        description=(
            "Log volume per service, level and log type with its monthly cost at LOG_PRICE_INGEST_PER_GB and "
            "LOG_PRICE_STORAGE_PER_GB_MONTH, and recommendations (retention per log type, sampling of high-volume "
            "low-value patterns, high-cardinality labels), each with its projected monthly saving and the Loki or "
            "Alloy configuration to apply. Teams see their own services; platform admins see every service."
        ),
    )
    def get(self, request: Request) -> Response:
        days = _days(request)
        services = log_cost_services(request.user, service=_service(request))
        try:
            report = log_cost_report(services, days=days)
        except IntegrationError as exc:
            raise ApplicationError(
                f"The logs backend could not answer: {exc.message}",
                code="logs_unavailable",
                status_code=502 if exc.permanent else 503,
            ) from exc
        return Response(report)
