"""A deterministic simulated fleet: traffic, errors, latency histograms, CPU, memory and restarts per pod.

Pure NumPy, no Django. Every series is simulated on a fixed grid from the fleet's epoch, so any time
range gives the same numbers no matter when or in which order it is asked for. Counters are cumulative
from the epoch, exactly as Prometheus would have scraped them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
GIB = 1024**3
Array = NDArray[np.float64]


@dataclass(frozen=True)
class ServiceProfile:
    name: str
    tier: int = 2
    replicas: int = 3
    base_rps: float = 20.0  # per pod, at the daily mean
    median_latency: float = 0.060  # seconds
    latency_sigma: float = 0.55  # of the log-normal
    error_ratio: float = 0.0008
    cpu_per_rps: float = 0.004  # cores per request per second
    memory_bytes: float = 0.35 * GIB
    memory_limit_bytes: float = 1.0 * GIB
    namespace: str = "default"


@dataclass(frozen=True)
class Scenario:
    """A scripted fault. memory-leak: after `start`, memory climbs; GC pressure slows requests; OOM kills.
    cpu-regression: after `start`, every request costs `factor` times the CPU (an inefficient release).
    dependency-slowdown: after `start`, every request to the service takes `added_latency` seconds more (a slow
    query, a saturated pool); every caller up the dependency graph waits for it on the requests that call it."""

    kind: str
    service: str
    start: float  # unix seconds
    leak_bytes_per_hour: float = 0.5 * GIB
    end: float | None = None  # when the fix (a rollback) landed; fresh pods from then on
    factor: float = 6.0  # cpu-regression only
    added_latency: float = 0.5  # dependency-slowdown only: seconds added to each request to the service


@dataclass(frozen=True)
class Call:
    """An edge of the dependency graph: `share` of the caller's requests make one call to the callee."""

    caller: str
    callee: str
    share: float = 1.0


@dataclass(frozen=True)
class PodSeries:
    """One pod's simulated series on the grid (timestamps in unix seconds)."""

    times: Array
    requests: Array  # cumulative, all codes
    errors: Array  # cumulative 5xx
    buckets: Array  # cumulative, shape (len(LATENCY_BUCKETS), n): requests at or under each bound
    latency_sum: Array  # cumulative seconds
    cpu_seconds: Array  # cumulative
    memory: Array  # gauge, bytes
    restarts: Array  # cumulative count
    median_latency: Array  # the true median per step, for checks


@dataclass(frozen=True)
class Fleet:
    services: tuple[ServiceProfile, ...]
    epoch: float  # unix seconds; the simulation starts here
    step: float = 60.0
    seed: int = 7
    scenarios: tuple[Scenario, ...] = field(default_factory=tuple)
    calls: tuple[Call, ...] = field(default_factory=tuple)  # the dependency graph: who calls whom, how often

    def callees(self, service: str) -> list[Call]:
        return [call for call in self.calls if call.caller == service]

    def profile(self, service: str) -> ServiceProfile:
        for profile in self.services:
            if profile.name == service:
                return profile
        raise KeyError(service)

    def grid(self, end: float) -> Array:
        """Grid timestamps from the epoch up to and including end."""
        n = math.floor((end - self.epoch) / self.step) + 1
        return self.epoch + np.arange(max(n, 1), dtype=np.float64) * self.step

    def pod_names(self, service: str) -> list[str]:
        return [f"{service}-{_digest(service, 'rs')[:6]}-{i}" for i in range(self.profile(service).replicas)]

    def pod(self, service: str, pod_index: int, end: float) -> PodSeries:
        """The pod's series from the epoch to end (cached; grids are extended in whole days)."""
        horizon = self.epoch + math.ceil((end - self.epoch) / 86400 + 1e-9) * 86400
        return _simulate(self, service, pod_index, horizon)


def _digest(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng(int(_digest(*parts)[:16], 16))


def seasonality(times: Array) -> Array:
    """Daily peak in the afternoon, a trough at night, and quieter weekends."""
    hours = (times % 86400) / 3600
    daily = 1 + 0.45 * np.sin(2 * np.pi * (hours - 9) / 24)
    weekday = ((times // 86400) + 3) % 7  # Monday = 0; 1970-01-01 was a Thursday
    weekly = np.where(weekday >= 5, 0.7, 1.0)
    return np.asarray(daily * weekly, dtype=np.float64)


def _smooth_noise(rng: np.random.Generator, n: int, scale: float, span: int = 15) -> Array:
    """Autocorrelated noise around 1 (traffic wanders; it does not jump every minute)."""
    raw = rng.normal(0, scale, n + span)
    kernel = np.ones(span) / math.sqrt(span)
    return np.asarray(1 + np.convolve(raw, kernel, mode="valid")[:n], dtype=np.float64)


_ERF = np.vectorize(math.erf, otypes=[np.float64])


def _log_normal_cdf(bound: float, median: Array, sigma: float) -> Array:
    z = (math.log(bound) - np.log(median)) / (sigma * math.sqrt(2))
    return np.asarray(0.5 * (1 + _ERF(z)), dtype=np.float64)


def _leak(fleet: Fleet, profile: ServiceProfile, times: Array, base_memory: Array) -> tuple[Array, Array]:
    """Memory under the memory-leak scenario, and the restart steps caused by OOM kills."""
    memory = base_memory.copy()
    restarts = np.zeros_like(times)
    for scenario in fleet.scenarios:
        if scenario.kind != "memory-leak" or scenario.service != profile.name:
            continue
        leaked = 0.0
        for i, t in enumerate(times):
            if t < scenario.start or (scenario.end is not None and t >= scenario.end):
                continue
            leaked += scenario.leak_bytes_per_hour * fleet.step / 3600
            if base_memory[i] + leaked >= profile.memory_limit_bytes:
                restarts[i] = 1  # OOM-killed: the container restarts with a fresh heap
                leaked = 0.0
            memory[i] = base_memory[i] + leaked
    return memory, restarts


@lru_cache(maxsize=256)
def _simulate(fleet: Fleet, service: str, pod_index: int, horizon: float) -> PodSeries:
    profile = fleet.profile(service)
    times = fleet.grid(horizon)
    n = len(times)
    rng = _rng(fleet.seed, service, pod_index)
    rps = profile.base_rps * seasonality(times) * _smooth_noise(rng, n, 0.03)
    base_memory = profile.memory_bytes * (1 + 0.1 * (rps / profile.base_rps - 1)) * _smooth_noise(rng, n, 0.005)
    memory, restart_steps = _leak(fleet, profile, times, base_memory)
    pressure = np.clip((memory / profile.memory_limit_bytes - 0.7) / 0.3, 0, 1)  # GC pressure above 70%
    median = profile.median_latency * (1 + 0.15 * (rps / profile.base_rps - 1)) * (1 + 4 * pressure**2)
    error_ratio = profile.error_ratio * _smooth_noise(rng, n, 0.05) + 0.08 * pressure**3 + 0.5 * restart_steps
    error_ratio = np.clip(error_ratio, 0, 1)
    requests_step = rps * fleet.step
    shares = np.vstack([_log_normal_cdf(b, median, profile.latency_sigma) for b in LATENCY_BUCKETS])
    mean_latency = median * math.exp(profile.latency_sigma**2 / 2)
    for live, delays in _delay_segments(fleet, service, times):
        shares[:, live] = np.vstack(
            [_delayed_cdf(b, delays, median[live], profile.latency_sigma) for b in LATENCY_BUCKETS]
        )
        mean_latency[live] += sum(seconds * p for seconds, p in delays)
    bucket_steps = requests_step * shares
    cpu_step = (0.02 + profile.cpu_per_rps * rps * (1 + pressure)) * _cpu_factor(fleet, profile, times) * fleet.step
    return PodSeries(
        times=times,
        requests=_cumulative(requests_step),
        errors=_cumulative(requests_step * error_ratio),
        buckets=np.cumsum(np.concatenate([np.zeros((len(LATENCY_BUCKETS), 1)), bucket_steps[:, 1:]], axis=1), axis=1),
        latency_sum=_cumulative(requests_step * mean_latency),
        cpu_seconds=_cumulative(cpu_step),
        memory=memory,
        restarts=np.cumsum(restart_steps),
        median_latency=median,
    )


Delays = tuple[tuple[float, float], ...]  # (seconds waited beyond the usual, probability); probabilities sum to 1
NO_DELAY: Delays = ((0.0, 1.0),)
MAX_CALL_DEPTH = 8  # a cycle in the catalog must not recurse forever


def slowdowns_live(fleet: Fleet, at: float) -> dict[str, float]:
    """Seconds added to each request of each service by the dependency-slowdown scenarios live at `at`."""
    slow: dict[str, float] = {}
    for scenario in fleet.scenarios:
        if scenario.kind == "dependency-slowdown" and scenario.start <= at < (scenario.end or math.inf):
            slow[scenario.service] = slow.get(scenario.service, 0.0) + scenario.added_latency
    return slow


def request_delays(fleet: Fleet, service: str, slow: dict[str, float], depth: int = 0) -> Delays:
    """How long a request to `service` waits beyond its usual latency, as a distribution over its call tree."""
    out: dict[float, float] = {slow.get(service, 0.0): 1.0}
    if depth >= MAX_CALL_DEPTH:
        return tuple(out.items())
    for call in fleet.callees(service):
        below = request_delays(fleet, call.callee, slow, depth + 1)
        if below == NO_DELAY:
            continue
        mixed = {0.0: 1 - call.share}
        for seconds, p in below:
            mixed[seconds] = mixed.get(seconds, 0.0) + call.share * p
        out = _convolve(out, mixed)
    return tuple(sorted((seconds, p) for seconds, p in out.items() if p > 1e-9))


def _convolve(a: dict[float, float], b: dict[float, float]) -> dict[float, float]:
    out: dict[float, float] = {}
    for x, p in a.items():
        for y, q in b.items():
            out[round(x + y, 9)] = out.get(round(x + y, 9), 0.0) + p * q
    return out


def _delay_segments(fleet: Fleet, service: str, times: Array) -> list[tuple[NDArray[np.bool_], Delays]]:
    """Steps that share the same live slowdowns, with what a request to the service waits during them."""
    slowdowns = [s for s in fleet.scenarios if s.kind == "dependency-slowdown"][:62]
    if not slowdowns:
        return []
    keys = np.zeros(len(times), dtype=np.int64)
    for k, scenario in enumerate(slowdowns):
        live = (times >= scenario.start) & (times < (scenario.end if scenario.end is not None else np.inf))
        keys |= live.astype(np.int64) << k
    segments = []
    for key in np.unique(keys[keys > 0]):
        first = int(np.argmax(keys == key))
        delays = request_delays(fleet, service, slowdowns_live(fleet, float(times[first])))
        if delays != NO_DELAY:
            segments.append((keys == key, delays))
    return segments


def _delayed_cdf(bound: float, delays: Delays, median: Array, sigma: float) -> Array:
    """Share of requests at or under `bound` when each waits a delay drawn from `delays` on top of its own time."""
    out = np.zeros_like(median)
    for seconds, p in delays:
        if bound > seconds:
            out += p * _log_normal_cdf(bound - seconds, median, sigma)
    return out


def _cpu_factor(fleet: Fleet, profile: ServiceProfile, times: Array) -> Array:
    factor = np.ones_like(times)
    for scenario in fleet.scenarios:
        if scenario.kind == "cpu-regression" and scenario.service == profile.name:
            live = (times >= scenario.start) & (times < (scenario.end if scenario.end is not None else np.inf))
            factor[live] *= scenario.factor
    return factor


def _cumulative(per_step: Array) -> Array:
    """Counter values at each grid time: what accrued since the epoch (zero at the epoch)."""
    out = np.zeros_like(per_step)
    out[1:] = np.cumsum(per_step[1:])
    return out
