"""FinOps reads for the API and the pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Sum

from portal.finops.models import CostRecord, RightsizingRecommendation, WorkloadResources
from portal.finops.services import monthly_cost

OFF_HOURS_SHARE = 128 / 168  # nights and weekends: hours a week a dev or staging environment need not run
IDLE_RPS = 0.05
OVERPROVISIONED = 0.25  # usage under a quarter of the request


def _since(days: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=days)


def cost_by_day(*, days: int, group_by: str) -> list[dict[str, Any]]:
    """Daily cost per team or service (rows: day, key, cost)."""
    field = {"team": "team__name", "service": "service__name", "environment": "environment__name"}[group_by]
    rows = (
        CostRecord.objects.filter(day__gte=_since(days))
        .values("day", field)
        .annotate(cost=Sum("total"))
        .order_by("day", field)
    )
    return [{"day": r["day"], "key": r[field], "cost": round(r["cost"], 4)} for r in rows]


def cost_total(*, days: int) -> dict[str, Any]:
    """Cost over the last `days` and over the `days` before them."""
    now = CostRecord.objects.filter(day__gte=_since(days)).aggregate(s=Sum("total"))["s"] or 0.0
    before = (
        CostRecord.objects.filter(day__gte=_since(2 * days), day__lt=_since(days)).aggregate(s=Sum("total"))["s"] or 0.0
    )
    return {"total": round(now, 2), "previous": round(before, 2), "currency": "USD"}


def service_cost(name: str, *, days: int = 30) -> dict[str, Any]:
    """One service's daily cost and its trend (last half of the window against the first half)."""
    rows = (
        CostRecord.objects.filter(service__name=name, day__gte=_since(days))
        .values("day")
        .annotate(cost=Sum("total"))
        .order_by("day")
    )
    daily = [{"date": r["day"].isoformat(), "cost": round(r["cost"], 4)} for r in rows]
    half = len(daily) // 2
    first, second = sum(d["cost"] for d in daily[:half]), sum(d["cost"] for d in daily[half:])
    trend = round((second - first) / first * 100, 1) if first else None
    return {
        "service": name,
        "currency": "USD",
        "total": round(sum(d["cost"] for d in daily), 2),
        "daily": daily,
        "trend_percent": trend,
    }


def idle_resources() -> list[dict[str, Any]]:
    """Idle and overprovisioned workloads and off-hours environments, each with its monthly saving."""
    out = []
    week = (
        CostRecord.objects.filter(day__gte=_since(7), environment__kind="prod")
        .values("service__name", "service_id")
        .annotate(rps=Avg("requests"), cpu=Avg("cpu_usage"), cost=Avg("total"))
    )
    for row in week:
        rps = (row["rps"] or 0) / 86400
        workload = WorkloadResources.objects.filter(service_id=row["service_id"], environment__kind="prod").first()
        if workload is None:
            continue
        requested = workload.cpu_request * workload.replicas
        if rps < IDLE_RPS:
            out.append(
                {
                    "service": row["service__name"],
                    "kind": "idle",
                    "monthly_saving": round(row["cost"] * 30, 2),
                    "reason": f"{rps:.3f} requests/s over 7 days: scale to zero with KEDA when idle",
                }
            )
        elif requested and (row["cpu"] or 0) < OVERPROVISIONED * requested:
            saving = monthly_cost(requested - (row["cpu"] or 0) * 1.3, 0, 1)
            out.append(
                {
                    "service": row["service__name"],
                    "kind": "overprovisioned",
                    "monthly_saving": round(saving, 2),
                    "reason": f"uses {row['cpu'] or 0:.2f} of {requested:.2f} requested cores",
                }
            )
    for workload in WorkloadResources.objects.exclude(environment__kind="prod").select_related(
        "service", "environment"
    ):
        saving = monthly_cost(workload.cpu_request, workload.memory_request, workload.replicas) * OFF_HOURS_SHARE
        out.append(
            {
                "service": workload.service.name,
                "kind": f"off_hours_{workload.environment.name}",
                "monthly_saving": round(saving, 2),
                "reason": f"{workload.environment.name} runs nights and weekends: scale it down off-hours",
            }
        )
    return sorted(out, key=lambda r: -r["monthly_saving"])


def rightsizing_recommendations() -> list[dict[str, Any]]:
    return [
        {
            "id": r.pk,
            "service": r.service.name,
            "container": r.container,
            "state": r.state,
            "cpu_request_now": r.current["cpu_request"],
            "cpu_request_new": r.recommended["cpu_request"],
            "memory_request_now": r.current["memory_request"],
            "memory_request_new": r.recommended["memory_request"],
            "monthly_saving": r.monthly_saving,
            "pull_request_url": r.pull_request_url,
            "evidence": r.evidence,
        }
        for r in RightsizingRecommendation.objects.select_related("service")
    ]
