"""Our strategy: CPU sized for the hours the answer will be in force; memory sized from its parts, each in its window.

An answer stays applied for `horizon_hours`, until the next run. Design:

- CPU request: the `cpu_percentile` (KRR's 95 by default) of the samples from the same hours of the day as the
  horizon, padded by `slot_padding_hours`, over the last `cpu_days` days. Usage follows the clock, so the same hours of
  past days say more about the next hours than the whole day does: the request follows the daily cycle at the risk
  a percentile over all hours gives.
- Memory limit (= request), for the pod that needs most at each moment, as level * usual daily peak + growth, then
  spike headroom. The level is the median of the last 24 h, so it follows a leak or a restart within a day (a max
  over two weeks keeps a pre-restart peak for two weeks). The usual daily peak is the highest point of the median day
  (each day divided by its median), so a nightly batch is in it and a one-off spike is not. Growth is the level's
  rise over the last day, never negative, carried to the end of the horizon. Spike headroom is the largest spike of
  the last `history_days` over what was usual for its sample, as a ratio or in bytes, whichever needs more, plus
  `spike_growth` of it (the next spike may beat the largest seen) and `memory_margin`. Memory does not follow the
  hours: a limit cut below usage kills the pod, and spikes come at any hour.
- OOM-aware: memory above an old limit was never seen (the kill cut it off), so for `oom_memory_days` after an OOM kill
  the limit is at least VPA's bump of the killed limit, max(limit + 100 MiB, limit * 1.2).

With less than `min_history_hours` of history the answer is "undefined, because ...".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from portal.finops.strategies.base import (
    DAY,
    HOUR,
    MIB,
    FloatArray,
    History,
    Recommendation,
    Strategy,
    not_enough_history,
)


@dataclass(frozen=True)
class SeasonalSettings:
    """Windows in hours or days; the percentile in 0..100; the margin as a fraction."""

    horizon_hours: float = 6.0
    history_days: int = 14
    cpu_days: int = 7
    cpu_percentile: float = 95.0
    slot_padding_hours: float = 1.0
    spike_growth: float = 0.25
    memory_margin: float = 0.02
    oom_memory_days: float = 7.0
    oom_bump_ratio: float = 1.2
    oom_min_bump_bytes: float = 100 * MIB
    min_history_hours: float = 24.0
    cpu_floor_cores: float = 0.01
    memory_floor_bytes: float = 32 * MIB

    def __post_init__(self) -> None:
        if not 0.0 < self.horizon_hours <= 24.0:
            raise ValueError("horizon_hours must be in (0, 24]")
        if not 0.0 < self.cpu_percentile <= 100.0:
            raise ValueError("cpu_percentile must be in (0, 100]")
        if min(self.history_days, self.cpu_days) < 1 or self.min_history_hours < 24.0:
            raise ValueError("history_days and cpu_days must be >= 1, min_history_hours >= 24")


class Seasonal(Strategy[SeasonalSettings]):
    """A same-hours CPU percentile; memory from level, shape, growth and spikes, with OOM-aware headroom."""

    name = "seasonal"

    def __init__(self, settings: SeasonalSettings | None = None) -> None:
        super().__init__(settings or SeasonalSettings())

    def run(self, history: History) -> Recommendation:
        window = history.last_hours(self.settings.history_days * 24)
        if why := not_enough_history(window, samples=2, hours=self.settings.min_history_hours):
            return Recommendation.undefined(why)
        memory = self.memory_limit(window)
        return Recommendation(cpu_request=self.cpu_request(window), memory_request=memory, memory_limit=memory)

    def cpu_request(self, history: History) -> float:
        """Return the CPU percentile over the horizon's hours of the last `cpu_days` days."""
        settings = self.settings
        pad = settings.slot_padding_hours * HOUR
        phase = (history.timestamps - history.end + pad) % DAY
        same_hours = (phase < settings.horizon_hours * HOUR + 2 * pad) & (
            history.timestamps >= history.end - settings.cpu_days * DAY - pad
        )
        cpu = float(np.percentile(history.cpu_cores[same_hours], settings.cpu_percentile))
        return max(cpu, settings.cpu_floor_cores)

    def memory_limit(self, history: History) -> float:
        """Return level * usual daily peak + growth to the horizon's end, spike headroom, margin and the OOM bump."""
        settings, now = self.settings, history.end
        times, memory = worst_pod_memory(history)
        last_day, day_before = memory[times > now - DAY], memory[(times > now - 2 * DAY) & (times <= now - DAY)]
        level = float(np.median(last_day))
        growth = max(level - float(np.median(day_before)), 0.0) / DAY if len(day_before) else 0.0
        day = DailyShape.of(times, memory, now)
        # The median lags a steady climb by half a day.
        expected = level * day.peak + growth * (settings.horizon_hours * HOUR + DAY / 2)
        # The next spike may beat the largest seen: allow `spike_growth` more of its excess over usual.
        ratio = 1.0 + (day.spike_ratio - 1.0) * (1.0 + settings.spike_growth)
        spike = max(expected * ratio, expected + day.spike_bytes * (1.0 + settings.spike_growth))
        limit = spike * (1.0 + settings.memory_margin)
        since = now - settings.oom_memory_days * DAY
        killed = max((kill.memory_limit for kill in history.oom_kills if kill.timestamp >= since), default=0.0)
        if killed:
            limit = max(limit, killed + settings.oom_min_bump_bytes, killed * settings.oom_bump_ratio)
        return max(limit, settings.memory_floor_bytes)


def worst_pod_memory(history: History) -> tuple[FloatArray, FloatArray]:
    """Return one memory series: at each sampling time, the highest of the pods' samples (the one a limit must fit)."""
    if not history.pods:
        return history.timestamps, history.memory_bytes
    times, at = np.unique(history.timestamps, return_inverse=True)
    worst = np.zeros(len(times))
    np.maximum.at(worst, at, history.memory_bytes)
    return times, worst


@dataclass(frozen=True)
class DailyShape:
    """Memory's usual day (relative to each day's median) and the spikes beyond it.

    `peak` is the highest point of the usual day: at each time of day, the median across days of memory divided by
    its day's median. A spike is a sample above both that usual value and the median of its neighbours half an hour
    and an hour either side: a nightly batch stands out only from its neighbours, a level changed by a restart only
    from other days, so neither counts. With fewer than three days the usual day is not known and the day's p99 stands
    in for its peak.
    """

    peak: float
    spike_ratio: float
    spike_bytes: float

    @classmethod
    def of(cls, times: FloatArray, memory: FloatArray, now: float) -> DailyShape:
        day = np.floor((now - times) / DAY).astype(np.intp)
        relative = memory / np.maximum(_group_medians(day, memory, int(day.max()) + 1)[day], 1.0)
        if day.max() < 2 or len(times) < 2:
            return cls(float(np.percentile(relative, 99)), 1.0, 0.0)
        step = max(float(np.median(np.diff(times))), 1.0)
        slots = int(np.ceil(DAY / step))
        slot = np.floor(((times - now) % DAY) / step + 0.5).astype(np.intp) % slots
        usual = _group_medians(slot, relative, slots)
        usual = np.maximum(np.maximum(usual, np.roll(usual, 1)), np.roll(usual, -1))
        shifts = [int(np.sign(minutes)) * max(abs(round(minutes * 60 / step)), 1) for minutes in (-60, -30, 30, 60)]
        positions = np.arange(len(memory))
        around = np.median(np.stack([memory[np.clip(positions + shift, 0, len(memory) - 1)] for shift in shifts]), 0)
        ratio = np.minimum(relative / np.maximum(usual[slot], 1e-9), memory / np.maximum(around, 1.0))
        ratio = np.maximum(ratio, 1.0)
        return cls(float(usual.max()), float(np.max(ratio)), float(np.max(memory - memory / ratio)))


def _group_medians(groups: npt.NDArray[np.intp], values: FloatArray, size: int) -> FloatArray:
    """Return the median of the values in each group 0..size-1 (0 for an empty group)."""
    order = np.lexsort((values, groups))
    counts = np.bincount(groups, minlength=size)
    starts = np.cumsum(counts) - counts
    low = values[order][np.minimum(starts + (counts - 1) // 2, len(values) - 1)]
    high = values[order][np.minimum(starts + counts // 2, len(values) - 1)]
    return np.where(counts > 0, (low + high) / 2.0, 0.0)
