"""The sandbox as a MetricsSource: it answers the typed questions the way PromQL would over the same data."""

from __future__ import annotations

import math
import re

import numpy as np

from portal.integrations.errors import IntegrationError
from portal.integrations.metrics.base import MetricsSource, Query, Series, Signal, window_seconds
from portal.integrations.metrics.sandbox.fleet import LATENCY_BUCKETS, Array, Fleet, PodSeries


def histogram_quantile(q: float, bounds: tuple[float, ...], cumulative: Array, total: float) -> float:
    """Prometheus's histogram_quantile over one set of bucket counts (linear within a bucket)."""
    if total <= 0 or math.isnan(total):
        return math.nan
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in zip(bounds, cumulative, strict=True):
        if count >= rank:
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = bound, float(count)
    return bounds[-1]  # in the +Inf bucket: Prometheus answers the highest finite bound


class SandboxMetrics(MetricsSource):
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    def _pods(self, service: str, end: float) -> list[tuple[str, PodSeries]]:
        try:
            names = self.fleet.pod_names(service)
        except KeyError:
            return []  # like Prometheus: an unknown service has no series
        return [(name, self.fleet.pod(service, i, end)) for i, name in enumerate(names)]

    def _index(self, series: PodSeries, at: float) -> int:
        return int(np.searchsorted(series.times, at, side="right")) - 1

    def _delta(self, values: Array, series: PodSeries, at: float, window: int) -> float:
        i, j = self._index(series, at), self._index(series, at - window)
        if i < 0 or j < 0:
            return math.nan
        return float(values[i] - values[j])

    def _value(self, query: Query, pods: list[tuple[str, PodSeries]], at: float) -> float:
        w = window_seconds(query.window)
        if not pods or self._index(pods[0][1], at - w) < 0:
            return math.nan
        if query.signal == Signal.MEMORY:
            return float(sum(p.memory[self._index(p, at)] for _, p in pods))
        if query.signal == Signal.LATENCY_QUANTILE:
            i = [self._index(p, at) for _, p in pods]
            j = [self._index(p, at - w) for _, p in pods]
            buckets = sum(p.buckets[:, a] - p.buckets[:, b] for (_, p), a, b in zip(pods, i, j, strict=True))
            total = sum(p.requests[a] - p.requests[b] for (_, p), a, b in zip(pods, i, j, strict=True))
            return histogram_quantile(query.quantile, LATENCY_BUCKETS, np.asarray(buckets), float(total))
        return self._counter_value(query, pods, at, w)

    def _counter_value(self, query: Query, pods: list[tuple[str, PodSeries]], at: float, w: int) -> float:
        def delta(attr: str) -> float:
            return sum(self._delta(getattr(p, attr), p, at, w) for _, p in pods)

        match query.signal:
            case Signal.REQUEST_RATE:
                return delta("requests") / w
            case Signal.ERROR_RATIO:
                total = delta("requests")
                return delta("errors") / total if total > 0 else math.nan
            case Signal.LATENCY_UNDER:
                if query.threshold not in LATENCY_BUCKETS:
                    return math.nan  # no such bucket, as in Prometheus
                k = LATENCY_BUCKETS.index(query.threshold)
                total = delta("requests")
                under = sum(self._delta(p.buckets[k], p, at, w) for _, p in pods)
                return under / total if total > 0 else math.nan
            case Signal.CPU:
                return delta("cpu_seconds") / w
            case Signal.RESTARTS:
                return delta("restarts")
        raise IntegrationError(f"The sandbox cannot answer {query.signal}.")

    def _groups(self, query: Query, end: float) -> list[tuple[dict[str, str], list[tuple[str, PodSeries]]]]:
        pods = self._pods(query.service, end)
        if query.pod_regex:  # anchored, as PromQL's =~; the sandbox runs one release, so `version` narrows nothing
            pattern = re.compile(query.pod_regex)
            pods = [(name, series) for name, series in pods if pattern.fullmatch(name)]
        if not pods:
            return []
        if query.by_pod:
            return [({"pod": name}, [(name, series)]) for name, series in pods]
        return [({}, pods)]

    def instant(self, query: Query, *, at: float) -> list[Series]:
        out = []
        for labels, pods in self._groups(query, at):
            value = self._value(query, pods, at)
            if not math.isnan(value):
                out.append(Series(labels=labels, points=[(at, float(value))]))
        return out

    def range(self, query: Query, *, start: float, end: float, step: float) -> list[Series]:
        if step <= 0 or end < start:
            raise IntegrationError("A range needs start <= end and a positive step.")
        times = np.arange(start, end + step / 2, step)
        out = []
        for labels, pods in self._groups(query, end):
            points = [(float(t), float(v)) for t in times if not math.isnan(v := self._value(query, pods, float(t)))]
            if points:
                out.append(Series(labels=labels, points=points))
        return out
