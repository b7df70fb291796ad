"""Export the sandbox as OpenMetrics text, so `promtool tsdb create-blocks-from openmetrics` can backfill a
real Prometheus with the very same data the sandbox answers from."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from portal.integrations.metrics.base import le_label
from portal.integrations.metrics.sandbox.fleet import LATENCY_BUCKETS, Fleet, PodSeries


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{key}="{value}"' for key, value in labels.items()) + "}"


def _samples(name: str, labels: str, times: np.ndarray, values: np.ndarray) -> Iterator[str]:
    for t, v in zip(times, values, strict=True):
        yield f"{name}{labels} {v:.10g} {t:.0f}\n"


def openmetrics_export(
    fleet: Fleet, *, start: float, end: float, services: Iterable[str] | None = None
) -> Iterator[str]:
    """Yield OpenMetrics lines for every series of the chosen services between start and end."""
    names = list(services) if services is not None else [s.name for s in fleet.services]
    pods: list[tuple[str, str, str, PodSeries]] = []
    for service in names:
        namespace = fleet.profile(service).namespace
        for i, pod in enumerate(fleet.pod_names(service)):
            pods.append((service, namespace, pod, fleet.pod(service, i, end)))

    def window(series: PodSeries) -> slice:
        first = int(np.searchsorted(series.times, start, side="left"))
        last = int(np.searchsorted(series.times, end, side="right"))
        return slice(first, last)

    yield "# TYPE http_requests counter\n"
    for service, namespace, pod, s in pods:
        w = window(s)
        for code, values in (("200", s.requests - s.errors), ("500", s.errors)):
            labels = _labels(service=service, namespace=namespace, pod=pod, code=code)
            yield from _samples("http_requests_total", labels, s.times[w], values[w])
    yield "# TYPE http_request_duration_seconds histogram\n"
    for service, namespace, pod, s in pods:
        w = window(s)
        base = {"service": service, "namespace": namespace, "pod": pod}
        for k, bound in enumerate(LATENCY_BUCKETS):
            labels = _labels(**base, le=le_label(bound))
            yield from _samples("http_request_duration_seconds_bucket", labels, s.times[w], s.buckets[k][w])
        inf = _labels(**base, le="+Inf")
        yield from _samples("http_request_duration_seconds_bucket", inf, s.times[w], s.requests[w])
        yield from _samples("http_request_duration_seconds_count", _labels(**base), s.times[w], s.requests[w])
        yield from _samples("http_request_duration_seconds_sum", _labels(**base), s.times[w], s.latency_sum[w])
    for family, kind, attr in (
        ("container_cpu_usage_seconds", "counter", "cpu_seconds"),
        ("container_memory_working_set_bytes", "gauge", "memory"),
        ("kube_pod_container_status_restarts", "counter", "restarts"),
    ):
        yield f"# TYPE {family} {kind}\n"
        name = f"{family}_total" if kind == "counter" else family
        for service, namespace, pod, s in pods:
            w = window(s)
            labels = _labels(namespace=namespace, pod=pod, container=service)
            yield from _samples(name, labels, s.times[w], getattr(s, attr)[w])
    yield "# EOF\n"
