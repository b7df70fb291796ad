"""SLO definitions from specs, tier defaults, and error budgets read through the metrics adapter."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from portal.catalog.models import Service
from portal.core.audit import AuditContext, audit_record
from portal.core.errors import ApplicationError
from portal.core.models import User
from portal.core.permissions import AnyUser, require_write_owned_by
from portal.integrations.errors import IntegrationError
from portal.integrations.metrics import Query, Signal, metrics
from portal.integrations.metrics.prometheus import PrometheusMetrics
from portal.slo import burn_rate
from portal.slo.defaults import LATENCY_THRESHOLD, default_spec
from portal.slo.errors import SpecError
from portal.slo.model import SLO, LatencySLI, RatioSLI, RawSLI
from portal.slo.models import Indicator, SLODefinition
from portal.slo.promql import format_duration
from portal.slo.specs import load_spec

STATUS_WINDOWS = ("5m", "1h", "6h", "1d", "3d")
PAGE_FACTOR_30D = 14.4


def error_ratio_query(slo: SLO) -> str:
    """The SLO's error ratio as one PromQL expression over a `{{.window}}` range."""
    sli = slo.sli
    if isinstance(sli, RawSLI):
        return sli.error_ratio_query
    if isinstance(sli, LatencySLI):
        bucket, count = sli.bucket(), sli.count()
        return f"1 - (sum(rate({bucket}[{{{{.window}}}}])) / sum(rate({count}[{{{{.window}}}}])))"
    assert isinstance(sli, RatioSLI)
    if sli.error_query:
        return f"({sli.error_query}) / ({sli.total_query})"
    return f"1 - (({sli.good_query}) / ({sli.total_query}))"


def _indicator(slo: SLO) -> tuple[str, float | None]:
    if slo.name == "requests-availability":
        return Indicator.AVAILABILITY, None
    if slo.name == "requests-latency":
        return Indicator.LATENCY, LATENCY_THRESHOLD
    return Indicator.CUSTOM, None


@transaction.atomic
def slos_from_spec(
    *, actor: AnyUser | None, text: str, origin: str = "api", context: AuditContext | None = None
) -> list[SLODefinition]:
    """Create or update the SLOs a spec defines; the spec's service must be in the catalog and yours."""
    try:
        spec = load_spec(text)
    except SpecError as exc:
        raise ApplicationError(f"The SLO spec is invalid: {exc}", fields=exc.fields) from exc
    saved = []
    for slo in spec.slos:
        service = Service.objects.filter(name=slo.service).first()
        if service is None:
            raise ApplicationError(f"No service named '{slo.service}' in the catalog.", fields={"service": ["unknown"]})
        if origin != "tier_default" or actor is not None:
            require_write_owned_by(actor or AnonymousUser(), service.owner, what=f"SLOs of '{service.name}'")
        indicator, threshold = _indicator(slo)
        definition, created = SLODefinition.objects.update_or_create(
            service=service,
            name=slo.name,
            defaults={
                "slo_id": slo.id,
                "description": slo.description,
                "objective": slo.objective,
                "period_days": max(1, slo.period.days),
                "indicator": indicator,
                "latency_threshold": threshold,
                "error_ratio_query": error_ratio_query(slo),
                "alerting": slo.alerting.page.enabled or slo.alerting.ticket.enabled,
                "spec_format": spec.source.spec,
                "spec": text,
                "origin": origin,
            },
        )
        audit_record(
            actor=actor if isinstance(actor, User) else None,
            action="create" if created else "update",
            instance=definition,
            after={"objective": slo.objective, "period_days": definition.period_days},
            context=context,
        )
        saved.append(definition)
    return saved


def slos_default_for(service: Service) -> list[SLODefinition]:
    """Give a service the SLOs of its tier, unless it already has SLOs."""
    existing = list(SLODefinition.objects.filter(service=service))
    if existing:
        return existing
    return slos_from_spec(
        actor=None,
        text=default_spec(service.name, service.tier),
        origin="tier_default",
    )


def _error_ratio(definition: SLODefinition, window: str, at: float) -> float | None:
    """The SLO's error ratio over a window: its own PromQL on Prometheus, the typed question elsewhere."""
    source = metrics()
    if isinstance(source, PrometheusMetrics):
        series = source.query(definition.error_ratio_query.replace("{{.window}}", window), at=at)
    elif definition.indicator == Indicator.AVAILABILITY:
        series = source.instant(Query(Signal.ERROR_RATIO, definition.service.name, window=window), at=at)
    elif definition.indicator == Indicator.LATENCY:
        query = Query(
            Signal.LATENCY_UNDER,
            definition.service.name,
            window=window,
            threshold=definition.latency_threshold or LATENCY_THRESHOLD,
        )
        series = source.instant(query, at=at)
        return 1 - series[0].points[0][1] if series else None
    else:
        return None
    return series[0].points[0][1] if series else None


def slo_status(definition: SLODefinition, *, at: float | None = None) -> dict[str, Any]:
    """Remaining budget, burn rate per window, time to exhaustion and a one-word verdict."""
    at = at if at is not None else time.time()
    period = timedelta(days=definition.period_days)
    base = {
        "id": definition.pk,
        "name": definition.name,
        "objective": definition.objective,
        "window": format_duration(period),
        "indicator": definition.indicator,
    }
    try:
        period_ratio = _error_ratio(definition, format_duration(period), at)
        rates = {w: _error_ratio(definition, w, at) for w in STATUS_WINDOWS}
    except IntegrationError as exc:
        return {**base, "status": "unknown", "reason": exc.message}
    if period_ratio is None or math.isnan(period_ratio):
        return {**base, "status": "unknown", "reason": "no data for this SLO's indicator yet"}
    remaining = burn_rate.error_budget_remaining(period_ratio, definition.objective)
    burn = {
        w: round(burn_rate.burn_rate(r, definition.objective), 4)
        for w, r in rates.items()
        if r is not None and not math.isnan(r)
    }
    exhaustion = burn_rate.time_to_exhaustion(max(remaining, 0.0), burn.get("1h", 0.0), period)
    paging = burn.get("1h", 0) > PAGE_FACTOR_30D and burn.get("5m", 0) > PAGE_FACTOR_30D
    status = "exhausted" if remaining <= 0 else "warning" if paging or remaining < 0.25 else "ok"
    return {
        **base,
        "status": status,
        "error_budget_remaining": round(remaining, 6),
        "period_error_ratio": period_ratio,
        "burn_rates": burn,
        "time_to_exhaustion_hours": round(exhaustion.total_seconds() / 3600, 2) if exhaustion else None,
    }


PAGE = {"long": "1h", "short": "5m", "factor": 14.4}
TICKET = {"long": "6h", "short": "1h", "factor": 6.0}


def slo_burn_evaluate(*, now: float | None = None) -> list[Any]:
    """Raise the multi-window burn-rate alerts the rules would raise, as portal alerts (source: slo)."""
    from portal.incidents.alertmanager import AlertDraft
    from portal.incidents.models import AlertSource
    from portal.incidents.services import alert_receive

    now = now if now is not None else time.time()
    raised = []
    for definition in SLODefinition.objects.filter(alerting=True).select_related("service"):
        status = slo_status(definition, at=now)
        rates = status.get("burn_rates", {})
        for severity, rule in (("page", PAGE), ("ticket", TICKET)):
            if rates.get(rule["long"], 0) > rule["factor"] and rates.get(rule["short"], 0) > rule["factor"]:
                started = datetime.fromtimestamp(now - 300, UTC).replace(second=0, microsecond=0)
                draft = AlertDraft(
                    fingerprint=f"slo-{definition.pk}-{severity}",
                    name=f"ErrorBudgetBurn{severity.title()}",
                    status="firing",
                    severity="critical" if severity == "page" else "warning",
                    service=definition.service.name,
                    starts_at=started,
                    ends_at=None,
                    labels={"sloth_slo": definition.name, "sloth_severity": severity},
                    annotations={
                        "summary": f"{definition.name} burns its budget {rates[rule['long']]:.0f}x over {rule['long']}"
                    },
                )
                raised.append(alert_receive(draft, source=AlertSource.SLO, now=datetime.fromtimestamp(now, UTC)))
                break
    return raised
