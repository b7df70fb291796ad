"""Waste detectors and their monthly savings, with KEDA scale-to-zero and off-hours scale-down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.finops.prices import DEFAULT_PRICES, GIB, HOURS_PER_MONTH
from portal.finops.waste import (
    DeleteVolume,
    EnvironmentActivity,
    OffHoursScaleDown,
    Resize,
    ScaleToZero,
    VolumeClaimState,
    WorkingHours,
    WorkloadTraffic,
    WorkloadUtilization,
    idle_after_hours,
    idle_workloads,
    orphaned_volumes,
    overprovisioned,
)

NOW = datetime(2026, 3, 16, 12, tzinfo=UTC)  # a Monday


def test_a_workload_with_almost_no_traffic_for_a_week_can_scale_to_zero() -> None:
    quiet = WorkloadTraffic("payments", "reports", [0, 3, 0, 0, 1, 0, 2], monthly_cost=42.5, replicas=2)
    busy = WorkloadTraffic("payments", "api", [0, 0, 0, 0, 0, 0, 5000], monthly_cost=300.0)
    [finding] = idle_workloads([quiet, busy])
    assert (finding.kind, finding.subject, finding.monthly_saving) == ("idle_workload", "payments/reports", 42.5)
    assert isinstance(finding.action, ScaleToZero)
    scaled = finding.action.scaled_object(prometheus_url="http://prometheus:9090")
    assert scaled["kind"] == "ScaledObject"
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (0, 2)
    [trigger] = scaled["spec"]["triggers"]
    assert trigger["type"] == "prometheus"
    assert 'service="reports"' in trigger["metadata"]["query"]


def test_a_workload_watched_for_under_a_week_is_not_judged_idle() -> None:
    assert idle_workloads([WorkloadTraffic("payments", "new", [0, 0, 0], monthly_cost=10.0)]) == []


def test_requests_far_above_usage_are_cut_to_usage_plus_headroom() -> None:
    item = WorkloadUtilization(
        "payments", "api", replicas=3, cpu_request=1.0, memory_request=2 * GIB, cpu_p95=0.2, memory_peak=1.5 * GIB
    )
    [finding] = overprovisioned([item])
    assert isinstance(finding.action, Resize)
    assert finding.action.cpu_request == pytest.approx(0.23)
    assert finding.action.memory_request is None
    assert round(finding.monthly_saving, 2) == round(3 * 0.77 * DEFAULT_PRICES.cpu * HOURS_PER_MONTH, 2) == 53.31
    assert finding.detail == "uses 20% of its CPU request (p95) and 75% of its memory request (peak)"


def test_a_strategys_recommendation_replaces_the_headroom_rule() -> None:
    item = WorkloadUtilization(
        "payments",
        "api",
        1,
        1.0,
        4 * GIB,
        cpu_p95=0.3,
        memory_peak=GIB,
        recommended_cpu=0.4,
        recommended_memory=2 * GIB,
    )
    [finding] = overprovisioned([item])
    assert finding.action == Resize(cpu_request=0.4, memory_request=2 * GIB)
    expected = (0.6 * DEFAULT_PRICES.cpu + 2 * DEFAULT_PRICES.ram) * HOURS_PER_MONTH
    assert finding.monthly_saving == pytest.approx(expected)


def test_a_well_sized_workload_is_not_flagged() -> None:
    item = WorkloadUtilization("payments", "api", 3, 0.5, GIB, cpu_p95=0.4, memory_peak=0.8 * GIB)
    assert overprovisioned([item]) == []


def test_a_volume_no_pod_mounted_for_a_week_is_orphaned() -> None:
    claims = [
        VolumeClaimState("payments", "old-data", 100 * GIB, unmounted_since=NOW - timedelta(days=10)),
        VolumeClaimState("payments", "fresh", 100 * GIB, unmounted_since=NOW - timedelta(days=2)),
        VolumeClaimState("payments", "db", 100 * GIB, mounted_by=("db-0",)),
    ]
    [finding] = orphaned_volumes(claims, now=NOW)
    assert (finding.subject, round(finding.monthly_saving, 2)) == ("payments/old-data", 4.00)
    assert finding.action == DeleteVolume("payments", "old-data")
    assert finding.detail == "100 GiB no pod has mounted for 10 days"


def test_a_dev_environment_quiet_out_of_hours_is_scaled_down_then() -> None:
    dev = EnvironmentActivity("payments-dev", "dev", "payments-dev", _office_traffic(), 1.0, {"api": 2, "worker": 1})
    prod = EnvironmentActivity("payments-prod", "prod", "payments", _office_traffic(), 5.0, {"api": 3})
    [finding] = idle_after_hours([dev, prod])
    assert finding.subject == "payments-dev"
    assert round(finding.monthly_saving, 2) == round(HOURS_PER_MONTH * (1 - 60 / 168), 2) == 469.29
    assert isinstance(finding.action, OffHoursScaleDown)
    api, worker = finding.action.scaled_objects()
    [trigger] = api["spec"]["triggers"]
    assert trigger["metadata"] == {
        "timezone": "UTC",
        "start": "0 8 * * 1,2,3,4,5",
        "end": "0 20 * * 1,2,3,4,5",
        "desiredReplicas": "2",
    }
    assert (api["spec"]["minReplicaCount"], worker["metadata"]["name"]) == (0, "worker")


def test_a_staging_environment_with_night_traffic_is_left_alone() -> None:
    traffic = {moment: 100.0 for moment in _office_traffic()}
    staging = EnvironmentActivity("shop-staging", "staging", "shop-staging", traffic, 1.0)
    assert idle_after_hours([staging]) == []


def test_working_hours_are_read_in_their_own_timezone() -> None:
    lisbon_summer = WorkingHours(timezone="Europe/Lisbon")
    assert lisbon_summer.contains(datetime(2026, 7, 6, 7, 30, tzinfo=UTC))  # 08:30 in Lisbon (UTC+1)
    assert not WorkingHours().contains(datetime(2026, 7, 6, 7, 30, tzinfo=UTC))
    assert not WorkingHours().contains(datetime(2026, 7, 4, 12, tzinfo=UTC))  # a Saturday
    with pytest.raises(ValueError, match="working hours"):
        WorkingHours(start_hour=20, end_hour=8)


def _office_traffic() -> dict[datetime, float]:
    """Two weeks of hourly requests: 500 an hour from 9 to 17 on weekdays, none otherwise."""
    start = NOW - timedelta(days=14)
    hours = (start + timedelta(hours=index) for index in range(14 * 24))
    return {moment: 500.0 if moment.weekday() < 5 and 9 <= moment.hour < 17 else 0.0 for moment in hours}
