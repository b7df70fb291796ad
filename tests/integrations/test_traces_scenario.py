"""The dependency-slowdown scenario: the slow service and every caller above it, in metrics and traces alike."""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
import pytest

from portal.integrations.metrics.base import Query, Signal
from portal.integrations.metrics.sandbox.catalog import CatalogSandbox
from portal.integrations.metrics.sandbox.fleet import Call, Fleet, Scenario, ServiceProfile
from portal.integrations.metrics.sandbox.source import SandboxMetrics
from portal.integrations.traces.sandbox import FleetTraces

EPOCH = 1_793_491_200.0
SLOW = EPOCH + 3 * 86400 + 9 * 3600
SERVICES = (
    ServiceProfile("front", tier=1),
    ServiceProfile("a", tier=2),
    ServiceProfile("b", tier=2),
    ServiceProfile("c", tier=2),
    ServiceProfile("elsewhere", tier=2),
)
CALLS = (Call("front", "a", 0.9), Call("a", "b", 0.8), Call("b", "c", 0.9))


def fleet(*scenarios: Scenario, calls: tuple[Call, ...] = CALLS) -> Fleet:
    return Fleet(services=SERVICES, epoch=EPOCH, scenarios=scenarios, calls=calls)


def quantile(source: SandboxMetrics, service: str, q: float, at: float) -> float:
    return source.instant(Query(Signal.LATENCY_QUANTILE, service, quantile=q), at=at)[0].points[0][1]


SLOWED = SandboxMetrics(fleet(Scenario("dependency-slowdown", "c", SLOW, added_latency=0.5)))
CALM = SandboxMetrics(fleet())


def test_the_slow_dependency_and_every_caller_above_it_get_slower_the_dependency_most() -> None:
    after = SLOW + 20 * 60
    rise = {s: quantile(SLOWED, s, 0.5, after) - quantile(CALM, s, 0.5, after) for s in ("front", "a", "b", "c")}
    assert rise["c"] >= 0.45  # 0.5 s more, as histogram_quantile reads it from the 0.5-1 s bucket
    assert rise["c"] > rise["b"] > rise["a"] > rise["front"] > 0.2  # each caller waits on part of its requests
    for service in ("front", "c"):
        assert quantile(SLOWED, service, 0.99, after) > 2.5 * quantile(CALM, service, 0.99, after)  # p99 alerts
    assert quantile(SLOWED, "c", 0.99, after) >= quantile(SLOWED, "front", 0.99, after)


def test_the_slowdown_starts_and_ends_on_time_and_touches_nothing_else() -> None:
    ended = SandboxMetrics(fleet(Scenario("dependency-slowdown", "c", SLOW, end=SLOW + 3600)))
    for at in (SLOW - 600, SLOW + 3600 + 600):
        assert quantile(ended, "front", 0.99, at) == quantile(CALM, "front", 0.99, at)
    assert quantile(ended, "elsewhere", 0.99, SLOW + 600) == quantile(CALM, "elsewhere", 0.99, SLOW + 600)
    rate = Query(Signal.REQUEST_RATE, "front")
    assert ended.instant(rate, at=SLOW + 600) == CALM.instant(rate, at=SLOW + 600)


def test_a_dependency_graph_alone_changes_no_series() -> None:
    leak = Scenario("memory-leak", "front", SLOW)
    with_graph, without = fleet(leak), fleet(leak, calls=())
    for i in range(3):
        a, b = with_graph.pod("front", i, SLOW + 7200), without.pod("front", i, SLOW + 7200)
        assert np.array_equal(a.buckets, b.buckets)
        assert np.array_equal(a.latency_sum, b.latency_sum)


def test_the_histogram_mean_rises_by_the_expected_wait() -> None:
    pods = [(SLOWED.fleet.pod("front", i, SLOW + 3600), CALM.fleet.pod("front", i, SLOW + 3600)) for i in range(3)]
    j = int(np.searchsorted(pods[0][0].times, SLOW + 1800))
    extra = [(s.latency_sum[j] - s.latency_sum[j - 1] - (c.latency_sum[j] - c.latency_sum[j - 1])) for s, c in pods]
    requests = [s.requests[j] - s.requests[j - 1] for s, _ in pods]
    assert sum(extra) / sum(requests) == pytest.approx(0.9 * 0.8 * 0.9 * 0.5, rel=1e-6)


def test_traces_agree_with_the_metrics() -> None:
    slowed = FleetTraces(SLOWED.fleet)
    before = [
        slowed.trace(t.trace_id) for t in slowed.search(service="front", start=SLOW - 1800, end=SLOW - 1, limit=120)
    ]
    after = [slowed.trace(t.trace_id) for t in slowed.search(service="front", start=SLOW, end=SLOW + 1800, limit=120)]

    def own(sample: list, service: str) -> list[float]:
        return [t.self_time(s) for t in sample for s in t.spans if s.service == service]

    metric_median = SLOWED.fleet.pod("c", 0, SLOW + 3600).median_latency[int((SLOW + 900 - EPOCH) // 60)]
    assert statistics.median(own(after, "c")) == pytest.approx(metric_median + 0.5, rel=0.15)
    assert statistics.median(own(before, "c")) == pytest.approx(metric_median, rel=0.25)
    for caller in ("front", "a", "b"):  # the callers' own work did not change
        assert statistics.median(own(after, caller)) == pytest.approx(statistics.median(own(before, caller)), rel=0.3)
    reaching_c = sum(any(s.service == "c" for s in t.spans) for t in after) / len(after)
    assert reaching_c == pytest.approx(0.9 * 0.8 * 0.9, abs=0.12)
    wait = statistics.fmean(t.spans[0].duration for t in after) - statistics.fmean(t.spans[0].duration for t in before)
    assert wait == pytest.approx(0.9 * 0.8 * 0.9 * 0.5, abs=0.1)  # what the metrics' mean rises by


def test_spans_fail_at_the_services_error_ratio() -> None:
    failing = Fleet(
        services=(ServiceProfile("front", tier=1, error_ratio=0.1), ServiceProfile("a", tier=2, error_ratio=0.0)),
        epoch=EPOCH,
        calls=(Call("front", "a", 1.0),),
    )
    source = FleetTraces(failing)
    sample = [source.trace(t.trace_id) for t in source.search(service="front", start=SLOW, end=SLOW + 3600, limit=400)]
    spans = [s for t in sample for s in t.spans]
    share = sum(s.status == "error" for s in spans if s.service == "front") / len(sample)
    assert share == pytest.approx(0.1, abs=0.04)
    assert not any(s.status == "error" for s in spans if s.service == "a")


def test_the_catalog_sandbox_starts_the_scenario_on_the_demo_graph(demo_world: Path) -> None:
    sandbox = CatalogSandbox(str(demo_world))
    scenario = sandbox.scenario_start("dependency-slowdown", "catalog-search", start=SLOW, added_latency=0.8)
    assert (scenario.kind, scenario.added_latency) == ("dependency-slowdown", 0.8)
    assert sandbox.scenarios() == (scenario,)
    calls = {(c.caller, c.callee) for c in sandbox.fleet().calls}
    assert {
        ("checkout-api", "cart-service"),
        ("cart-service", "recommendations"),
        ("recommendations", "catalog-search"),
    } <= calls
    assert all(0.6 <= c.share <= 0.95 for c in sandbox.fleet().calls)
    with pytest.raises(ValueError, match="added_latency"):
        sandbox.scenario_start("dependency-slowdown", "catalog-search", added_latency=-1)
    with pytest.raises(ValueError, match="dependency-slowdown"):
        sandbox.scenario_start("disk-full", "catalog-search")
