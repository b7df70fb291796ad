"""The metrics capability: the sandbox simulates a believable fleet and agrees with a real Prometheus."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from portal.integrations.errors import IntegrationError
from portal.integrations.metrics.base import Query, Signal
from portal.integrations.metrics.prometheus import PrometheusMetrics
from portal.integrations.metrics.promql import promql
from portal.integrations.metrics.sandbox.fleet import Fleet, Scenario, ServiceProfile
from portal.integrations.metrics.sandbox.openmetrics import openmetrics_export
from portal.integrations.metrics.sandbox.source import SandboxMetrics, histogram_quantile
from tests.support.prometheus import prometheus_server

EPOCH = 1_793_491_200.0  # 2026-10-31T00:00:00Z, a Saturday
DAY = 86400.0
LEAK_START = EPOCH + 3 * DAY + 9 * 3600  # Tuesday 09:00


def fleet(**kwargs) -> Fleet:
    services = (ServiceProfile("checkout-api", tier=1), ServiceProfile("payments-api", tier=1, replicas=2))
    return Fleet(services=services, epoch=EPOCH, **kwargs)


def at(day: float, hour: float) -> float:
    return EPOCH + day * DAY + hour * 3600


def value(source: SandboxMetrics, query: Query, when: float) -> float:
    series = source.instant(query, at=when)
    assert series, f"no data for {query} at {when}"
    return series[0].points[0][1]


def test_the_sandbox_is_deterministic() -> None:
    query = Query(Signal.LATENCY_QUANTILE, "checkout-api", quantile=0.99)
    assert SandboxMetrics(fleet()).range(query, start=at(2, 0), end=at(2, 6), step=300) == SandboxMetrics(
        fleet()
    ).range(query, start=at(2, 0), end=at(2, 6), step=300)


def test_traffic_follows_the_day_and_the_week() -> None:
    source = SandboxMetrics(fleet())
    rate = Query(Signal.REQUEST_RATE, "checkout-api")
    assert value(source, rate, at(3, 15)) > 1.5 * value(source, rate, at(3, 3))  # weekday afternoon vs night
    assert value(source, rate, at(3, 15)) > 1.2 * value(source, rate, at(7, 15))  # Tuesday vs Saturday
    assert source.instant(rate, at=at(3, 15))[0].points[0][1] == pytest.approx(3 * 20 * 1.4, rel=0.15)


def test_unknown_services_and_times_before_the_epoch_have_no_data() -> None:
    source = SandboxMetrics(fleet())
    assert source.instant(Query(Signal.REQUEST_RATE, "nope"), at=at(3, 3)) == []
    assert source.instant(Query(Signal.REQUEST_RATE, "checkout-api"), at=EPOCH - 10) == []


def test_the_memory_leak_scenario_climbs_then_slows_and_breaks_the_service() -> None:
    leaky = SandboxMetrics(fleet(scenarios=(Scenario("memory-leak", "checkout-api", LEAK_START),)))
    calm = SandboxMetrics(fleet())
    before, after = LEAK_START - 600, LEAK_START + 65 * 60  # before the first OOM kill
    memory = Query(Signal.MEMORY, "checkout-api")
    assert value(leaky, memory, after) > 1.8 * value(leaky, memory, before)
    p99 = Query(Signal.LATENCY_QUANTILE, "checkout-api", quantile=0.99)
    assert value(leaky, p99, after) > 2 * value(calm, p99, after)
    errors = Query(Signal.ERROR_RATIO, "checkout-api")
    assert value(leaky, errors, after) > 5 * value(calm, errors, after)
    restarts = Query(Signal.RESTARTS, "checkout-api", window="3h")
    assert value(leaky, restarts, LEAK_START + 3 * 3600) >= 3
    assert value(calm, restarts, LEAK_START + 3 * 3600) == 0
    other = Query(Signal.MEMORY, "payments-api")
    assert value(leaky, other, after) == value(calm, other, after)


def test_histogram_quantile_interpolates_like_prometheus() -> None:
    bounds = (0.1, 0.2, 0.4)
    counts = np.array([50.0, 90.0, 100.0])
    assert histogram_quantile(0.5, bounds, counts, 100) == pytest.approx(0.1)
    assert histogram_quantile(0.7, bounds, counts, 100) == pytest.approx(0.15)
    assert histogram_quantile(0.99, bounds, counts, 110) == 0.4  # beyond the last bound: +Inf bucket
    assert math.isnan(histogram_quantile(0.5, bounds, counts, 0))


QUERIES = [
    Query(Signal.REQUEST_RATE, "checkout-api"),
    Query(Signal.ERROR_RATIO, "checkout-api", window="30m"),
    Query(Signal.LATENCY_QUANTILE, "checkout-api", quantile=0.99),
    Query(Signal.LATENCY_QUANTILE, "payments-api", quantile=0.5, window="1h"),
    Query(Signal.LATENCY_UNDER, "checkout-api", threshold=0.25),
    Query(Signal.CPU, "payments-api"),
    Query(Signal.MEMORY, "checkout-api"),
    Query(Signal.RESTARTS, "checkout-api", window="1h"),
    Query(Signal.REQUEST_RATE, "checkout-api", by_pod=True),
]


def test_a_real_prometheus_backfilled_from_the_export_gives_the_same_answers(tmp_path: Path) -> None:
    leaky = fleet(scenarios=(Scenario("memory-leak", "checkout-api", LEAK_START),))
    sandbox = SandboxMetrics(leaky)
    start, end = LEAK_START - 3 * 3600, LEAK_START + 3 * 3600
    with prometheus_server(tmp_path, openmetrics_export(leaky, start=start, end=end)) as url:
        prom = PrometheusMetrics(url, timeout=10)
        for query in QUERIES:
            for when in (LEAK_START - 3600, LEAK_START + 2 * 3600 + 120):
                ours = {tuple(s.labels.items()): s.points[0][1] for s in sandbox.instant(query, at=when)}
                theirs = {
                    tuple((k, v) for k, v in s.labels.items() if k == "pod"): s.points[0][1]
                    for s in prom.instant(query, at=when)
                }
                assert ours.keys() == theirs.keys(), query
                for key, expected in ours.items():
                    assert theirs[key] == pytest.approx(expected, rel=0.01, abs=1e-9), (query, when, key)
        ranged = prom.range(Query(Signal.REQUEST_RATE, "checkout-api"), start=end - 3600, end=end, step=600)
        assert len(ranged[0].points) == 7


def test_bad_promql_and_an_unreachable_server_are_clear_errors(tmp_path: Path) -> None:
    with prometheus_server(tmp_path, ["# EOF\n"]) as url:
        with pytest.raises(IntegrationError, match="rejected the query") as bad:
            PrometheusMetrics(url).query("sum(rate(x[5m]", at=EPOCH)
        assert bad.value.permanent
    with pytest.raises(IntegrationError, match="did not answer") as down:
        PrometheusMetrics(url, retries=0, timeout=1).query("up", at=EPOCH)
    assert not down.value.permanent


def test_promql_refuses_label_injection() -> None:
    with pytest.raises(ValueError, match="valid service"):
        promql(Query(Signal.REQUEST_RATE, 'x"}) or vector(1) or sum({a="'))
    with pytest.raises(ValueError, match="duration"):
        promql(Query(Signal.REQUEST_RATE, "x", window="5 minutes"))
