"""The Kubernetes VPA recommender's algorithm, with its defaults and its integer rounding.

CPU samples go into a decaying histogram (half-life 24 h, weight 0.1 each); memory goes in as one peak per pod and
24 h interval, an OOM kill raising that interval's peak to max(used + 100 MiB, used * 1.2) where used is the larger of
the request and the peak so far. Target = P90 * 1.15; lower bound = P50 * 1.15 * (1 + 0.001/conf)^-2; upper bound =
P95 * 1.15 * (1 + 1/conf), with conf = min(history length in days, samples / 1440); never below the pod minimum
(25m CPU, 250 MiB) split across the pod's containers. CPU is held in whole millicores and memory in whole bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from portal.finops.strategies.base import HOUR, MIB, FloatArray, History, OomKill, Recommendation, Strategy
from portal.finops.strategies.histogram import DecayingHistogram, ExponentialBuckets

MAX_RESOURCE_AMOUNT = 1e14
# A confidence multiplier (multiplier, exponent), or none.
Scale = tuple[float, float] | None


@dataclass(frozen=True)
class VpaSettings:
    """The recommender's flags and aggregation constants, with upstream defaults; times in hours."""

    history_hours: float = 192.0
    target_percentile: float = 0.9
    lower_bound_percentile: float = 0.5
    upper_bound_percentile: float = 0.95
    safety_margin: float = 0.15
    pod_min_cpu_millicores: float = 25.0
    pod_min_memory_mb: float = 250.0
    containers_per_pod: int = 1
    half_life_hours: float = 24.0
    memory_interval_hours: float = 24.0
    confidence_interval_hours: float = 24.0
    oom_bump_ratio: float = 1.2
    oom_min_bump_bytes: float = 100 * MIB
    cpu_sample_weight: float = 0.1
    cpu_buckets: ExponentialBuckets = field(default_factory=lambda: ExponentialBuckets(1000.0, 0.01))
    memory_buckets: ExponentialBuckets = field(default_factory=lambda: ExponentialBuckets(1e12, 1e7))


@dataclass
class AggregateState:
    """One container's CPU histogram, memory-peak histogram and CPU sample count and time span."""

    cpu: DecayingHistogram
    memory_peaks: DecayingHistogram
    first_sample: float = 0.0
    last_sample: float = 0.0
    samples: int = 0


@dataclass(frozen=True)
class VpaEstimate:
    """Target, lower and upper bound, in cores and bytes."""

    target_cpu: float
    target_memory: float
    lower_cpu: float
    lower_memory: float
    upper_cpu: float
    upper_memory: float


def resource_amount(value: float) -> int:
    """Return VPA's ResourceAmount: truncated to an integer, within [0, 1e14]."""
    return int(min(max(value, 0.0), MAX_RESOURCE_AMOUNT))


def scale_amount(amount: int, factor: float) -> int:
    return resource_amount(amount * factor)


def confidence_multiplier(multiplier: float, exponent: float, confidence: float) -> float:
    """Return (1 + multiplier / confidence) ^ exponent: infinite or zero with no history at all."""
    if confidence <= 0.0:
        return math.inf if exponent > 0 else 0.0
    return (1.0 + multiplier / confidence) ** exponent


def confidence(state: AggregateState, interval_hours: float = 24.0) -> float:
    """Return min(history length, samples per minute of interval), both in intervals (days by default)."""
    lifespan = (state.last_sample - state.first_sample) / (interval_hours * HOUR)
    return min(lifespan, state.samples / (interval_hours * 60.0))


def oom_memory_needed(used: float, settings: VpaSettings) -> int:
    """Return the memory an OOM kill says is needed: max(used + 100 MiB, used * 1.2)."""
    used_amount = resource_amount(used)
    bumped = used_amount + resource_amount(settings.oom_min_bump_bytes)
    return max(bumped, scale_amount(used_amount, settings.oom_bump_ratio))


def memory_peaks(
    times: FloatArray, memory: FloatArray, kills: list[OomKill], settings: VpaSettings
) -> list[tuple[float, float]]:
    """Return one (interval end, peak) per memory interval of one pod; intervals start at its first event."""
    interval = settings.memory_interval_hours * HOUR
    start = min([*times[:1], *(kill.timestamp for kill in kills)], default=0.0)
    peaks: dict[int, float] = {}
    if len(times):
        index = ((times - start) // interval).astype(np.intp)
        firsts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        peaks = dict(zip(index[firsts].tolist(), np.maximum.reduceat(memory, firsts).tolist(), strict=True))
    for kill in kills:
        window = int((kill.timestamp - start) // interval)
        earlier = memory[(times >= start + window * interval) & (times <= kill.timestamp)]
        used = max(kill.memory_request, float(earlier.max()) if len(earlier) else 0.0)
        peaks[window] = max(peaks.get(window, 0.0), float(oom_memory_needed(used, settings)))
    return [(start + (window + 1) * interval, peak) for window, peak in sorted(peaks.items())]


def aggregate(history: History, settings: VpaSettings) -> AggregateState:
    """Feed a history into VPA's aggregate state: CPU samples, and memory peaks per pod and interval."""
    state = AggregateState(
        DecayingHistogram(settings.cpu_buckets, settings.half_life_hours * HOUR),
        DecayingHistogram(settings.memory_buckets, settings.half_life_hours * HOUR),
    )
    if len(history):
        state.cpu.add(history.cpu_cores, settings.cpu_sample_weight, history.timestamps)
        state.first_sample, state.last_sample = float(history.timestamps[0]), history.end
        state.samples = len(history)
    for pod, at in history.by_pod().items():
        kills = [kill for kill in history.oom_kills if kill.pod == pod or not history.pods]
        peaks = memory_peaks(history.timestamps[at], history.memory_bytes[at], kills, settings)
        if peaks:
            ends, values = np.array(peaks).T
            state.memory_peaks.add(values, 1.0, ends)
    return state


def estimate(state: AggregateState, settings: VpaSettings) -> VpaEstimate:
    """Return target and bounds from the aggregate state, in whole millicores and bytes."""
    fraction = 1.0 / settings.containers_per_pod
    conf = confidence(state, settings.confidence_interval_hours)
    min_cpu = scale_amount(resource_amount(settings.pod_min_cpu_millicores * 0.001 * 1000.0), fraction)
    min_memory = scale_amount(resource_amount(settings.pod_min_memory_mb * MIB), fraction)

    def amount(histogram: DecayingHistogram, p: float, unit: float, floor: int, scale: Scale) -> int:
        base = resource_amount(histogram.percentile(p) * unit)
        scaled = base + scale_amount(base, settings.safety_margin)
        if scale is not None:
            scaled = scale_amount(scaled, confidence_multiplier(*scale, conf))
        return max(scaled, floor)

    def both(p: float, scale: Scale) -> tuple[float, float]:
        cpu = amount(state.cpu, p, 1000.0, min_cpu, scale) / 1000.0
        return cpu, float(amount(state.memory_peaks, p, 1.0, min_memory, scale))

    target = both(settings.target_percentile, None)
    lower = both(settings.lower_bound_percentile, (0.001, -2.0))
    upper = both(settings.upper_bound_percentile, (1.0, 1.0))
    return VpaEstimate(*target, *lower, *upper)


class Vpa(Strategy[VpaSettings]):
    """The VPA recommender's target: P90 of decayed usage plus 15%, bounds widened by confidence."""

    name = "vpa"

    def __init__(self, settings: VpaSettings | None = None) -> None:
        super().__init__(settings or VpaSettings())

    def estimate(self, history: History) -> VpaEstimate | None:
        """Return target and bounds over the trailing window, or None when it holds no sample."""
        window = history.last_hours(self.settings.history_hours)
        return estimate(aggregate(window, self.settings), self.settings) if len(window) else None

    def run(self, history: History) -> Recommendation:
        found = self.estimate(history)
        if found is None:
            return Recommendation.undefined("undefined, because the history holds no sample")
        return Recommendation(
            cpu_request=found.target_cpu,
            memory_request=found.target_memory,
            memory_limit=found.target_memory,
            notes=(
                f"cpu bounds {found.lower_cpu:g}-{found.upper_cpu:g} cores",
                f"memory bounds {found.lower_memory:.0f}-{found.upper_memory:.0f} bytes",
            ),
        )
