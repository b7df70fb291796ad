"""Waste: idle workloads, overprovisioned requests, orphaned volumes and environments idle out of hours.

Each finding carries its monthly saving (730 hours) and what to do: a KEDA ScaledObject that scales an idle workload
to zero, one that scales a dev or staging environment down out of working hours, a resize, or a volume to delete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from portal.finops.prices import DEFAULT_PRICES, GIB, HOURS_PER_MONTH, ResourcePrices

KEDA_API = "keda.sh/v1alpha1"


@dataclass(frozen=True)
class ScaleToZero:
    """Let KEDA scale a workload to zero replicas while its request rate stays at zero."""

    namespace: str
    workload: str
    max_replicas: int
    query: str
    cooldown_seconds: int = 900

    def scaled_object(self, *, prometheus_url: str) -> dict[str, Any]:
        """Return the KEDA ScaledObject, with a Prometheus trigger on the request rate."""
        trigger = {"serverAddress": prometheus_url, "query": self.query, "threshold": "1"}
        return _scaled_object(
            self.namespace,
            self.workload,
            min_replicas=0,
            max_replicas=self.max_replicas,
            triggers=[{"type": "prometheus", "metadata": trigger}],
            cooldown=self.cooldown_seconds,
        )


@dataclass(frozen=True)
class WorkingHours:
    """When people use non-production environments: hours [start, end) on the given weekdays (Monday = 0)."""

    start_hour: int = 8
    end_hour: int = 20
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if not 0 <= self.start_hour < self.end_hour <= 24 or not set(self.weekdays) <= set(range(7)):
            raise ValueError("working hours need 0 <= start_hour < end_hour <= 24 and weekdays in 0..6")

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone))
        return local.weekday() in self.weekdays and self.start_hour <= local.hour < self.end_hour

    @property
    def off_share(self) -> float:
        """Return the share of the week outside working hours."""
        return 1.0 - (self.end_hour - self.start_hour) * len(set(self.weekdays)) / (7 * 24)

    def cron(self, hour: int) -> str:
        days = ",".join(str((day + 1) % 7) for day in sorted(set(self.weekdays)))  # cron counts Sunday as 0
        return f"0 {hour % 24} * * {days}"


@dataclass(frozen=True)
class OffHoursScaleDown:
    """Run an environment's workloads only in working hours (KEDA cron trigger, zero replicas outside)."""

    namespace: str
    workloads: Mapping[str, int]
    hours: WorkingHours

    def scaled_objects(self) -> list[dict[str, Any]]:
        """Return one KEDA ScaledObject per workload, holding its usual replicas in working hours only."""
        return [
            _scaled_object(
                self.namespace,
                workload,
                min_replicas=0,
                max_replicas=replicas,
                cooldown=300,
                triggers=[
                    {
                        "type": "cron",
                        "metadata": {
                            "timezone": self.hours.timezone,
                            "start": self.hours.cron(self.hours.start_hour),
                            "end": self.hours.cron(self.hours.end_hour),
                            "desiredReplicas": str(replicas),
                        },
                    }
                ],
            )
            for workload, replicas in sorted(self.workloads.items())
        ]


@dataclass(frozen=True)
class Resize:
    """New per-replica requests (cores, bytes); None keeps the current one."""

    cpu_request: float | None
    memory_request: float | None


@dataclass(frozen=True)
class DeleteVolume:
    namespace: str
    claim: str


Action = ScaleToZero | OffHoursScaleDown | Resize | DeleteVolume


@dataclass(frozen=True)
class Finding:
    """One piece of waste: what, where, how much a month, why, and what to do."""

    kind: str
    subject: str
    monthly_saving: float
    detail: str
    action: Action


@dataclass(frozen=True)
class WorkloadTraffic:
    """A workload's requests per day (oldest first) and what it costs a month."""

    namespace: str
    workload: str
    daily_requests: Sequence[float]
    monthly_cost: float
    replicas: int = 1
    request_rate_query: str = ""


def idle_workloads(
    workloads: Iterable[WorkloadTraffic], *, days: int = 7, max_requests_per_day: float = 10.0
) -> list[Finding]:
    """Flag workloads with no more than a handful of requests on each of the last `days` days."""
    findings = []
    for item in workloads:
        recent = list(item.daily_requests)[-days:]
        if len(recent) < days or max(recent) > max_requests_per_day:
            continue
        query = item.request_rate_query or (
            f'sum(rate(http_requests_total{{namespace="{item.namespace}",service="{item.workload}"}}[5m]))'
        )
        findings.append(
            Finding(
                "idle_workload",
                f"{item.namespace}/{item.workload}",
                item.monthly_cost,
                f"{sum(recent):.0f} requests in {days} days (at most {max(recent):.0f} a day); KEDA can hold it at "
                "zero replicas and start one on the first request",
                ScaleToZero(item.namespace, item.workload, max(item.replicas, 1), query),
            )
        )
    return findings


@dataclass(frozen=True)
class WorkloadUtilization:
    """Per-replica requests against observed usage (CPU p95 in cores, memory peak in bytes)."""

    namespace: str
    workload: str
    replicas: int
    cpu_request: float
    memory_request: float
    cpu_p95: float
    memory_peak: float
    recommended_cpu: float | None = None
    recommended_memory: float | None = None


def overprovisioned(
    workloads: Iterable[WorkloadUtilization],
    *,
    prices: ResourcePrices = DEFAULT_PRICES,
    max_utilization: float = 0.5,
    headroom: float = 0.15,
    min_monthly_saving: float = 1.0,
) -> list[Finding]:
    """Flag workloads using under `max_utilization` of a request; size it to usage plus headroom (or a strategy's)."""
    findings = []
    for item in workloads:
        cpu = _smaller(item.cpu_request, item.cpu_p95, item.recommended_cpu, max_utilization, headroom)
        memory = _smaller(item.memory_request, item.memory_peak, item.recommended_memory, max_utilization, headroom)
        cpu_saving = (item.cpu_request - cpu) * prices.cpu if cpu is not None else 0.0
        memory_saving = (item.memory_request - memory) / GIB * prices.ram if memory is not None else 0.0
        saving = (cpu_saving + memory_saving) * item.replicas * HOURS_PER_MONTH
        if (cpu is None and memory is None) or saving < min_monthly_saving:
            continue
        use_cpu, use_memory = item.cpu_p95 / item.cpu_request, item.memory_peak / item.memory_request
        detail = f"uses {use_cpu:.0%} of its CPU request (p95) and {use_memory:.0%} of its memory request (peak)"
        findings.append(
            Finding("overprovisioned", f"{item.namespace}/{item.workload}", saving, detail, Resize(cpu, memory))
        )
    return findings


def _smaller(
    request: float, usage: float, recommended: float | None, max_utilization: float, headroom: float
) -> float | None:
    if request <= 0 or usage / request >= max_utilization:
        return None
    proposal = recommended if recommended is not None else usage * (1.0 + headroom)
    return proposal if proposal < request else None


@dataclass(frozen=True)
class VolumeClaimState:
    """A persistent volume claim and the pods that mount it now (none: since when)."""

    namespace: str
    name: str
    size_bytes: float
    mounted_by: tuple[str, ...] = ()
    unmounted_since: datetime | None = None
    hourly_price: float | None = None


def orphaned_volumes(
    claims: Iterable[VolumeClaimState], *, now: datetime, min_days: float = 7.0, prices: ResourcePrices = DEFAULT_PRICES
) -> list[Finding]:
    """Flag claims no pod has mounted for at least `min_days`."""
    findings = []
    for claim in claims:
        if claim.mounted_by or claim.unmounted_since is None or now - claim.unmounted_since < timedelta(days=min_days):
            continue
        hourly = claim.hourly_price if claim.hourly_price is not None else claim.size_bytes / GIB * prices.storage
        days = (now - claim.unmounted_since).days
        findings.append(
            Finding(
                "orphaned_volume",
                f"{claim.namespace}/{claim.name}",
                hourly * HOURS_PER_MONTH,
                f"{claim.size_bytes / GIB:.0f} GiB no pod has mounted for {days} days",
                DeleteVolume(claim.namespace, claim.name),
            )
        )
    return findings


@dataclass(frozen=True)
class EnvironmentActivity:
    """An environment's requests per hour (UTC hour starts), what it costs an hour, and its workloads' replicas."""

    name: str
    kind: str
    namespace: str
    hourly_requests: Mapping[datetime, float]
    hourly_cost: float
    workloads: Mapping[str, int] = field(default_factory=dict)


def idle_after_hours(
    environments: Iterable[EnvironmentActivity],
    *,
    hours: WorkingHours | None = None,
    max_off_hours_share: float = 0.02,
    kinds: frozenset[str] = frozenset({"dev", "staging"}),
) -> list[Finding]:
    """Flag dev and staging environments that get (almost) no traffic outside working hours."""
    hours = hours or WorkingHours()
    findings = []
    for env in environments:
        total = sum(env.hourly_requests.values())
        if env.kind not in kinds or not env.hourly_requests:
            continue
        off = sum(count for moment, count in env.hourly_requests.items() if not hours.contains(moment))
        if total and off / total > max_off_hours_share:
            continue
        saving = env.hourly_cost * HOURS_PER_MONTH * hours.off_share
        share = off / total if total else 0.0
        detail = f"{share:.1%} of its requests come outside working hours ({hours.off_share:.0%} of the week)"
        findings.append(
            Finding(
                "idle_after_hours", env.name, saving, detail, OffHoursScaleDown(env.namespace, env.workloads, hours)
            )
        )
    return findings


def _scaled_object(
    namespace: str,
    workload: str,
    *,
    min_replicas: int,
    max_replicas: int,
    cooldown: int,
    triggers: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "apiVersion": KEDA_API,
        "kind": "ScaledObject",
        "metadata": {"name": workload, "namespace": namespace},
        "spec": {
            "scaleTargetRef": {"name": workload},
            "minReplicaCount": min_replicas,
            "maxReplicaCount": max_replicas,
            "cooldownPeriod": cooldown,
            "triggers": triggers,
        },
    }
