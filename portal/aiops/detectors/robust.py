"""Robust baseline (median and MAD over a sliding window), and the level-shift and trend detectors built on it."""

from __future__ import annotations

import statistics
from collections import deque

import numpy as np

from portal.aiops.detectors.base import Deviation, State, difference, optional_float, ratio

MAD_TO_SIGMA = 1.4826
MEAN_AD_TO_SIGMA = 1.2533
# A scale never below this fraction of the level, so float noise on a flat series is not news.
RELATIVE_SCALE_FLOOR = 1e-9
ABSOLUTE_SCALE_FLOOR = 1e-12


def robust_location_scale(values: list[float]) -> tuple[float, float]:
    """Return the median and a robust sigma: 1.4826 * MAD, or 1.2533 * mean absolute deviation when MAD is 0."""
    with np.errstate(over="ignore", invalid="ignore"):
        array = np.asarray(values, dtype=np.float64)
        median = float(np.median(array))
        deviations = np.abs(array - median)
        mad = float(np.median(deviations)) * MAD_TO_SIGMA
        # A sparse or quantised series has MAD 0 while still varying: the mean deviation still sees that.
        scale = mad if mad > 0.0 else float(np.mean(deviations)) * MEAN_AD_TO_SIGMA
    return median, max(scale, RELATIVE_SCALE_FLOOR * abs(median), ABSOLUTE_SCALE_FLOOR)


class RobustBaseline:
    """Median and robust sigma of the last `window` values, recomputed every `refresh` values to stay cheap."""

    def __init__(self, window: int = 600, refresh: int = 10, warmup: int = 50) -> None:
        self.values: deque[float] = deque(maxlen=window)
        self.refresh = refresh
        self.warmup = warmup
        self.since_refresh = 0
        self.median: float | None = None
        self.scale = 1.0

    @property
    def ready(self) -> bool:
        """Return whether enough values have been seen to judge a new one."""
        return self.median is not None and len(self.values) >= self.warmup

    def z(self, value: float) -> float:
        """Return how many robust sigmas `value` is from the median (0 before the first refresh)."""
        return 0.0 if self.median is None else ratio(difference(value, self.median), self.scale)

    def add(self, value: float) -> None:
        """Learn one value, recomputing the median and scale when due."""
        self.values.append(value)
        self.since_refresh += 1
        if self.median is None or self.since_refresh >= self.refresh:
            self.median, self.scale = robust_location_scale(list(self.values))
            self.since_refresh = 0

    def to_state(self) -> State:
        """Return the baseline as JSON-able values."""
        return {
            "values": list(self.values),
            "window": self.values.maxlen,
            "refresh": self.refresh,
            "warmup": self.warmup,
            "since_refresh": self.since_refresh,
            "median": optional_float(self.median),
            "scale": self.scale,
        }

    @classmethod
    def from_state(cls, state: State) -> RobustBaseline:
        """Rebuild a baseline saved by `to_state`."""
        baseline = cls(window=state["window"], refresh=state["refresh"], warmup=state["warmup"])
        baseline.values.extend(state["values"])
        baseline.since_refresh = state["since_refresh"]
        baseline.median = state["median"]
        baseline.scale = state["scale"]
        return baseline


class LevelShift:
    """Median of the last few values against the robust baseline: a shift, not a single glitch."""

    name = "level_shift"

    def __init__(self, span: int = 6) -> None:
        self.recent: deque[float] = deque(maxlen=span)

    def observe(self, value: float, baseline: RobustBaseline) -> Deviation | None:
        """Return the shift of the recent median from the baseline, once both are ready."""
        self.recent.append(value)
        if not baseline.ready or len(self.recent) < (self.recent.maxlen or 1) or baseline.median is None:
            return None
        return Deviation(z=baseline.z(statistics.median(self.recent)), expected=baseline.median)

    def to_state(self) -> State:
        """Return the recent values as JSON-able values."""
        return {"recent": list(self.recent), "span": self.recent.maxlen}

    @classmethod
    def from_state(cls, state: State) -> LevelShift:
        """Rebuild a detector saved by `to_state`."""
        detector = cls(span=state["span"])
        detector.recent.extend(state["recent"])
        return detector


class TrendChange:
    """Least-squares slope over the last `span` values, as the change it implies across the span in robust sigmas."""

    name = "trend"

    def __init__(self, span: int = 48) -> None:
        self.recent: deque[float] = deque(maxlen=span)
        centred = np.arange(span, dtype=np.float64) - (span - 1) / 2.0
        # The slope is a fixed weighted sum of the window; precomputing the weights keeps each point O(span).
        self.weights = centred / float(np.sum(centred**2)) * (span - 1)

    def observe(self, value: float, baseline: RobustBaseline) -> Deviation | None:
        """Return the rise (or fall) across the recent span in baseline sigmas, once the span is full."""
        self.recent.append(value)
        if not baseline.ready or len(self.recent) < self.weights.size or baseline.median is None:
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            rise = float(self.weights @ np.asarray(self.recent, dtype=np.float64))
        return Deviation(z=ratio(rise, baseline.scale), expected=self.recent[0])

    def to_state(self) -> State:
        """Return the recent values as JSON-able values."""
        return {"recent": list(self.recent), "span": self.weights.size}

    @classmethod
    def from_state(cls, state: State) -> TrendChange:
        """Rebuild a detector saved by `to_state`."""
        detector = cls(span=state["span"])
        detector.recent.extend(state["recent"])
        return detector
