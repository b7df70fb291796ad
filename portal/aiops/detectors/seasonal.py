"""Seasonal baseline: each point against the same time of day on the last few days."""

from __future__ import annotations

import math
import statistics
from collections import deque

import numpy as np

from portal.aiops.detectors.base import Deviation, State, difference, total
from portal.aiops.detectors.robust import RobustBaseline

DAY_SECONDS = 86400.0
# Longer steps leave too few points a day for a time-of-day profile to mean anything.
MAX_STEP_SECONDS = 3600.0
STEP_SAMPLES = 20


def daily_slots(step: float) -> int:
    """Return how many points a day holds at this step, or 0 when the step does not divide a day."""
    if step <= 0.0 or step > MAX_STEP_SECONDS:
        return 0
    per_day = DAY_SECONDS / step
    return round(per_day) if abs(per_day - round(per_day)) < 1e-6 else 0


class SeasonalBaseline:
    """Residual from the median of the same daily slot over the last `days` days, in robust sigmas of residuals."""

    name = "seasonal"

    def __init__(self, days: int = 5, residual_window: int = 600) -> None:
        self.days = days
        self.intervals: list[float] = []
        self.last_timestamp: float | None = None
        self.step = 0.0
        self.slots_per_day = 0
        self.history: dict[int, deque[float]] = {}
        self.residuals = RobustBaseline(window=residual_window)

    def slot(self, timestamp: float) -> int:
        """Return the daily slot a timestamp falls in."""
        return round((timestamp % DAY_SECONDS) / self.step) % self.slots_per_day

    def learn_step(self, timestamp: float) -> None:
        """Estimate the sampling step from the first intervals; it is fixed from then on."""
        if self.last_timestamp is not None and self.step == 0.0:
            self.intervals.append(timestamp - self.last_timestamp)
            if len(self.intervals) >= STEP_SAMPLES:
                self.step = float(np.median(self.intervals))
                self.slots_per_day = daily_slots(self.step)
                self.intervals = []
        self.last_timestamp = timestamp

    def observe(self, timestamp: float, value: float) -> Deviation | None:
        """Return the point's deviation from its time-of-day profile (None until two days of that slot are seen)."""
        self.learn_step(timestamp)
        if self.slots_per_day == 0 or not math.isfinite(timestamp):
            return None
        past = self.history.setdefault(self.slot(timestamp), deque(maxlen=self.days))
        deviation = None
        if len(past) >= 2:
            expected = statistics.median(past)
            residual = difference(value, expected)
            if self.residuals.ready and self.residuals.median is not None:
                deviation = Deviation(z=self.residuals.z(residual), expected=total(expected, self.residuals.median))
            self.residuals.add(residual)
        past.append(value)
        return deviation

    def to_state(self) -> State:
        """Return the profile as JSON-able values."""
        return {
            "days": self.days,
            "intervals": list(self.intervals),
            "last_timestamp": self.last_timestamp,
            "step": self.step,
            "slots_per_day": self.slots_per_day,
            "history": {str(slot): list(values) for slot, values in self.history.items()},
            "residuals": self.residuals.to_state(),
        }

    @classmethod
    def from_state(cls, state: State) -> SeasonalBaseline:
        """Rebuild a profile saved by `to_state`."""
        detector = cls(days=state["days"])
        detector.intervals = list(state["intervals"])
        detector.last_timestamp = state["last_timestamp"]
        detector.step = state["step"]
        detector.slots_per_day = state["slots_per_day"]
        detector.history = {int(slot): deque(values, maxlen=detector.days) for slot, values in state["history"].items()}
        detector.residuals = RobustBaseline.from_state(state["residuals"])
        return detector
