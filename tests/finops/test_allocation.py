"""OpenCost's allocation model: the spec's worked examples to the cent, idle, shared costs, roll-ups, unit costs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from portal.finops.allocation import (
    HOUR,
    IDLE,
    UNALLOCATED,
    UNMOUNTED,
    Allocation,
    ContainerUsage,
    Cost,
    Node,
    SharePolicy,
    Split,
    VolumeClaim,
    allocate,
    container_allocation,
    cost_per_request_jumps,
    cost_per_thousand_requests,
    deploy_costs,
    idle_costs,
    node_cost,
    node_prices,
    resource_allocation_cost,
    rollup,
)
from portal.finops.prices import DEFAULT_PRICES, GIB, HOURS_PER_MONTH, PriceSheet, ResourcePrices

DAY_ONE = datetime(2026, 3, 2, tzinfo=UTC)


def usage(
    *,
    pod: str = "api-1",
    namespace: str = "payments",
    cpu: tuple[float, float] = (0.5, 0.25),
    ram_gib: tuple[float, float] = (1.0, 1.0),
    gpu: tuple[float, float] = (0.0, 0.0),
    hours: float = 24.0,
    node: str = "node-a",
    start: datetime = DAY_ONE,
    labels: dict[str, str] | None = None,
    phase: str = "Running",
) -> ContainerUsage:
    return ContainerUsage(
        start=start,
        hours=hours,
        node=node,
        namespace=namespace,
        pod=pod,
        container="app",
        cpu_request=cpu[0],
        cpu_usage=cpu[1],
        ram_request=ram_gib[0] * GIB,
        ram_usage=ram_gib[1] * GIB,
        gpu_request=gpu[0],
        gpu_usage=gpu[1],
        labels=labels or {},
        phase=phase,
    )


def node(name: str = "node-a", *, hours: float = 24.0, start: datetime = DAY_ONE) -> Node:
    return Node(name=name, start=start, hours=hours, cpu_cores=4, ram_bytes=16 * GIB, instance_type="e2-standard-4")


def test_a_resource_allocation_cost_is_amount_times_duration_times_hourly_rate() -> None:
    # The spec's example: 2 CPU cores for 24 hours at $0.20 per core-hour.
    assert round(resource_allocation_cost(amount=2, hours=24, hourly_rate=0.20), 2) == 9.60


def test_appendix_a_a_node_price_is_split_across_its_resources_keeping_their_ratios() -> None:
    # 1 GPU, 1 CPU, 1 GB for $35 a month, base prices GPU $30, CPU $30, RAM $10: $15, $15 and $5.
    sheet = PriceSheet(default=ResourcePrices(cpu=30.0, ram=10.0, gpu=30.0, storage=0.0))
    month = Node("gpu-node", DAY_ONE, hours=1.0, cpu_cores=1, ram_bytes=GIB, gpus=1, hourly_price=35.0)
    prices = node_prices(month, sheet)
    assert (round(prices.gpu, 2), round(prices.cpu, 2), round(prices.ram, 2)) == (15.00, 15.00, 5.00)
    assert round(node_cost(month, prices).total, 2) == 35.00


def test_appendix_a_what_a_workload_leaves_unrequested_on_the_node_is_idle() -> None:
    sheet = PriceSheet(default=ResourcePrices(cpu=30.0, ram=10.0, gpu=30.0, storage=0.0))
    month = Node("gpu-node", DAY_ONE, hours=1.0, cpu_cores=1, ram_bytes=GIB, gpus=1, hourly_price=35.0)
    half = usage(node="gpu-node", cpu=(0.5, 0.1), ram_gib=(0.5, 0.1), gpu=(1.0, 0.3), hours=1.0)
    allocations = allocate(nodes=[month], containers=[half], sheet=sheet)
    assert round(allocations[0].cost.total, 2) == 25.00  # 15 GPU + 7.50 CPU + 2.50 RAM
    [idle] = idle_costs([month], allocations, sheet=sheet)
    assert round(idle.idle.total, 2) == 10.00
    assert round(idle.idle_share or 0, 4) == round(10 / 35, 4)


def test_a_container_pays_the_greater_of_request_and_usage_for_each_resource() -> None:
    over_request = usage(cpu=(0.5, 0.8), ram_gib=(2.0, 1.0))
    cost = container_allocation(over_request, DEFAULT_PRICES).cost
    assert round(cost.cpu, 6) == round(24 * 0.031611 * 0.8, 6)  # usage above the request
    assert round(cost.ram, 6) == round(24 * 0.004237 * 2.0, 6)  # request above the usage
    assert (round(cost.cpu, 2), round(cost.ram, 2)) == (0.61, 0.20)


def test_a_gpu_for_a_month_at_default_prices_costs_693_50() -> None:
    gpu_month = usage(cpu=(0, 0), ram_gib=(0, 0), gpu=(1, 1), hours=HOURS_PER_MONTH)
    assert round(container_allocation(gpu_month, DEFAULT_PRICES).cost.gpu, 2) == 693.50


def test_a_pod_stuck_pulling_its_image_is_not_charged() -> None:
    stuck = usage(phase="ImagePullBackOff")
    assert container_allocation(stuck, DEFAULT_PRICES).cost.total == 0.0


def test_a_node_at_default_prices_costs_its_cores_and_gib_for_the_month() -> None:
    month = node(hours=HOURS_PER_MONTH)
    assert round(node_cost(month, DEFAULT_PRICES).total, 2) == 141.79  # 4 cores, 16 GiB, 730 hours


def test_a_spot_node_and_its_containers_pay_spot_prices() -> None:
    spot = Node("spot-a", DAY_ONE, 24.0, cpu_cores=4, ram_bytes=16 * GIB, spot=True)
    [allocation] = allocate(nodes=[spot], containers=[usage(node="spot-a", cpu=(1, 0), ram_gib=(1, 0))])
    assert round(allocation.cost.cpu, 4) == round(24 * 0.006655, 4)
    assert round(allocation.cost.ram, 4) == round(24 * 0.000892, 4)


def test_a_volume_is_charged_for_its_claim_size_and_an_unmounted_one_stays_visible() -> None:
    claims = [
        VolumeClaim(DAY_ONE, HOURS_PER_MONTH, "payments", "data", size_bytes=100 * GIB, pod="db-0"),
        VolumeClaim(DAY_ONE, HOURS_PER_MONTH, "payments", "old", size_bytes=50 * GIB),
    ]
    mounted, orphan = allocate(nodes=[], containers=[], volumes=claims)
    assert (round(mounted.cost.pv, 2), mounted.pod) == (4.00, "db-0")  # $0.04 per GiB-month
    assert (round(orphan.cost.pv, 2), orphan.pod) == (2.00, UNMOUNTED)


def test_a_volume_with_its_own_price_uses_it() -> None:
    sheet = PriceSheet(volume_hourly={"pvc-1": 0.1337})
    claim = VolumeClaim(DAY_ONE, 10.0, "payments", "data", size_bytes=GIB, volume="pvc-1")
    [allocation] = allocate(nodes=[], containers=[], volumes=[claim], sheet=sheet)
    assert round(allocation.cost.pv, 3) == 1.337


def test_idle_is_what_the_node_cost_minus_what_its_containers_were_charged() -> None:
    busy = usage(pod="a", cpu=(1.0, 1.5), ram_gib=(2.0, 1.0))
    quiet = usage(pod="b", cpu=(0.5, 0.2), ram_gib=(4.0, 5.0))
    allocations = allocate(nodes=[node()], containers=[busy, quiet])
    [idle] = idle_costs([node()], allocations)
    assert round(idle.assets.total, 2) == 4.66
    assert round(idle.idle.cpu, 6) == round(24 * 2 * 0.031611, 6)  # 2 of 4 cores charged
    assert round(idle.idle.ram, 6) == round(24 * 9 * 0.004237, 6)  # 7 of 16 GiB charged
    assert round(idle.idle.total + sum(a.cost.total for a in allocations), 6) == round(idle.assets.total, 6)


def test_shared_costs_are_spread_in_proportion_to_each_tenants_cost() -> None:
    rows = rollup(_tenants_and_system(), by="label:team", share=SharePolicy(namespaces=frozenset({"kube-system"})))
    shares = {row.key: round(row.shared, 2) for row in rows}
    assert shares == {"checkout": 0.25, "payments": 0.75}
    assert round(sum(row.total for row in rows), 2) == 5.00


def test_shared_costs_can_be_spread_evenly_and_include_overhead() -> None:
    policy = SharePolicy(namespaces=frozenset({"kube-system"}), split=Split.EVEN, overhead_per_day=2.0)
    rows = rollup(_tenants_and_system(), by="label:team", share=policy)
    assert {row.key: round(row.shared, 2) for row in rows} == {"checkout": 1.50, "payments": 1.50}


def test_shared_costs_can_be_chosen_by_label() -> None:
    rows = rollup(_tenants_and_system(), by="namespace", share=SharePolicy(labels={"team": "platform"}))
    assert {row.key: round(row.shared, 2) for row in rows} == {"checkout": 0.25, "payments": 0.75}


def test_idle_stays_its_own_row_unless_it_is_shared() -> None:
    allocations = allocate(nodes=[node()], containers=[usage(cpu=(2, 0), ram_gib=(8, 0))])
    idle = idle_costs([node()], allocations)
    kept = rollup(allocations, by="namespace", idle=idle)
    assert [row.key for row in kept] == ["payments", IDLE]
    shared = rollup(allocations, by="namespace", idle=idle, share=SharePolicy(share_idle=True))
    assert [row.key for row in shared] == ["payments"]
    assert round(shared[0].total, 6) == round(idle[0].assets.total, 6)


def test_it_rolls_up_per_day_and_names_what_has_no_label() -> None:
    day_two = DAY_ONE + timedelta(days=1)
    items = [
        usage(start=DAY_ONE, labels={"team": "payments"}),
        usage(start=DAY_ONE + 3 * HOUR, hours=1, labels={"team": "payments"}),
        usage(start=day_two, labels={}),
    ]
    rows = rollup(allocate(nodes=[node()], containers=items), by="label:team")
    assert [(row.period, row.key) for row in rows] == [(DAY_ONE, "payments"), (day_two, UNALLOCATED)]
    assert rows[0].direct.total > rows[1].direct.total


def test_team_service_and_environment_come_from_the_usual_labels() -> None:
    labels = {"owner": "payments", "app.kubernetes.io/name": "payments-api", "env": "prod"}
    allocations = allocate(nodes=[node()], containers=[usage(labels=labels)])
    keys = [rollup(allocations, by=by)[0].key for by in ("team", "service", "environment")]
    assert keys == ["payments", "payments-api", "prod"]


def test_it_refuses_an_unknown_grouping() -> None:
    with pytest.raises(ValueError, match="cannot group by"):
        rollup([], by="colour")


def test_cost_per_thousand_requests_is_undefined_without_requests() -> None:
    assert cost_per_thousand_requests(12.0, 48_000) == 0.25
    assert cost_per_thousand_requests(12.0, 0) is None


def test_each_deploy_is_charged_until_the_next_one() -> None:
    cost, requests = _hourly_series(hours=48, cost=1.0, requests=1000.0)
    deploys = [DAY_ONE + 12 * HOUR, DAY_ONE + 36 * HOUR]
    first, second = deploy_costs(cost, requests, deploys)
    assert (first.cost, first.requests, first.until) == (24.0, 24_000.0, deploys[1])
    assert (second.cost, second.per_thousand_requests) == (12.0, 1.0)


def test_it_flags_a_deploy_after_which_cost_per_thousand_requests_jumped() -> None:
    cost, requests = _hourly_series(hours=72, cost=1.0, requests=1000.0)
    deploy = DAY_ONE + 36 * HOUR
    for moment in cost:
        if moment >= deploy:
            cost[moment] = 1.35  # a new version that needs 35% more per request
    [jump] = cost_per_request_jumps(cost, requests, [DAY_ONE + 12 * HOUR, deploy])
    assert (jump.deployed_at, jump.before, round(jump.after, 2), round(jump.change, 2)) == (deploy, 1.0, 1.35, 0.35)


def test_a_rise_below_the_threshold_or_without_requests_is_not_flagged() -> None:
    cost, requests = _hourly_series(hours=48, cost=1.0, requests=1000.0)
    deploy = DAY_ONE + 24 * HOUR
    for moment in cost:
        cost[moment] = 1.2 if moment >= deploy else 1.0
    assert cost_per_request_jumps(cost, requests, [deploy]) == []
    assert cost_per_request_jumps(cost, dict.fromkeys(requests, 0.0), [deploy], threshold=0.1) == []


def _tenants_and_system() -> list[Allocation]:
    items = [
        usage(pod="pay", namespace="payments", labels={"team": "payments"}),
        usage(pod="shop", namespace="checkout", labels={"team": "checkout"}),
        usage(pod="dns", namespace="kube-system", labels={"team": "platform"}),
    ]
    allocations = allocate(nodes=[node()], containers=items)
    # Round figures: payments $3, checkout $1, the shared system pod $1.
    totals = {"pay": 3.0, "shop": 1.0, "dns": 1.0}
    return [replace(a, cost=Cost(cpu=totals[a.pod])) for a in allocations]


def _hourly_series(*, hours: int, cost: float, requests: float) -> tuple[dict[datetime, float], dict[datetime, float]]:
    moments = [DAY_ONE + index * HOUR for index in range(hours)]
    return dict.fromkeys(moments, cost), dict.fromkeys(moments, requests)
