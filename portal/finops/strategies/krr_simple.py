"""Robusta KRR's `simple` strategy and its runner's rounding, as KRR computes them.

CPU request = the highest of the per-pod 95th percentiles (Prometheus `quantile_over_time`, linear interpolation), no
CPU limit. Memory request = limit = the highest per-pod peak plus 15%, or the highest memory limit an OOM kill hit
plus 25% when that is more (only with `use_oomkill_data`). Then CPU is rounded up to 1m with a 10m floor and memory up
to 1 MiB with a 100 MiB floor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from portal.finops.strategies.base import MIB, History, Recommendation, Strategy, not_enough_history

CPU_FLOOR_CORES = 0.01
MEMORY_FLOOR_BYTES = 100 * MIB


@dataclass(frozen=True)
class KrrSimpleSettings:
    """KRR's settings for `simple`, with its defaults; durations in hours, the step in minutes."""

    history_duration: float = 336.0
    timeframe_duration: float = 1.25
    cpu_percentile: float = 95.0
    memory_buffer_percentage: float = 15.0
    points_required: int = 100
    allow_hpa: bool = False
    use_oomkill_data: bool = False
    oom_memory_buffer_percentage: float = 25.0

    def __post_init__(self) -> None:
        if not 0.0 < self.cpu_percentile <= 100.0:
            raise ValueError("cpu_percentile must be in (0, 100]")
        if self.memory_buffer_percentage <= 0.0 or self.oom_memory_buffer_percentage < 0.0:
            raise ValueError("memory_buffer_percentage must be > 0 and oom_memory_buffer_percentage >= 0")
        if self.points_required < 1 or self.history_duration <= 0.0:
            raise ValueError("points_required must be >= 1 and history_duration > 0")

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> KrrSimpleSettings:
        """Build settings from KRR's own names (as in its CLI or a saved scan), ignoring names it does not know."""
        known = {item.name for item in fields(cls)}
        return cls(**{name: value for name, value in values.items() if name in known})  # type: ignore[arg-type]


def cpu_proposal(per_pod_percentiles: Mapping[str, Sequence[float]]) -> float | None:
    """Return the highest per-pod CPU percentile (KRR's PercentileCPULoader output), or None without data."""
    values = [value for series in per_pod_percentiles.values() for value in series]
    return max(values) if values else None


def memory_proposal(
    per_pod_peaks: Mapping[str, Sequence[float]], settings: KrrSimpleSettings, *, max_oomkill_limit: float = 0.0
) -> float | None:
    """Return max pod peak * (1 + buffer), raised to the OOM-killed limit * (1 + OOM buffer), or None without data."""
    peaks = [max(series) for series in per_pod_peaks.values() if len(series)]
    if not peaks:
        return None
    oom = max_oomkill_limit if settings.use_oomkill_data else 0.0
    return max(
        max(peaks) * (1 + settings.memory_buffer_percentage / 100),
        oom * (1 + settings.oom_memory_buffer_percentage / 100),
    )


def round_cpu(cores: float) -> float:
    """Round up to a millicore, with KRR's 10m floor."""
    return max(math.ceil(cores * 1000) / 1000, CPU_FLOOR_CORES)


def round_memory(memory: float) -> float:
    """Round up to a MiB, with KRR's 100 MiB floor."""
    return max(math.ceil(memory / MIB) * MIB, MEMORY_FLOOR_BYTES)


class KrrSimple(Strategy[KrrSimpleSettings]):
    """KRR `simple`: a high CPU percentile and the memory peak plus a buffer, over two weeks."""

    name = "krr_simple"

    def __init__(self, settings: KrrSimpleSettings | None = None) -> None:
        super().__init__(settings or KrrSimpleSettings())

    def run(self, history: History) -> Recommendation:
        window = history.last_hours(self.settings.history_duration)
        if why := not_enough_history(window, samples=self.settings.points_required):
            return Recommendation.undefined(why)
        pods = window.by_pod()
        percentile = self.settings.cpu_percentile
        cpu = cpu_proposal({pod: [float(np.percentile(window.cpu_cores[at], percentile))] for pod, at in pods.items()})
        peaks = {pod: [float(np.max(window.memory_bytes[at]))] for pod, at in pods.items()}
        oom_limit = max((kill.memory_limit for kill in window.oom_kills), default=0.0)
        memory = memory_proposal(peaks, self.settings, max_oomkill_limit=oom_limit)
        undefined = [
            name for name in ("cpu", "memory") if name in history.hpa_resources and not self.settings.allow_hpa
        ]
        notes = ("OOMKill detected",) if oom_limit and self.settings.use_oomkill_data else ()
        return Recommendation(
            cpu_request=None if cpu is None or "cpu" in undefined else round_cpu(cpu),
            memory_request=None if memory is None or "memory" in undefined else round_memory(memory),
            memory_limit=None if memory is None or "memory" in undefined else round_memory(memory),
            undefined_because=f"undefined, because an HPA scales on {' and '.join(undefined)}" if undefined else "",
            notes=notes,
        )
