"""FinOps reads for the API and the pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Sum, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, NullIf

from portal.core import labels
from portal.finops.models import CostRecord, RightsizingRecommendation, WorkloadResources
from portal.finops.services import monthly_cost

OFF_HOURS_SHARE = 128 / 168  # nights and weekends: hours a week a dev or staging environment need not run
IDLE_RPS = 0.05
UNLABELLED = "unlabelled"  # the bucket of cost whose workload lacked the label grouped by
GROUP_LABELS = {
    "team": labels.TEAM,
    "service": labels.SERVICE,
    "environment": labels.ENVIRONMENT,
    "cost_centre": labels.COST_CENTRE,
}
OVERPROVISIONED = 0.25  # usage under a quarter of the request


def _since(days: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=days)


def _label_key(group_by: str) -> Coalesce:
    """The workload's label for the dimension, or UNLABELLED when it carried none."""
    label = GROUP_LABELS[group_by]
    text = TextField()
    return Coalesce(
        NullIf(KeyTextTransform(label, "labels"), Value("", text)), Value(UNLABELLED, text), output_field=text
    )


def cost_by_day(*, days: int, group_by: str) -> list[dict[str, Any]]:
    """Daily cost per team, service, environment or cost centre, read from the workloads' labels (day, key, cost)."""
    rows = (
        CostRecord.objects.filter(day__gte=_since(days))
        .annotate(key=_label_key(group_by))
        .values("day", "key")
        .annotate(cost=Sum("total"))
        .order_by("day", "key")
    )
    return [{"day": r["day"], "key": r["key"], "cost": round(r["cost"], 4)} for r in rows]


def cost_by_label(*, days: int, group_by: str) -> list[dict[str, Any]]:
    """Cost over the window per label value, largest first, with its share of the total."""
    rows = (
        CostRecord.objects.filter(day__gte=_since(days))
        .annotate(key=_label_key(group_by))
        .values("key")
        .annotate(cost=Sum("total"))
        .order_by("-cost", "key")
    )
    total = sum(r["cost"] for r in rows) or 1.0
    return [{"key": r["key"], "cost": round(r["cost"], 4), "share": round(r["cost"] / total, 4)} for r in rows]


def cost_unlabelled(*, days: int) -> dict[str, Any]:
    """What escaped the labels: each workload whose cost carried not every standard label, and what it lacked."""
    rows = (
        CostRecord.objects.filter(day__gte=_since(days))
        .values("service__name", "environment__name", "labels")
        .annotate(cost=Sum("total"))
        .order_by("service__name", "environment__name")
    )
    items = []
    for row in rows:
        missing = [key for key in labels.REQUIRED if not (row["labels"] or {}).get(key)]
        if missing:
            items.append(
                {
                    "service": row["service__name"],
                    "environment": row["environment__name"],
                    "cost": round(row["cost"], 4),
                    "missing_labels": missing,
                }
            )
    return {"cost": round(sum(i["cost"] for i in items), 2), "workloads": items}


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
