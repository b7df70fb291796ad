"""Find when each signal of a service left normal, and how memory trended, from the metrics adapter. Pure
apart from the adapter call."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from portal.integrations.errors import IntegrationError
from portal.integrations.metrics import MetricsSource, Query, Signal, metrics

STEP = 60.0
WATCHED: tuple[tuple[str, Query], ...] = ()  # built per service below
MIN_BASELINE_POINTS = 20
THRESHOLD_MADS = 6.0
PERSIST_POINTS = 3


@dataclass(frozen=True)
class Onset:
    """A signal that left its normal range: when, which way, how far (in robust z units), at what value."""

    service: str
    signal: str
    started_at: float
    direction: str
    z: float
    baseline: float
    peak: float


@dataclass(frozen=True)
class Trend:
    service: str
    signal: str
    slope_per_hour: float  # relative to the baseline level
    r2: float
    restarts: float


def watched(service: str) -> list[tuple[str, Query]]:
    return [
        ("error_ratio", Query(Signal.ERROR_RATIO, service)),
        ("latency_p99", Query(Signal.LATENCY_QUANTILE, service, quantile=0.99)),
        ("request_rate", Query(Signal.REQUEST_RATE, service)),
        ("memory", Query(Signal.MEMORY, service)),
        ("cpu", Query(Signal.CPU, service)),
        ("restarts", Query(Signal.RESTARTS, service, window="15m")),
    ]


def onset(times: np.ndarray, values: np.ndarray, *, split: float) -> tuple[int, str, float, float] | None:
    """The first lasting departure after `split` from the median/MAD of the points before it."""
    before = values[times < split]
    before = before[~np.isnan(before)]
    if len(before) < MIN_BASELINE_POINTS:
        return None
    median = float(np.median(before))
    mad = float(np.median(np.abs(before - median))) * 1.4826
    scale = max(mad, abs(median) * 0.02, 1e-9)  # a flat baseline still needs a real change to count
    z = (values - median) / scale
    run = 0
    for i in np.flatnonzero(times >= split - 30 * 60):
        run = run + 1 if abs(z[i]) >= THRESHOLD_MADS and not math.isnan(z[i]) else 0
        if run == PERSIST_POINTS:
            first = i - PERSIST_POINTS + 1
            after = z[first:]
            peak = float(np.nanmax(np.abs(after)))
            return int(first), "up" if z[i] > 0 else "down", peak, median
    return None


def service_onsets(
    service: str, *, start: float, split: float, end: float, source: MetricsSource | None = None
) -> tuple[list[Onset], list[Trend]]:
    """Onsets of every watched signal of a service, and its memory trend, over [start, end]."""
    onsets, trends = [], []
    source = source or metrics()
    for name, query in watched(service):
        try:
            series = source.range(query, start=start, end=end, step=STEP)
        except IntegrationError:
            continue
        if not series:
            continue
        times = np.array([t for t, _ in series[0].points])
        values = np.array([v for _, v in series[0].points], dtype=float)
        if name == "restarts":
            restarts = float(np.nansum(np.diff(values[times >= split - 1800]).clip(min=0))) if len(values) > 1 else 0
            if np.nanmax(values[times >= split - 1800], initial=0) > 0:
                onsets.append(
                    Onset(service, name, float(times[np.argmax(values > 0)]), "up", 10.0, 0.0, float(np.nanmax(values)))
                )
            trends.append(Trend(service, "restarts", 0.0, 0.0, restarts))
            continue
        found = onset(times, values, split=split)
        if found is not None:
            index, direction, z, baseline = found
            peak = float(np.nanmax(values[index:]) if direction == "up" else np.nanmin(values[index:]))
            onsets.append(Onset(service, name, float(times[index]), direction, z, baseline, peak))
        if name == "memory":  # fit from just before the incident: an older flat stretch would hide the climb
            recent = times >= split - 600
            trends.append(memory_trend(service, times[recent], values[recent]))
    return onsets, trends


def memory_trend(service: str, times: np.ndarray, values: np.ndarray) -> Trend:
    """Least-squares slope of memory over the window (relative to its level per hour) and the fit's R²."""
    keep = ~np.isnan(values)
    times, values = times[keep], values[keep]
    if len(values) < 5 or float(np.mean(values)) == 0:
        return Trend(service, "memory", 0.0, 0.0, 0.0)
    hours = (times - times[0]) / 3600
    slope, intercept = np.polyfit(hours, values, 1)
    fitted = slope * hours + intercept
    total = float(np.sum((values - values.mean()) ** 2)) or 1.0
    r2 = 1 - float(np.sum((values - fitted) ** 2)) / total
    return Trend(service, "memory", float(slope / values[0]), r2, 0.0)
