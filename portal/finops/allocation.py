"""OpenCost's allocation model: workload costs at max(request, usage), idle, shared costs and roll-ups by any key.

Amounts are plain floats in dollars; CPU in cores, memory and storage in bytes, time in hours. Windows (an hour or a
day) must not cross a period boundary of the roll-up: the services feed hourly or daily windows in UTC.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import pairwise

from portal.finops.prices import GIB, PriceSheet, ResourcePrices, normalized_to_node_price

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
IDLE = "__idle__"
UNALLOCATED = "__unallocated__"
UNMOUNTED = "__unmounted__"
SHARED = "__shared__"
# Labels read as our own dimensions, first match wins.
DIMENSION_LABELS = {
    "team": ("team", "owner"),
    "service": ("app.kubernetes.io/name", "app", "service"),
    "environment": ("environment", "env"),
}
# The spec's pod states: anything but these is charged max(request, usage); these are not charged at all.
UNCHARGED_PHASES = frozenset({"ImagePullBackOff"})


@dataclass(frozen=True)
class Cost:
    """Dollars per resource."""

    cpu: float = 0.0
    ram: float = 0.0
    gpu: float = 0.0
    pv: float = 0.0

    @property
    def total(self) -> float:
        return self.cpu + self.ram + self.gpu + self.pv

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.cpu + other.cpu, self.ram + other.ram, self.gpu + other.gpu, self.pv + other.pv)

    def __sub__(self, other: Cost) -> Cost:
        return Cost(self.cpu - other.cpu, self.ram - other.ram, self.gpu - other.gpu, self.pv - other.pv)


@dataclass(frozen=True)
class Node:
    """A node (asset) over one window; `hourly_price` is its billed price when the bill gives one."""

    name: str
    start: datetime
    hours: float
    cpu_cores: float
    ram_bytes: float
    gpus: float = 0.0
    gpu_type: str = ""
    instance_type: str = ""
    spot: bool = False
    hourly_price: float | None = None


@dataclass(frozen=True)
class ContainerUsage:
    """One container over one window: its requests and average usage (the spec's Appendix B inputs)."""

    start: datetime
    hours: float
    node: str
    namespace: str
    pod: str
    container: str
    cpu_request: float
    cpu_usage: float
    ram_request: float
    ram_usage: float
    gpu_request: float = 0.0
    gpu_usage: float = 0.0
    controller: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    phase: str = "Running"


@dataclass(frozen=True)
class VolumeClaim:
    """A persistent volume claim over one window; `pod` is empty when no pod mounts it."""

    start: datetime
    hours: float
    namespace: str
    name: str
    size_bytes: float
    pod: str = ""
    volume: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Allocation:
    """What one container (or one claim, with an empty container) cost over one window."""

    start: datetime
    hours: float
    namespace: str
    pod: str
    container: str
    node: str
    controller: str
    labels: Mapping[str, str]
    cost: Cost


def resource_allocation_cost(*, amount: float, hours: float, hourly_rate: float) -> float:
    """Return Amount * Duration * HourlyRate, the spec's Resource Allocation Cost."""
    return amount * hours * hourly_rate


def workload_cost(*, request: float, usage: float, hours: float, hourly_rate: float) -> float:
    """Return what a workload is charged for one resource: max(request, usage) for the window."""
    return resource_allocation_cost(amount=max(request, usage), hours=hours, hourly_rate=hourly_rate)


def node_prices(node: Node, sheet: PriceSheet) -> ResourcePrices:
    """Return the node's unit prices; a billed node price is split across its resources as Appendix A says."""
    prices = sheet.resource_prices(node=node.name, instance_type=node.instance_type, spot=node.spot)
    if node.gpu_type in sheet.gpu_hourly:
        prices = replace(prices, gpu=sheet.gpu_hourly[node.gpu_type])
    billed = node.hourly_price if node.hourly_price is not None else sheet.node_hourly.get(node.name)
    if billed is None:
        return prices
    gib = node.ram_bytes / GIB
    return normalized_to_node_price(prices, cpu_cores=node.cpu_cores, ram_gib=gib, gpus=node.gpus, node_price=billed)


def node_cost(node: Node, prices: ResourcePrices) -> Cost:
    """Return what the node's CPU, RAM and GPU cost over its window."""
    return Cost(
        cpu=resource_allocation_cost(amount=node.cpu_cores, hours=node.hours, hourly_rate=prices.cpu),
        ram=resource_allocation_cost(amount=node.ram_bytes / GIB, hours=node.hours, hourly_rate=prices.ram),
        gpu=resource_allocation_cost(amount=node.gpus, hours=node.hours, hourly_rate=prices.gpu),
    )


def container_allocation(usage: ContainerUsage, prices: ResourcePrices) -> Allocation:
    """Charge one container max(request, usage) of CPU, RAM and GPU at its node's prices."""
    hours = 0.0 if usage.phase in UNCHARGED_PHASES else usage.hours
    ram_request, ram_usage = usage.ram_request / GIB, usage.ram_usage / GIB
    cost = Cost(
        cpu=workload_cost(request=usage.cpu_request, usage=usage.cpu_usage, hours=hours, hourly_rate=prices.cpu),
        ram=workload_cost(request=ram_request, usage=ram_usage, hours=hours, hourly_rate=prices.ram),
        gpu=workload_cost(request=usage.gpu_request, usage=usage.gpu_usage, hours=hours, hourly_rate=prices.gpu),
    )
    return Allocation(
        usage.start,
        usage.hours,
        usage.namespace,
        usage.pod,
        usage.container,
        usage.node,
        usage.controller,
        usage.labels,
        cost,
    )


def volume_allocation(claim: VolumeClaim, sheet: PriceSheet) -> Allocation:
    """Charge a claim for its requested size at the storage price (or its volume's own hourly price)."""
    hourly = sheet.volume_hourly.get(claim.volume)
    if hourly is None:
        hourly = claim.size_bytes / GIB * sheet.default.storage
    pod = claim.pod or UNMOUNTED
    return Allocation(
        claim.start, claim.hours, claim.namespace, pod, "", "", "", claim.labels, Cost(pv=hourly * claim.hours)
    )


def allocate(
    *,
    nodes: Sequence[Node],
    containers: Iterable[ContainerUsage],
    volumes: Iterable[VolumeClaim] = (),
    sheet: PriceSheet | None = None,
) -> list[Allocation]:
    """Cost every container at its node's prices (the sheet's defaults for an unknown node) and every claim."""
    sheet = sheet or PriceSheet()
    prices = {node.name: node_prices(node, sheet) for node in nodes}
    allocations = [container_allocation(c, prices.get(c.node, sheet.default)) for c in containers]
    return allocations + [volume_allocation(claim, sheet) for claim in volumes]


@dataclass(frozen=True)
class IdleCost:
    """What a node cost in one period beyond what was allocated on it; negative when usage beat requests."""

    period: datetime
    node: str
    assets: Cost
    idle: Cost

    @property
    def idle_share(self) -> float | None:
        """Return idle / resource allocation costs, or None when the node cost nothing."""
        return self.idle.total / self.assets.total if self.assets.total else None


def idle_costs(
    nodes: Sequence[Node],
    allocations: Iterable[Allocation],
    *,
    sheet: PriceSheet | None = None,
    period: timedelta = DAY,
) -> list[IdleCost]:
    """Return asset cost minus workload cost per node and period (persistent volumes are never idle here)."""
    sheet = sheet or PriceSheet()
    assets: dict[tuple[datetime, str], Cost] = defaultdict(Cost)
    for node in nodes:
        assets[period_start(node.start, period), node.name] += node_cost(node, node_prices(node, sheet))
    used: dict[tuple[datetime, str], Cost] = defaultdict(Cost)
    for allocation in allocations:
        used[period_start(allocation.start, period), allocation.node] += Cost(
            allocation.cost.cpu, allocation.cost.ram, allocation.cost.gpu
        )
    return [IdleCost(key[0], key[1], cost, cost - used[key]) for key, cost in sorted(assets.items())]


class Split(StrEnum):
    """How shared costs reach tenants: in proportion to their own cost, or in equal parts."""

    WEIGHTED = "weighted"
    EVEN = "even"


@dataclass(frozen=True)
class SharePolicy:
    """Which allocations are shared (by namespace or label), how they are split, and what else is shared."""

    namespaces: frozenset[str] = frozenset()
    labels: Mapping[str, str] = field(default_factory=dict)
    split: Split = Split.WEIGHTED
    overhead_per_day: float = 0.0
    share_idle: bool = False

    def covers(self, allocation: Allocation) -> bool:
        """Return whether the allocation is a shared cost rather than a tenant's."""
        if allocation.namespace in self.namespaces:
            return True
        return any(allocation.labels.get(key) == value for key, value in self.labels.items())


@dataclass(frozen=True)
class CostRow:
    """One group's cost in one period: its own, its part of shared costs, and its part of idle."""

    period: datetime
    key: str
    direct: Cost
    shared: float = 0.0
    idle: float = 0.0

    @property
    def total(self) -> float:
        return self.direct.total + self.shared + self.idle


def group_key(by: str) -> Callable[[Allocation], str]:
    """Return the grouping for a field (namespace, pod, container, node, controller), a label, or team/service/env."""
    if by in DIMENSION_LABELS or by.startswith("label:"):
        names = DIMENSION_LABELS.get(by, (by.removeprefix("label:"),))
        return lambda allocation: next((allocation.labels[n] for n in names if allocation.labels.get(n)), UNALLOCATED)
    if by not in ("namespace", "pod", "container", "node", "controller"):
        raise ValueError(f"cannot group by {by!r}: use a field, label:<name>, team, service or environment")
    return lambda allocation: getattr(allocation, by) or UNALLOCATED


def rollup(
    allocations: Iterable[Allocation],
    *,
    by: str,
    period: timedelta = DAY,
    idle: Iterable[IdleCost] = (),
    share: SharePolicy | None = None,
) -> list[CostRow]:
    """Sum costs per period and group, spreading shared costs (and idle, if asked) over the tenants."""
    share, key = share or SharePolicy(), group_key(by)
    direct: dict[datetime, dict[str, Cost]] = defaultdict(lambda: defaultdict(Cost))
    pool: dict[datetime, float] = defaultdict(float)
    for allocation in allocations:
        start = period_start(allocation.start, period)
        if share.covers(allocation):
            pool[start] += allocation.cost.total
        else:
            direct[start][key(allocation)] += allocation.cost
    unshared_idle: dict[datetime, float] = defaultdict(float)
    for item in idle:
        (pool if share.share_idle else unshared_idle)[item.period] += item.idle.total
    rows = []
    for start in sorted(set(direct) | set(pool) | set(unshared_idle)):
        pool[start] += share.overhead_per_day * (period / DAY)
        rows += _period_rows(start, direct[start], pool[start], share.split)
        if unshared_idle.get(start):
            rows.append(CostRow(start, IDLE, Cost(), idle=unshared_idle[start]))
    return rows


def _period_rows(start: datetime, groups: Mapping[str, Cost], pool: float, split: Split) -> list[CostRow]:
    if not groups:
        return [CostRow(start, SHARED, Cost(), shared=pool)] if pool else []
    weights = {name: cost.total for name, cost in groups.items()}
    if split is Split.EVEN or sum(weights.values()) <= 0.0:
        weights = dict.fromkeys(groups, 1.0)
    scale = pool / sum(weights.values())
    return [CostRow(start, name, groups[name], shared=weights[name] * scale) for name in sorted(groups)]


def period_start(moment: datetime, period: timedelta) -> datetime:
    """Return the start of the UTC period (aligned to the Unix epoch) holding the moment."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return epoch + (aware - epoch) // period * period


def cost_per_thousand_requests(cost: float, requests: float) -> float | None:
    """Return dollars per 1,000 requests, or None (undefined) when there were no requests."""
    return cost / requests * 1000.0 if requests > 0 else None


@dataclass(frozen=True)
class DeployCost:
    """What a service cost between one deploy and the next, and per 1,000 requests it served."""

    deployed_at: datetime
    until: datetime
    cost: float
    requests: float

    @property
    def per_thousand_requests(self) -> float | None:
        return cost_per_thousand_requests(self.cost, self.requests)


def deploy_costs(
    hourly_cost: Mapping[datetime, float], hourly_requests: Mapping[datetime, float], deploys: Sequence[datetime]
) -> list[DeployCost]:
    """Split the hourly series at each deploy: each deploy's cost and requests until the next one (or the end)."""
    moments = sorted(deploys)
    if not moments or not hourly_cost:
        return []
    end = max(hourly_cost) + HOUR
    bounds = [*moments, max(end, moments[-1])]
    return [
        DeployCost(start, until, _sum_between(hourly_cost, start, until), _sum_between(hourly_requests, start, until))
        for start, until in pairwise(bounds)
    ]


@dataclass(frozen=True)
class CostJump:
    """A deploy after which cost per 1,000 requests rose by `change` (0.3 = +30%)."""

    deployed_at: datetime
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after / self.before - 1.0


def cost_per_request_jumps(
    hourly_cost: Mapping[datetime, float],
    hourly_requests: Mapping[datetime, float],
    deploys: Sequence[datetime],
    *,
    window: timedelta = DAY,
    threshold: float = 0.30,
) -> list[CostJump]:
    """Flag deploys whose cost per 1,000 requests in the window after beats the window before by `threshold`.

    Windows stop at the neighbouring deploys; a deploy with no requests on either side cannot be judged and is skipped.
    """
    moments = sorted(deploys)
    jumps = []
    for index, moment in enumerate(moments):
        since = max(moment - window, moments[index - 1]) if index else moment - window
        until = min(moment + window, moments[index + 1]) if index + 1 < len(moments) else moment + window
        before = _per_thousand(hourly_cost, hourly_requests, since, moment)
        after = _per_thousand(hourly_cost, hourly_requests, moment, until)
        if before and after is not None and after >= before * (1.0 + threshold):
            jumps.append(CostJump(moment, before, after))
    return jumps


def _per_thousand(
    cost: Mapping[datetime, float], requests: Mapping[datetime, float], start: datetime, end: datetime
) -> float | None:
    return cost_per_thousand_requests(_sum_between(cost, start, end), _sum_between(requests, start, end))


def _sum_between(series: Mapping[datetime, float], start: datetime, end: datetime) -> float:
    return sum(value for moment, value in series.items() if start <= moment < end)
