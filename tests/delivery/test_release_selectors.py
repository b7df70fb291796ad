"""Baseline and canary selectors on the metrics Query: PromQL label matchers, and the sandbox's pod filter."""

from __future__ import annotations

import pytest

from portal.integrations.metrics.base import Query, Signal
from portal.integrations.metrics.promql import promql
from portal.integrations.metrics.sandbox.fleet import Fleet, ServiceProfile
from portal.integrations.metrics.sandbox.source import SandboxMetrics


def test_pod_regex_and_version_become_label_matchers_on_every_metric() -> None:
    for signal in Signal:
        text = promql(Query(signal, "payments-api", pod_regex="payments-api-7d9f-.*", version="1.5.0"))
        assert 'pod=~"payments-api-7d9f-.*"' in text, signal
        assert 'version="1.5.0"' in text, signal


@pytest.mark.parametrize(
    "query",
    [
        Query(Signal.CPU, "payments-api", pod_regex='x"} or vector(1) or {a="'),
        Query(Signal.CPU, "payments-api", pod_regex="a\\\\b"),
        Query(Signal.CPU, "payments-api", version='1"}'),
    ],
)
def test_selectors_cannot_inject_promql(query: Query) -> None:
    with pytest.raises(ValueError, match="not a"):
        promql(query)


def test_the_sandbox_narrows_to_the_pods_a_regex_matches_anchored_as_promql() -> None:
    fleet = Fleet(services=(ServiceProfile(name="api", replicas=3),), epoch=0.0)
    source = SandboxMetrics(fleet)
    pods = fleet.pod_names("api")
    one = source.instant(Query(Signal.REQUEST_RATE, "api", by_pod=True, pod_regex=pods[2]), at=7200)
    prefix = source.instant(Query(Signal.REQUEST_RATE, "api", by_pod=True, pod_regex="api"), at=7200)

    assert [s.labels for s in one] == [{"pod": pods[2]}]
    assert prefix == []  # =~ is anchored: "api" alone matches no pod name
