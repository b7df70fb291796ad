"""Daily costs from usage and requests, rightsizing recommendations, and their pull requests after approval."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from django.conf import settings
from django.db import transaction

from portal.catalog.models import Environment, Origin, Service, ServiceEnvironment
from portal.core import labels
from portal.finops.allocation import ContainerUsage, container_allocation
from portal.finops.models import CostRecord, RightsizingRecommendation, WorkloadResources
from portal.finops.prices import DEFAULT_PRICES
from portal.finops.strategies.base import History
from portal.finops.strategies.seasonal import Seasonal, SeasonalSettings
from portal.integrations.errors import IntegrationError
from portal.integrations.metrics import Query, Signal, metrics
from portal.integrations.source_control import source_control

MIB = 1024**2
HOURS_PER_MONTH = 730
# What the golden paths' charts request, by tier (prod); dev and staging ask for half.
TIER_REQUESTS = {1: (0.5, 512 * MIB, 1024 * MIB), 2: (0.25, 256 * MIB, 512 * MIB), 3: (0.1, 128 * MIB, 256 * MIB)}


def workload_labels(service: Service, placement: ServiceEnvironment) -> dict[str, str]:
    """The labels the portal writes on a workload it deploys (Argo CD or golden path); {} when it writes none."""
    if not (placement.argocd_app_name or service.origin == Origin.GOLDEN_PATH):
        return {}
    try:
        return labels.standard_labels(
            service=service.name,
            team=service.owner.name,
            environment=placement.environment.name,
            cost_centre=service.owner.cost_centre,
        )
    except ValueError:  # a name Kubernetes would refuse as a label value: the workload cannot carry it
        return {}


def workloads_default(service: Service) -> list[WorkloadResources]:
    """Give a service the requests its golden path would have set, for every environment it runs in."""
    cpu, memory, limit = TIER_REQUESTS.get(service.tier, TIER_REQUESTS[3])
    replicas = {1: 3, 2: 2}.get(service.tier, 1)
    out = []
    for placement in service.placements.select_related("environment"):
        written = workload_labels(service, placement)
        scale = 1.0 if placement.environment.kind == "prod" else 0.5
        workload, _ = WorkloadResources.objects.get_or_create(
            service=service,
            environment=placement.environment,
            container="app",
            defaults={
                "replicas": replicas if scale == 1.0 else 1,
                "cpu_request": cpu * scale,
                "memory_request": memory * scale,
                "cpu_limit": cpu * 4 * scale,
                "memory_limit": limit * scale,
                "labels": written,
            },
        )
        if any(workload.labels.get(k) != v for k, v in written.items()):  # they follow the team's cost centre
            workload.labels = {**workload.labels, **written}
            workload.save(update_fields=["labels"])
        out.append(workload)
    return out


def _hourly(query: Query, start: float, end: float) -> dict[date, float]:
    """The signal's hourly values averaged per day (one range query for the whole period)."""
    try:
        series = metrics().range(query, start=start, end=end, step=3600)
    except IntegrationError:
        return {}
    days: dict[date, list[float]] = {}
    for ts, value in series[0].points if series else []:
        days.setdefault(datetime.fromtimestamp(ts - 1, UTC).date(), []).append(value)
    return {day: float(np.mean(values)) for day, values in days.items()}


def _usage_by_day(service: Service, first: date, last: date) -> dict[date, dict[str, float]]:
    start = datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp() + 3600
    end = datetime(last.year, last.month, last.day, tzinfo=UTC).timestamp() + 86400
    signals = {
        "cpu": Query(Signal.CPU, service.name, window="1h"),
        "memory": Query(Signal.MEMORY, service.name),
        "rps": Query(Signal.REQUEST_RATE, service.name, window="1h"),
    }
    per_signal = {name: _hourly(query, start, end) for name, query in signals.items()}
    days = set().union(*(values.keys() for values in per_signal.values()))
    return {day: {name: values.get(day, 0.0) for name, values in per_signal.items()} for day in days}


@transaction.atomic
def costs_compute(*, days: int = 30, today: date | None = None) -> int:
    """Compute (or recompute) each service's cost per environment and day; usage is known for production."""
    today = today or datetime.now(UTC).date()
    first, last = today - timedelta(days=days), today - timedelta(days=1)
    written = 0
    for service in Service.objects.select_related("owner"):
        workloads = workloads_default(service)
        usage = _usage_by_day(service, first, last) if any(w.environment.kind == "prod" for w in workloads) else {}
        for offset in range(1, days + 1):
            day = today - timedelta(days=offset)
            for workload in workloads:
                used = usage.get(day, {}) if workload.environment.kind == "prod" else {}
                written += _cost_day(service, workload, day, used)
    return written


def _cost_day(service: Service, workload: WorkloadResources, day: date, usage: dict[str, float]) -> int:
    pods = max(workload.replicas, 1)
    per_pod = ContainerUsage(
        start=datetime(day.year, day.month, day.day, tzinfo=UTC),
        hours=24,
        node="",
        namespace="",
        pod="",
        container=workload.container,
        cpu_request=workload.cpu_request,
        cpu_usage=usage.get("cpu", 0.0) / pods,
        ram_request=workload.memory_request,
        ram_usage=usage.get("memory", 0.0) / pods,
    )
    cost = container_allocation(per_pod, DEFAULT_PRICES).cost
    CostRecord.objects.update_or_create(
        day=day,
        service=service,
        environment=workload.environment,
        defaults={
            "team": service.owner,
            "cpu_cost": cost.cpu * pods,
            "ram_cost": cost.ram * pods,
            "total": cost.total * pods,
            "requests": usage.get("rps", 0.0) * 86400,
            "cpu_usage": usage.get("cpu", 0.0),
            "memory_usage": usage.get("memory", 0.0),
            "labels": dict(workload.labels),
        },
    )
    return 1


def usage_history(service: Service, *, days: int = 7, now: float | None = None) -> History:
    """Per-pod CPU and memory samples every 5 minutes, as the strategies expect."""
    now = now if now is not None else time.time()
    start = now - days * 86400
    cpu = metrics().range(Query(Signal.CPU, service.name, by_pod=True), start=start, end=now, step=300)
    memory = {
        s.labels.get("pod", ""): dict(s.points)
        for s in metrics().range(Query(Signal.MEMORY, service.name, by_pod=True), start=start, end=now, step=300)
    }
    rows = sorted(
        (t, c, memory.get(s.labels.get("pod", ""), {}).get(t, np.nan), s.labels.get("pod", ""))
        for s in cpu
        for t, c in s.points
    )
    rows = [r for r in rows if not np.isnan(r[2])]
    return History(
        container="app",
        timestamps=np.array([r[0] for r in rows], dtype=float),
        cpu_cores=np.array([r[1] for r in rows], dtype=float),
        memory_bytes=np.array([r[2] for r in rows], dtype=float),
        pods=tuple(r[3] for r in rows),
    )


def monthly_cost(cpu: float, memory: float, replicas: int) -> float:
    return (cpu * DEFAULT_PRICES.cpu + memory / 1024**3 * DEFAULT_PRICES.ram) * HOURS_PER_MONTH * replicas


@transaction.atomic
def rightsizing_compute(service: Service, *, now: float | None = None) -> RightsizingRecommendation | None:
    """Run our strategy on a week of production usage; keep the recommendation when it saves money."""
    prod = Environment.objects.filter(kind="prod", placements__service=service).first()
    workload = WorkloadResources.objects.filter(service=service, environment=prod).first() if prod else None
    if workload is None or prod is None:
        return None
    history = usage_history(service, now=now)
    # The pull request's requests must hold all day, not only for the next few hours.
    recommendation = Seasonal(SeasonalSettings(horizon_hours=24)).run(history)
    if not recommendation.defined or recommendation.cpu_request is None or recommendation.memory_request is None:
        return None
    before = monthly_cost(workload.cpu_request, workload.memory_request, workload.replicas)
    after = monthly_cost(recommendation.cpu_request, recommendation.memory_request, workload.replicas)
    current = {
        "cpu_request": workload.cpu_request,
        "memory_request": workload.memory_request,
        "memory_limit": workload.memory_limit,
    }
    new = {
        "cpu_request": round(recommendation.cpu_request, 3),
        "memory_request": recommendation.memory_request,
        "memory_limit": recommendation.memory_limit or recommendation.memory_request,
    }
    evidence = {
        "samples": len(history),
        "history_hours": round(float(np.ptp(history.timestamps)) / 3600, 1) if len(history) else 0,
        "cpu_p95": float(np.percentile(history.cpu_cores, 95)) if len(history) else 0,
        "memory_max": float(np.max(history.memory_bytes)) if len(history) else 0,
        "notes": list(recommendation.notes),
        "monthly_cost_now": round(before, 2),
        "monthly_cost_after": round(after, 2),
    }
    RightsizingRecommendation.objects.filter(service=service, state="proposed").delete()
    if before - after <= 0.01:
        return None
    return RightsizingRecommendation.objects.create(
        service=service,
        environment=prod,
        container=workload.container,
        strategy="seasonal",
        current=current,
        recommended=new,
        monthly_saving=round(before - after, 2),
        evidence=evidence,
    )


def _quantity(cores: float | None = None, size: float | None = None) -> str:
    if cores is not None:
        return f"{max(1, round(cores * 1000))}m"
    return f"{max(1, round((size or 0) / MIB))}Mi"


def rightsizing_pull_request(recommendation: RightsizingRecommendation) -> dict[str, Any]:
    """Edit the requests and limits in the service's production overlay and open a pull request (never merge)."""
    service = recommendation.service
    sc = source_control()
    slug = f"{settings.SCM_OWNER}/{service.name}"
    repo = sc.repository_get(slug)
    if repo is None:
        raise IntegrationError(f"{service.name} has no repository at {slug}; edit its requests by hand.")
    path = f"deploy/overlays/{recommendation.environment.name}/deployment.yaml"
    raw = sc.file_read(slug, repo.default_branch, path)
    if raw is None:
        raise IntegrationError(f"{slug} has no {path}; rightsizing edits golden-path layouts only.")
    document = yaml.safe_load(raw)
    containers = document["spec"]["template"]["spec"]["containers"]
    target = next((c for c in containers if c.get("name") == recommendation.container), containers[0])
    new = recommendation.recommended
    resources = target.setdefault("resources", {})
    resources.setdefault("requests", {}).update(
        {"cpu": _quantity(cores=new["cpu_request"]), "memory": _quantity(size=new["memory_request"])}
    )
    resources.setdefault("limits", {})["memory"] = _quantity(size=new["memory_limit"])
    branch = f"rightsizing/{recommendation.pk}"
    with tempfile.TemporaryDirectory() as tmp:
        target_file = Path(tmp) / path
        target_file.parent.mkdir(parents=True)
        target_file.write_text(yaml.safe_dump(document, sort_keys=False))
        sc.commit_tree(
            slug,
            branch,
            root=Path(tmp),
            base_branch=repo.default_branch,
            replace=False,
            message=f"Rightsize {service.name} ({recommendation.strategy})",
        )
    body = "\n".join(
        [
            f"Projected saving: ${recommendation.monthly_saving:.2f} a month.",
            f"Evidence: {recommendation.evidence}",
            "Opened by the platform portal after approval.",
        ]
    )
    pull = sc.pull_request_open(
        slug,
        source_branch=branch,
        target_branch=repo.default_branch,
        title=f"Rightsize {service.name}: save ${recommendation.monthly_saving:.0f}/month",
        body=body,
    )
    recommendation.state, recommendation.pull_request_url = "pr_open", pull.url
    recommendation.save(update_fields=["state", "pull_request_url"])
    return {"executor": "pull_request", "repository": slug, "pull_request_url": pull.url, "files": [path]}


def _hourly_series(
    service: Service, workload: WorkloadResources, start: float, end: float
) -> tuple[dict[datetime, float], dict[datetime, float]]:
    """Hourly cost (max(request, usage) x price, all pods) and hourly requests of a service's production."""

    def series(query: Query) -> dict[float, float]:
        found = metrics().range(query, start=start, end=end, step=3600)
        return dict(found[0].points) if found else {}

    cpu = series(Query(Signal.CPU, service.name, window="1h"))
    memory = series(Query(Signal.MEMORY, service.name))
    rps = series(Query(Signal.REQUEST_RATE, service.name, window="1h"))
    pods = max(workload.replicas, 1)
    cost, requests = {}, {}
    for ts, used in cpu.items():
        hour = datetime.fromtimestamp(ts - 3600, UTC)
        usage = ContainerUsage(
            start=hour,
            hours=1,
            node="",
            namespace="",
            pod="",
            container=workload.container,
            cpu_request=workload.cpu_request,
            cpu_usage=used / pods,
            ram_request=workload.memory_request,
            ram_usage=memory.get(ts, 0.0) / pods,
        )
        cost[hour] = container_allocation(usage, DEFAULT_PRICES).cost.total * pods
        requests[hour] = rps.get(ts, 0.0) * 3600
    return cost, requests


def unit_costs(service: Service, *, days: int = 7, now: float | None = None) -> dict[str, Any]:
    """Cost per 1,000 requests per day and per deploy, and the deploys after which it jumped."""
    from portal.changes.models import ChangeEvent
    from portal.finops.allocation import cost_per_request_jumps, cost_per_thousand_requests, deploy_costs

    workload = WorkloadResources.objects.filter(service=service, environment__kind="prod").first()
    if workload is None:
        return {"service": service.name, "per_day": [], "per_deploy": [], "jumps": []}
    now = now if now is not None else time.time()
    start = (now // 3600) * 3600 - days * 86400
    cost, requests = _hourly_series(service, workload, start, now)
    deploys = {
        e.occurred_at: e
        for e in ChangeEvent.objects.filter(
            service=service,
            kind="deploy",
            status="succeeded",
            environment__kind="prod",
            occurred_at__gte=datetime.fromtimestamp(start, UTC),
        )
    }
    per_day: dict[date, list[float]] = {}
    for hour, value in cost.items():
        totals = per_day.setdefault(hour.date(), [0.0, 0.0])
        totals[0] += value
        totals[1] += requests.get(hour, 0.0)
    spans = deploy_costs(cost, requests, sorted(deploys))
    jumps = cost_per_request_jumps(cost, requests, sorted(deploys), threshold=COST_JUMP)
    return {
        "service": service.name,
        "threshold": COST_JUMP,
        "per_day": [
            {
                "date": d.isoformat(),
                "cost": round(c, 4),
                "requests": int(r),
                "per_1k_requests": cost_per_thousand_requests(c, r),
            }
            for d, (c, r) in sorted(per_day.items())
        ],
        "per_deploy": [
            {
                "version": deploys[s.deployed_at].version,
                "deployed_at": s.deployed_at.isoformat(),
                "until": s.until.isoformat(),
                "cost": round(s.cost, 4),
                "requests": int(s.requests),
                "per_1k_requests": s.per_thousand_requests,
            }
            for s in spans
        ],
        "jumps": [
            {
                "version": deploys[j.deployed_at].version,
                "change_id": deploys[j.deployed_at].pk,
                "deployed_at": j.deployed_at.isoformat(),
                "before": j.before,
                "after": j.after,
                "change_percent": round(j.change * 100, 1),
            }
            for j in jumps
        ],
    }


COST_JUMP = 0.30  # the seed's example: cost per 1,000 requests up 30% after a deploy


def cost_jump_anomalies(service: Service, *, days: int = 7, now: float | None = None) -> list[Any]:
    """Raise each jump in cost per 1,000 requests as an anomaly attached to the deploy that caused it."""
    from portal.aiops.models import Anomaly

    found = []
    for jump in unit_costs(service, days=days, now=now)["jumps"]:
        at = datetime.fromisoformat(jump["deployed_at"])
        anomaly, _ = Anomaly.objects.get_or_create(
            service=service,
            signal="cost_per_1k_requests",
            started_at=at,
            defaults={
                "peak_at": at,
                "score": min(1.0, jump["change_percent"] / 100),
                "direction": "up",
                "baseline": jump["before"],
                "peak_value": jump["after"],
                "reason": {"detector": "cost_jump", "change_percent": jump["change_percent"]},
                "related_changes": [
                    {"change_id": jump["change_id"], "kind": "deploy", "version": jump["version"], "rank_score": 1.0}
                ],
            },
        )
        found.append(anomaly)
    return found


@transaction.atomic
def bill_import(*, text: str, source: str) -> dict[str, Any]:
    """Read a FOCUS billing file and store it summed per day and tags; importing the same source again replaces it."""
    from decimal import Decimal

    from portal.core.errors import ApplicationError
    from portal.finops.focus import FocusError, read_focus
    from portal.finops.models import BilledCost

    try:
        lines = read_focus(text)
    except FocusError as exc:
        raise ApplicationError(str(exc).split("\n")[0], fields=exc.fields) from exc
    sums: dict[tuple[str, ...], list[Decimal]] = {}
    for line in lines:
        key = (
            line.charge_period_start.date().isoformat(),
            line.provider,
            line.service_name,
            line.dimension("team"),
            line.dimension("service"),
            line.dimension("environment"),
            line.billing_currency,
        )
        totals = sums.setdefault(key, [Decimal(0), Decimal(0)])
        totals[0] += line.billed_cost
        totals[1] += line.effective_cost
    BilledCost.objects.filter(source=source).delete()
    BilledCost.objects.bulk_create(
        BilledCost(
            day=date.fromisoformat(day),
            provider=provider,
            cloud_service=cloud,
            team=team,
            service=svc,
            environment=env,
            currency=currency,
            billed=billed,
            effective=effective,
            source=source,
        )
        for (day, provider, cloud, team, svc, env, currency), (billed, effective) in sums.items()
    )
    return {
        "source": source,
        "lines": len(lines),
        "rows": len(sums),
        "billed": str(sum((v[0] for v in sums.values()), Decimal(0))),
        "effective": str(sum((v[1] for v in sums.values()), Decimal(0))),
    }


def cost_dashboard_provision(*, actor: Any = None) -> dict[str, Any]:
    """Create or replace the cost dashboard in Grafana (GRAFANA_URL), audited; raises IntegrationError."""
    from portal.core.audit import audit_record
    from portal.finops.dashboards import cost_dashboard
    from portal.integrations.grafana import dashboard_provision

    dashboard = cost_dashboard()
    answer = dashboard_provision(
        url=settings.GRAFANA_URL,
        token=settings.GRAFANA_TOKEN,
        dashboard=dashboard,
        folder_uid=settings.GRAFANA_FOLDER_UID,
    )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="cost_dashboard_provisioned",
            object_type="grafana.dashboard",
            object_id=dashboard["uid"],
            object_repr=dashboard["title"],
            after={"url": answer.get("url"), "version": answer.get("version")},
        )
    return answer
